"""The base registries: sealed ID numbers, real-name matching, credit lists, the generator."""

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from stdnum.cn import ric, uscc

from yiwang.core.errors import DomainError
from yiwang.core.models import AuditRecord
from yiwang.regions.services import DivisionRow, import_divisions
from yiwang.registries import generate as generate_module
from yiwang.registries import selectors, services
from yiwang.registries.generate import generate
from yiwang.registries.models import LegalPersonRecord, PersonRecord

pytestmark = pytest.mark.django_db

ID_NUMBER = "430102199003070936"


@pytest.fixture
def furong():
    import_divisions(
        [
            DivisionRow("430000000000", "湖南省", 1, ""),
            DivisionRow("430100000000", "长沙市", 2, "430000000000"),
            DivisionRow("430102000000", "芙蓉区", 3, "430100000000"),
            DivisionRow("430102001000", "文艺路街道", 4, "430102000000"),
            DivisionRow("430102001001", "识字里社区", 5, "430102001000"),
        ],
        dataset="test",
    )
    return "430102001001"


def test_id_number_is_stored_sealed_indexed_and_masked(furong):
    person = services.register_person(
        name="张伟", id_number=ID_NUMBER, household_region_code=furong
    )
    stored = PersonRecord.objects.values().get(pk=person.pk)
    assert ID_NUMBER not in str(stored)
    assert stored["id_number_masked"] == "4301**********0936"
    assert (person.sex, person.birth_date) == ("M", date(1990, 3, 7))
    assert selectors.person_by_id_number(ID_NUMBER) == person


def test_real_name_check_against_the_registry(furong):
    services.register_person(name="张伟", id_number=ID_NUMBER, household_region_code=furong)
    assert selectors.check_real_name("张伟", ID_NUMBER).matched
    assert selectors.check_real_name("张玮", ID_NUMBER).reason == "姓名与公民身份号码不一致"
    assert not selectors.check_real_name("张伟", "11010519491231002X").matched
    with pytest.raises(DomainError, match="校验位不正确"):
        selectors.check_real_name("张伟", "430102199003070937")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id_number": "430102199003070937"}, "id_number"),
        ({"name": " "}, "name"),
        ({"household_region_code": "439999000000"}, "household_region"),
        ({"status": "lost"}, "status"),
    ],
)
def test_bad_person_records_are_refused_and_nothing_is_saved(furong, fields, field):
    data = {"name": "张伟", "id_number": ID_NUMBER, "household_region_code": furong, **fields}
    with pytest.raises(DomainError) as raised:
        services.register_person(**data)
    assert raised.value.errors[0].field == field
    assert not PersonRecord.objects.exists()


def test_a_person_is_registered_once(furong):
    services.register_person(name="张伟", id_number=ID_NUMBER, household_region_code=furong)
    with pytest.raises(DomainError, match="已在人口库中"):
        services.register_person(name="张伟", id_number=ID_NUMBER, household_region_code=furong)


def test_revealing_the_full_number_is_audited_without_the_number(furong):
    person = services.register_person(
        name="张伟", id_number=ID_NUMBER, household_region_code=furong
    )
    with pytest.raises(DomainError, match="说明用途"):
        services.reveal_id_number(person, actor="clerk1", purpose=" ")
    shown = services.reveal_id_number(
        person, actor="clerk1", address="10.0.0.8", purpose="受理核验"
    )
    assert shown == ID_NUMBER
    record = AuditRecord.objects.get()
    assert record.action == "pii.id_number_viewed" and record.actor == "clerk1"
    assert ID_NUMBER not in str(record.detail)


def test_legal_person_and_credit_lists(furong):
    code = "91430102MA4L16JQ9" + uscc.calc_check_digit("91430102MA4L16JQ9")
    services.register_legal_person(
        name="长沙湘江餐饮有限公司",
        uscc=code,
        kind="enterprise",
        representative_name="张伟",
        representative_id_number=ID_NUMBER,
        registered_region_code="430102000000",
    )
    assert [o.uscc for o in selectors.organizations_represented_by(ID_NUMBER)] == [code]
    services.list_credit(
        subject_kind="organization",
        subject=code,
        credit_list="black",
        reason="拒不履行行政处罚决定",
        authority="芙蓉区市场监督管理局",
        listed_on=date(2026, 1, 5),
        expires_on=date(2027, 1, 5),
    )
    assert selectors.credit_listings("organization", code, on=date(2026, 6, 1)).count() == 1
    assert selectors.credit_listings("organization", code, on=date(2027, 2, 1)).count() == 0
    with pytest.raises(DomainError, match="移出日期应晚于列入日期"):
        services.list_credit(
            subject_kind="person",
            subject=ID_NUMBER,
            credit_list="red",
            reason="见义勇为",
            authority="长沙市",
            listed_on=date(2026, 1, 5),
            expires_on=date(2026, 1, 1),
        )
    with pytest.raises(DomainError, match="统一社会信用代码"):
        services.register_legal_person(
            name="坏代码",
            uscc=code[:-1] + "0" if code[-1] != "0" else code[:-1] + "1",
            kind="enterprise",
            representative_name="张伟",
            representative_id_number=ID_NUMBER,
            registered_region_code="430102000000",
        )


def test_generator_makes_valid_consistent_records_and_is_idempotent(furong):
    stats = generate(200, 20, seed=7)
    assert (stats.persons, stats.organizations) == (200, 20)
    for person in PersonRecord.objects.all()[:50]:
        number = services.Sealer(services.ID_NUMBER_PURPOSE).open(person.id_number_sealed)
        assert ric.is_valid(number)
        assert ric.get_birth_date(number) == person.birth_date
        assert number[:6] == person.household_region.code[:6]
    assert all(
        uscc.is_valid(code) for code in LegalPersonRecord.objects.values_list("uscc", flat=True)
    )
    again = generate(200, 20, seed=7)
    assert (again.persons, again.organizations) == (0, 0)


def test_batches_and_lookup_chunks_do_not_change_what_is_generated(furong, monkeypatch):
    monkeypatch.setattr(generate_module, "LOOKUP", 10)  # stored keys are found across chunks
    monkeypatch.setattr(generate_module, "BATCH", 64)
    seen = []
    assert generate(150, 0, seed=7, progress=lambda *done: seen.append(done)).persons == 150
    assert seen == [("persons", 64, 150), ("persons", 128, 150), ("persons", 150, 150)]
    monkeypatch.setattr(generate_module, "BATCH", 1000)
    assert generate(200, 0, seed=7).persons == 50


def test_the_command_reports_progress_and_the_rate(furong):
    out = io.StringIO()
    call_command("registries", "generate", persons=30, organizations=5, stdout=out)
    progress_persons, progress_organizations, summary = out.getvalue().splitlines()
    assert progress_persons.startswith("persons 30/30")
    assert progress_organizations.startswith("organizations 5/5")
    assert re.fullmatch(
        r"persons \+30, organizations \+5: 35 records in [\d.]+s \([\d,]+ records/s\)", summary
    )
