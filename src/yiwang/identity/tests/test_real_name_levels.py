import pytest
from django.core import signing

from yiwang.catalog.constants import RealNameLevel
from yiwang.core.audit import AuditRecord
from yiwang.core.errors import DomainError
from yiwang.identity import selectors, services
from yiwang.identity.plugins import strong_verifiers
from yiwang.identity.tests.factories import in_registry, registered
from yiwang.registries.constants import PersonStatus

pytestmark = pytest.mark.django_db


def test_name_and_id_number_matching_the_registry_give_l2(world):
    person = registered(in_registry("赵敏", 31), real_name=False)
    services.verify_real_name(services.Actor(person.account), person.account)
    person.account.refresh_from_db()
    assert person.account.level == RealNameLevel.REAL_NAME
    assert person.account.level_method == "population_registry"


def test_a_name_that_differs_from_the_registry_stays_l1(world):
    person = registered(in_registry("赵敏", 32), real_name=False)
    person.account.name = "赵明"
    person.account.save()
    with pytest.raises(DomainError, match="姓名与公民身份号码不一致"):
        services.verify_real_name(services.Actor(person.account), person.account)
    person.account.refresh_from_db()
    assert person.account.level == RealNameLevel.REGISTERED
    assert AuditRecord.objects.filter(action="realname.refused").exists()


def test_a_deceased_holder_cannot_be_verified(world):
    person = registered(in_registry("钱进", 33, status=PersonStatus.DECEASED), real_name=False)
    with pytest.raises(DomainError, match="死亡"):
        services.verify_real_name(services.Actor(person.account), person.account)


def test_simulated_face_check_gives_l3_once(alice, bob):
    verifier = strong_verifiers["simulated-face"]
    evidence = verifier.challenge(alice.account)
    services.verify_strong(services.Actor(alice.account), alice.account, evidence=evidence)
    alice.account.refresh_from_db()
    assert alice.account.level == RealNameLevel.STRONG
    with pytest.raises(DomainError, match="已使用"):
        services.verify_strong(services.Actor(alice.account), alice.account, evidence=evidence)


def test_face_check_evidence_of_another_account_or_tampered_is_refused(alice, bob):
    verifier = strong_verifiers["simulated-face"]
    evidence = verifier.challenge(alice.account)
    with pytest.raises(DomainError, match="不属于本账号"):
        services.verify_strong(services.Actor(bob.account), bob.account, evidence=evidence)
    with pytest.raises(DomainError, match="无效"):
        services.verify_strong(services.Actor(bob.account), bob.account, evidence=evidence + "x")
    forged = signing.dumps({"account": str(bob.account.uid), "nonce": "1"}, salt="other")
    with pytest.raises(DomainError, match="无效"):
        services.verify_strong(services.Actor(bob.account), bob.account, evidence=forged)
    bob.account.refresh_from_db()
    assert bob.account.level == RealNameLevel.REAL_NAME


def test_items_name_the_least_level_they_accept(alice, world):
    item = world.food
    assert selectors.level_shortfall(alice.account, item) == ""  # L2 meets the default
    item.min_real_name_level = RealNameLevel.STRONG
    item.save()
    assert "L3" in selectors.level_shortfall(alice.account, item)
