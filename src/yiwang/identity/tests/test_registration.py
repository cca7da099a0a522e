import pytest

from yiwang.catalog.constants import RealNameLevel
from yiwang.core import sms
from yiwang.core.audit import AuditRecord
from yiwang.core.errors import DomainError
from yiwang.identity import services
from yiwang.identity.constants import CodePurpose
from yiwang.identity.models import Account
from yiwang.identity.tests.factories import PASSWORD, in_registry, registered

pytestmark = pytest.mark.django_db


def _register(person, **changes):
    services.request_code(person.phone, CodePurpose.REGISTER, address="10.0.0.2")
    fields = {
        "id_number": person.id_number,
        "name": person.name,
        "phone": person.phone,
        "code": sms.latest_outbox_code(person.phone),
        "password": PASSWORD,
    }
    return services.register_person(**{**fields, **changes})


def _refusal(person, **changes) -> dict[str, str]:
    with pytest.raises(DomainError) as refused:
        _register(person, **changes)
    assert not Account.objects.exists(), "a refused registration must leave nothing behind"
    return {error.field: error.message for error in refused.value.errors}


def test_registration_makes_an_l1_account_with_sealed_identifiers(world):
    person = in_registry("王芳", 21)
    account = _register(person)
    assert account.level == RealNameLevel.REGISTERED
    assert account.id_number_masked == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert account.phone_masked == person.phone[:3] + "****" + person.phone[-4:]
    stored = Account.objects.filter(pk=account.pk).values().get()
    assert not any(person.id_number in str(value) for value in stored.values())
    assert not any(person.phone in str(value) for value in stored.values())
    assert account.check_password(PASSWORD)
    assert AuditRecord.objects.filter(action="account.registered").count() == 1


def test_invalid_id_number_is_refused_naming_the_field(world):
    person = in_registry("王芳", 22)
    errors = _refusal(person, id_number=person.id_number[:-1] + "0")
    assert "id_number" in errors


def test_wrong_or_replayed_code_is_refused(world):
    person = in_registry("王芳", 23)
    assert "code" in _refusal(person, code="000000")
    code = sms.latest_outbox_code(person.phone)
    registered_once = services.register_person(
        id_number=person.id_number,
        name=person.name,
        phone=person.phone,
        code=code,
        password=PASSWORD,
    )
    registered_once.delete()
    with pytest.raises(DomainError) as replay:
        services.register_person(
            id_number=person.id_number,
            name=person.name,
            phone=person.phone,
            code=code,
            password=PASSWORD,
        )
    assert replay.value.errors[0].field == "code"


def test_weak_password_is_refused(world):
    person = in_registry("王芳", 24)
    assert "password" in _refusal(person, password="12345678")


def test_an_id_number_registers_once(world):
    person = registered(in_registry("王芳", 25), real_name=False)
    person.phone = "13700000025"  # another phone, the same ID number
    with pytest.raises(DomainError) as refused:
        _register(person)
    assert refused.value.errors[0].field == "id_number"
    assert Account.objects.count() == 1
