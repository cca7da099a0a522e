"""A person reaches no other person's data through any page: every account page that takes an
identifier is tried with someone else's, and the table must name every such page."""

from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.catalog.tests.factories import food_guide
from yiwang.identity import services
from yiwang.identity.models import Delegation, OrganizationMember, SessionRecord
from yiwang.identity.testing import sign_in_as
from yiwang.identity.tests.factories import company
from yiwang.licenses import wallet
from yiwang.licenses.constants import GranteeKind
from yiwang.licenses.models import Authorization, LicenseUse, Showing
from yiwang.licenses.tests.factories import LicenseTypeFactory, make_seal, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_things(client, alice, bob, world):
    guide = food_guide()
    del guide["materials"][1]
    item = world.implement(world.county_agency, guide).service_item
    case = cases.start_application(alice.account, item.implementation_code)
    material = cases.add_material(
        alice.account, case, name="食品经营许可申请书", data=b"%PDF-1.4 x", filename="a.pdf"
    )
    actor = services.Actor(alice.account)
    organization = services.claim_organization(actor, alice.account, company(alice, 9))
    delegation = services.grant_delegation(
        actor,
        grantee_id_number=bob.id_number,
        grantee_name=bob.name,
        item_codes=[world.food.basic_code],
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=5),
    )
    session = sign_in_as(type(client)(), alice.account)
    member = OrganizationMember.objects.get(organization=organization)
    license = sign(
        LicenseTypeFactory(for_persons=True),
        make_seal(world.county_agency),
        holder_id=alice.id_number,
        holder_name=alice.name,
        data={"occupation": "餐饮服务"},
    )
    authorization, _ = wallet.authorize_use(
        license=license,
        account=alice.account,
        grantee_kind=GranteeKind.AGENCY,
        grantee_agency_id=world.city_agency.pk,
        purpose="办理食品经营许可",
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=5),
    )
    wallet.record_download(license=license, account=alice.account, form="pdf")
    return {
        "license": license,
        "authorization": authorization,
        "organization": organization,
        "delegation": delegation,
        "session": session,
        "member": member,
        "case": case,
        "material": material,
    }


def _attempts(things) -> dict[str, tuple[str, list]]:
    uscc = things["organization"].uscc
    uid = things["case"].uid
    identifier = things["license"].identifier
    return {
        "portal:case_detail": ("get", [uid]),
        "portal:case_edit": ("post", [uid]),
        "portal:case_upload": ("post", [uid]),
        "portal:case_submit": ("post", [uid]),
        "portal:case_resubmit": ("post", [uid]),
        "portal:case_withdraw": ("post", [uid]),
        "portal:case_material": ("get", [uid, things["material"].pk]),
        "portal:case_document": ("get", [uid, 1]),
        "portal:case_delivery": ("post", [uid]),
        "portal:organization": ("get", [uscc]),
        "portal:revoke_agent": ("post", [uscc, things["member"].pk]),
        "portal:revoke_delegation": ("post", [things["delegation"].pk]),
        "portal:end_session": ("post", [things["session"].sid]),
        "portal:license_detail": ("get", [identifier]),
        "portal:license_pdf": ("get", [identifier]),
        "portal:license_json": ("get", [identifier]),
        "portal:license_show": ("post", [identifier]),
        "portal:license_uses": ("get", [identifier]),
        "portal:license_authorizations": ("post", [identifier]),
        "portal:license_revoke_authorization": (
            "post",
            [identifier, things["authorization"].pk],
        ),
    }


def _names_a_record(pattern) -> bool:
    """Routes whose parameters name someone's record (an item code names public data)."""
    return bool(set(pattern.pattern.converters) - {"code"})


def test_every_account_page_with_an_identifier_is_covered(alices_things):
    portal = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "portal")
    with_identifiers = {
        f"portal:{pattern.name}"
        for pattern in portal.url_patterns
        if str(pattern.pattern).startswith("my/") and _names_a_record(pattern)
    }
    assert with_identifiers == set(_attempts(alices_things))


def test_bob_cannot_reach_alices_records(client, bob, alices_things):
    sign_in_as(client, bob.account)
    for name, (method, args) in _attempts(alices_things).items():
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 404, name
    assert Delegation.objects.get().revoked_at is None
    assert alices_things["case"].__class__.objects.get().status == "draft"
    assert SessionRecord.objects.get(pk=alices_things["session"].pk).ended_at is None
    assert OrganizationMember.objects.get().revoked_at is None
    assert Authorization.objects.get().revoked_at is None
    assert not Showing.objects.exists()
    assert LicenseUse.objects.count() == 1  # Alice's own download; Bob's tries log nothing


def test_pages_show_only_the_signed_in_persons_identifiers(client, alice, bob, alices_things):
    sign_in_as(client, bob.account)
    pages = ("portal:my_account", "portal:my_organizations", "portal:my_sessions")
    for name in (*pages, "portal:my_licenses"):
        page = client.get(reverse(name)).content.decode()
        assert alice.account.id_number_masked not in page, name
        assert alice.id_number not in page and bob.id_number not in page, name
    overview = client.get(reverse("portal:my_account")).content.decode()
    assert bob.account.id_number_masked in overview
    licenses = client.get(reverse("portal:my_licenses")).content.decode()
    assert alices_things["license"].identifier not in licenses
