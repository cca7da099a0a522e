"""电子证照标识: the GB/T 36904 shape, the MOD 37,36 check character, serials."""

import pytest

from yiwang.core.errors import DomainError
from yiwang.licenses import services
from yiwang.licenses.identifiers import LicenseIdentifier, make_identifier, parse_identifier
from yiwang.licenses.models import SerialCounter
from yiwang.licenses.tests.factories import company_uscc

# DOMAIN-NOTES §3's example, as a province issued it.
EXAMPLE = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
TYPE_CODE = "11100000000013338W011"
ISSUER = "11430000006122244L"


def test_the_published_example_parses_and_its_check_character_is_recomputed():
    identifier = parse_identifier(EXAMPLE)
    assert identifier == LicenseIdentifier(TYPE_CODE, ISSUER, "20230000403", 1)
    assert identifier.check == "U"
    assert str(identifier) == EXAMPLE


def test_a_made_identifier_round_trips():
    made = make_identifier(type_code=TYPE_CODE, issuer_uscc=ISSUER, serial="20260000001", version=2)
    text = str(made)
    assert text.startswith(
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20260000001.002."
    )
    assert parse_identifier(text) == made
    assert parse_identifier(f"  {text.lower()} ") == made  # typed in lower case, with spaces


def test_the_check_character_covers_every_part():
    checks = {
        make_identifier(
            type_code=TYPE_CODE, issuer_uscc=ISSUER, serial=serial, version=version
        ).check
        for serial, version in [("20230000403", 1), ("20230000404", 1), ("20230000403", 2)]
    }
    assert len(checks) == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (EXAMPLE[:-1] + "V", "证照标识的校验位不正确，请核对后重新输入"),
        (EXAMPLE.replace(".20230000403.", ".20230000408."), "证照标识的校验位不正确"),
        ("", "证照标识应以 1.2.156.3005.2 开头"),
        ("1.2.156.3005.3.11100000000013338W011", "证照标识应以 1.2.156.3005.2 开头"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.001.U", "的形式"),
        (EXAMPLE.replace("W011.", "W01."), "证照类型代码应为21位"),
        (
            EXAMPLE.replace("13338W011", "13338X011"),
            "证照类型代码前18位的统一社会信用代码校验位不正确",
        ),
        (EXAMPLE.replace("6122244L", "6122244M"), "发证机关统一社会信用代码校验位不正确"),
        (
            EXAMPLE.replace(".20230000403.", ".2023-0403."),
            "证照标识的流水号应为1至32位数字或大写字母",
        ),
        (EXAMPLE.replace(".001.", ".1.", 1), "版本号应为3位数字"),
        (EXAMPLE.replace(".001.", ".000.", 1), "版本号应为3位数字"),
        ("1.2.156.3005.2." + "9" * 90, "证照标识不能超过100个字符"),
    ],
)
def test_a_malformed_identifier_is_refused_naming_the_part(text, reason):
    with pytest.raises(DomainError, match=reason) as refused:
        parse_identifier(text)
    assert refused.value.errors[0].field == "identifier"


def test_parts_are_checked_when_an_identifier_is_made():
    with pytest.raises(DomainError, match="版本号应为1至999的整数"):
        make_identifier(type_code=TYPE_CODE, issuer_uscc=ISSUER, serial="1", version=1000)
    with pytest.raises(DomainError, match="流水号应为1至32位数字或大写字母"):
        make_identifier(type_code=TYPE_CODE, issuer_uscc=ISSUER, serial="编号1", version=1)


@pytest.mark.django_db
def test_serials_count_per_type_issuer_and_year_and_sort():
    def next_serial(issuer=ISSUER, year=2026):
        return services.allocate_serial(type_code=TYPE_CODE, issuer_uscc=issuer, year=year)

    first, second = next_serial(), next_serial()
    assert (first, second) == ("20260000001", "20260000002")
    assert next_serial(year=2027) == "20270000001"
    assert next_serial(issuer=company_uscc(1)) == "20260000001"
    assert next_serial() == "20260000003"
    assert sorted(["20270000001", second, first]) == [first, second, "20270000001"]
    assert SerialCounter.objects.get(issuer_uscc=ISSUER, year=2026).last == 3
