import pytest

from yiwang.core.errors import DomainError
from yiwang.core.identifiers import (
    is_division_code,
    make_uscc,
    mask,
    organization_code_check,
    validate_id_number,
    validate_uscc,
)


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "11010519491231002x", "430102199003070936"]
)
def test_valid_id_numbers_pass_compacted(number):
    assert validate_id_number(number) == number.upper()


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位不正确"),
        ("110105194913310021", "出生日期或地区码无效"),  # 13th month, valid check digit
        ("1101051949123100", "长度应为18位"),
        ("1101051949123100AX", "含有不允许的字符"),
        ("", "长度应为18位"),
    ],
)
def test_invalid_id_numbers_name_field_and_reason(number, reason):
    with pytest.raises(DomainError) as raised:
        validate_id_number(number, field="applicant.id_number")
    error = raised.value.errors[0]
    assert error.field == "applicant.id_number"
    assert reason in error.message


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of GB 32100-2015
        "91110000600037341L",
        "12100000400000624D",
        "11100000000013338W",
    ],
)
def test_real_credit_codes_are_valid(code):
    assert validate_uscc(code) == code


@pytest.mark.parametrize("code", ["91350100M000100Y44", "9135010OM000100Y43", "913501"])
def test_bad_credit_codes_are_refused(code):
    with pytest.raises(DomainError, match="统一社会信用代码"):
        validate_uscc(code)


def test_organization_code_check_matches_gb_11714_example():
    assert organization_code_check("D2143569") == "X"
    assert organization_code_check("M000100Y") == "4"  # inside the GB 32100 example


def test_made_credit_codes_validate():
    code = make_uscc(authority="1", kind="1", division6="430102", organization8="12345678")
    assert validate_uscc(code) == code
    assert code.startswith("11430102")


def test_mask_keeps_region_head_and_tail():
    assert mask("43010219900307093X") == "4301**********093X"
    assert mask("123") == "***"


@pytest.mark.parametrize(
    ("code", "valid"), [("430102001001", True), ("43010200100", False), ("000000000000", False)]
)
def test_division_codes(code, valid):
    assert is_division_code(code) is valid
