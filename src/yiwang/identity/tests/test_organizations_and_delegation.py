from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.core.audit import AuditRecord
from yiwang.core.errors import DomainError
from yiwang.identity import selectors, services
from yiwang.identity.models import Delegation
from yiwang.identity.testing import sign_in_as
from yiwang.identity.tests.factories import company, in_registry, registered

pytestmark = pytest.mark.django_db


def _actor(person):
    return services.Actor(person.account, "10.0.0.3")


def test_the_registered_representative_opens_the_organization_account(alice, bob):
    uscc = company(alice, 1)
    with pytest.raises(DomainError, match="法定代表人"):
        services.claim_organization(_actor(bob), bob.account, uscc)
    organization = services.claim_organization(_actor(alice), alice.account, uscc)
    assert selectors.may_act_for_organization(alice.account, uscc)
    assert not selectors.may_act_for_organization(bob.account, uscc)
    assert organization.name == "长沙湘江餐饮有限公司"


def test_an_unknown_or_malformed_uscc_is_refused(alice):
    with pytest.raises(DomainError) as refused:
        services.claim_organization(_actor(alice), alice.account, "91430102MA4L0000X0")
    assert refused.value.errors[0].field == "uscc"


def test_agents_are_added_and_revoked_by_the_representative_only(alice, bob, world):
    organization = services.claim_organization(_actor(alice), alice.account, company(alice, 2))
    carol = registered(in_registry("周晓", 41))
    with pytest.raises(DomainError, match="姓名"):
        services.add_agent(
            _actor(alice), organization, id_number=bob.id_number, name="别人", valid_until=None
        )
    member = services.add_agent(
        _actor(alice), organization, id_number=bob.id_number, name=bob.name, valid_until=None
    )
    assert selectors.may_act_for_organization(bob.account, organization.uscc)
    with pytest.raises(DomainError, match="法定代表人"):
        services.add_agent(
            _actor(bob), organization, id_number=carol.id_number, name=carol.name, valid_until=None
        )
    services.revoke_agent(_actor(alice), member)
    assert not selectors.may_act_for_organization(bob.account, organization.uscc)
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"organization.agent_added", "organization.agent_revoked"} <= actions


def test_an_agents_authority_ends_at_its_date(alice, bob):
    organization = services.claim_organization(_actor(alice), alice.account, company(alice, 3))
    member = services.add_agent(
        _actor(alice),
        organization,
        id_number=bob.id_number,
        name=bob.name,
        valid_until=timezone.now() + timedelta(days=1),
    )
    assert selectors.may_act_for_organization(bob.account, organization.uscc)
    member.valid_until = timezone.now() - timedelta(seconds=1)
    member.save()
    assert not selectors.may_act_for_organization(bob.account, organization.uscc)


def _delegate(grantor, grantee, codes, *, days=30):
    now = timezone.now()
    return services.grant_delegation(
        _actor(grantor),
        grantee_id_number=grantee.id_number,
        grantee_name=grantee.name,
        item_codes=codes,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=days),
    )


def test_a_delegation_covers_its_items_and_period_only(alice, bob, world):
    delegation = _delegate(alice, bob, [world.food.basic_code])
    assert selectors.may_act_for_person(bob.account, alice.account, world.food.basic_code)
    assert not selectors.may_act_for_person(bob.account, alice.account, "XK99999000")
    assert not selectors.may_act_for_person(alice.account, bob.account, world.food.basic_code)
    Delegation.objects.filter(pk=delegation.pk).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert not selectors.may_act_for_person(bob.account, alice.account, world.food.basic_code)


def test_a_revoked_delegation_stops_at_once_and_only_its_grantor_revokes(alice, bob, world):
    delegation = _delegate(alice, bob, [world.food.basic_code])
    with pytest.raises(DomainError, match="委托人"):
        services.revoke_delegation(_actor(bob), delegation)
    services.revoke_delegation(_actor(alice), delegation)
    assert not selectors.may_act_for_person(bob.account, alice.account, world.food.basic_code)
    actions = list(AuditRecord.objects.values_list("action", flat=True))
    assert actions.count("delegation.granted") == 1 and actions.count("delegation.revoked") == 1


def test_bad_delegations_are_refused_with_the_field(alice, bob, world):
    cases = [
        ({"item_codes": []}, "items"),
        ({"item_codes": ["XK00000000"]}, "items"),
        ({"grantee_name": "不对"}, "grantee_name"),
        ({"grantee_id_number": alice.id_number, "grantee_name": alice.name}, "grantee_id_number"),
        ({"valid_until": timezone.now() - timedelta(days=2)}, "valid_until"),
    ]
    for changes, field in cases:
        fields = {
            "grantee_id_number": bob.id_number,
            "grantee_name": bob.name,
            "item_codes": [world.food.basic_code],
            "valid_from": timezone.now() - timedelta(days=3),
            "valid_until": timezone.now() + timedelta(days=3),
            **changes,
        }
        with pytest.raises(DomainError) as refused:
            services.grant_delegation(_actor(alice), **fields)
        assert refused.value.errors[0].field == field, changes
    assert not Delegation.objects.exists()


def test_both_sides_see_the_delegation_and_nobody_else(client, alice, bob, world):
    _delegate(alice, bob, [world.food.basic_code])
    carol = registered(in_registry("周晓", 42))
    for person, visible in ((alice, True), (bob, True), (carol, False)):
        sign_in_as(client, person.account)
        page = client.get(reverse("portal:my_delegations")).content.decode()
        assert ("食品经营许可" in page.split("新建委托")[0]) is visible, person.name
