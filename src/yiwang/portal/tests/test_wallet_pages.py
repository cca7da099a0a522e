"""我的证照 pages and the wallet API: the holder's list, detail, downloads, 亮证 with its QR
code, the verifier's page, 授权用证 and 用证记录; the agency's workbench pages and the grantee
endpoints. Another person's license is a 404 everywhere, a grantee's refusal a 403."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.cases.tests.factories import staff
from yiwang.identity import services as identity
from yiwang.identity.constants import Role
from yiwang.identity.testing import sign_in_as
from yiwang.identity.tests.factories import company, in_registry, registered
from yiwang.licenses import wallet
from yiwang.licenses.constants import GranteeKind, UseKind
from yiwang.licenses.models import Authorization, LicenseUse, Showing
from yiwang.licenses.tests.factories import LicenseTypeFactory, company_uscc, make_seal, sign

pytestmark = pytest.mark.django_db

BANK_USCC = company_uscc(80000001)


@pytest.fixture
def alice(world):
    return registered(in_registry("张丽华", 91))


@pytest.fixture
def bob(world):
    return registered(in_registry("李建国", 92))


@pytest.fixture
def health(world, alice, bob):
    """Alice's and Bob's 健康证明, signed by 芙蓉区市场监督管理局."""
    seal = make_seal(world.county_agency)
    kind = LicenseTypeFactory(for_persons=True, display_hints={"title": "从业人员健康证明"})
    data = {"occupation": "餐饮服务"}
    return {
        person.name: sign(
            kind, seal, holder_id=person.id_number, holder_name=person.name, data=data
        )
        for person in (alice, bob)
    }


@pytest.fixture
def license(health, alice):
    return health[alice.name]


@pytest.fixture
def signed_in(client, alice):
    sign_in_as(client, alice.account)
    return client


def test_my_licenses_lists_only_mine(signed_in, alice, bob, health):
    page = signed_in.get(reverse("portal:my_licenses"))
    assert page.status_code == 200
    body = page.content.decode()
    assert health[alice.name].identifier in body and "从业人员健康证明" in body
    assert health[bob.name].identifier not in body and bob.name not in body
    assert "有效" in body


def test_the_list_needs_a_signed_in_person(client, world):
    assert client.get(reverse("portal:my_licenses")).status_code == 302
    sign_in_as(client, staff("clerk", Role.WINDOW_CLERK, world.county, world.county_agency))
    assert client.get(reverse("portal:my_licenses"))["Location"] == reverse("workbench:home")


def test_the_detail_page_shows_fields_status_validity_and_issuer(signed_in, license):
    body = signed_in.get(reverse("portal:license_detail", args=[license.identifier])).content
    body = body.decode()
    for text in ("从业类别", "餐饮服务", "芙蓉区市场监督管理局", license.holder_id_masked, "有效"):
        assert text in body, text
    assert f"{license.valid_until:%Y年%-m月%-d日}" in body


def test_downloads_log_each_use(signed_in, license):
    pdf = signed_in.get(reverse("portal:license_pdf", args=[license.identifier]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="{license.identifier}.pdf"' in pdf["Content-Disposition"]
    document = signed_in.get(reverse("portal:license_json", args=[license.identifier]))
    assert json.loads(document.content)["license"]["identifier"] == license.identifier
    uses = list(LicenseUse.objects.order_by("id").values_list("kind", "detail"))
    assert uses == [
        (UseKind.DOWNLOADED, {"format": "pdf"}),
        (UseKind.DOWNLOADED, {"format": "json"}),
    ]


def _show(client, license) -> str:
    page = client.post(reverse("portal:license_show", args=[license.identifier]))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    body = page.content.decode()
    assert "<svg" in body and "qr-code" in body
    return re.search(r'id="shown-url" href="([^"]+)"', body).group(1)


def test_showing_gives_a_qr_code_whose_link_a_verifier_opens(signed_in, client, license, settings):
    url = _show(signed_in, license)
    assert url.startswith(settings.PUBLIC_BASE_URL + "/licenses/shown/")
    verifier = type(client)()
    page = verifier.get(url.removeprefix(settings.PUBLIC_BASE_URL), REMOTE_ADDR="10.9.9.9")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="shown-verdict"' in body and "有效" in body and "餐饮服务" in body
    use = LicenseUse.objects.get()
    assert use.kind == UseKind.SHOWN and use.address == "10.9.9.9"


def test_showing_is_post_only(signed_in, license):
    url = reverse("portal:license_show", args=[license.identifier])
    assert signed_in.get(url).status_code == 405
    assert not Showing.objects.exists()


def test_an_expired_or_forged_code_gets_only_a_refusal(signed_in, client, license, settings):
    url = _show(signed_in, license).removeprefix(settings.PUBLIC_BASE_URL)
    Showing.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    verifier = type(client)()
    expired = verifier.get(url)
    assert expired.status_code == 410
    assert (
        "已过期" in expired.content.decode() and license.holder_name not in expired.content.decode()
    )
    forged = verifier.get(reverse("portal:license_shown", args=["A" * 32]))
    assert forged.status_code == 404 and "无效" in forged.content.decode()
    assert not LicenseUse.objects.exists()


def test_the_verifier_page_is_rate_limited(client, settings, license):
    settings.RATELIMIT_ENABLE = True
    statuses = [
        client.get(reverse("portal:license_shown", args=["B" * 32])).status_code for _ in range(31)
    ]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


def test_uses_page_lists_newest_first(signed_in, license):
    now = timezone.now()
    for minutes, user in ((2, "较早"), (1, "较晚")):
        LicenseUse.objects.create(
            license=license,
            kind=UseKind.VERIFIED,
            used_at=now - timedelta(minutes=minutes),
            user=user,
        )
    body = signed_in.get(reverse("portal:license_uses", args=[license.identifier])).content.decode()
    assert body.index("较晚") < body.index("较早")


# --- 授权用证 pages ----------------------------------------------------------------------------


def _page_key(client, url: str) -> str:
    """The idempotency key the page's form carries."""
    body = client.get(url).content.decode()
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', body).group(1)


def test_a_double_click_on_show_is_one_showing_and_show_again_is_another(signed_in, license):
    key = _page_key(signed_in, reverse("portal:license_detail", args=[license.identifier]))
    url = reverse("portal:license_show", args=[license.identifier])
    first = signed_in.post(url, {"idempotency_key": key}).content.decode()
    second = signed_in.post(url, {"idempotency_key": key}).content.decode()
    shown = re.compile(r'id="shown-url" href="([^"]+)"')
    assert shown.search(first).group(1) == shown.search(second).group(1)
    assert Showing.objects.count() == 1
    again = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', second).group(1)
    assert again != key  # 重新亮证 on the shown page is a new showing
    signed_in.post(url, {"idempotency_key": again})
    assert Showing.objects.count() == 2


def test_a_resubmitted_authorization_form_grants_once(signed_in, world, license):
    key = _page_key(signed_in, reverse("portal:license_authorizations", args=[license.identifier]))
    fields = {"grantee_agency": world.city_agency.pk, "idempotency_key": key}
    assert _authorize(signed_in, license, **fields).status_code == 302
    assert _authorize(signed_in, license, **fields).status_code == 302
    assert Authorization.objects.count() == 1
    fields["idempotency_key"] = "x" * 200  # not a key: as if none was sent
    assert _authorize(signed_in, license, **fields).status_code == 302
    assert Authorization.objects.count() == 2


def _authorize(client, license, **fields):
    today = timezone.localdate()
    form = {
        "grantee_kind": GranteeKind.AGENCY,
        "purpose": "办理食品经营许可",
        "valid_from": f"{today:%Y-%m-%d}",
        "valid_until": f"{today + timedelta(days=7):%Y-%m-%d}",
        **fields,
    }
    return client.post(reverse("portal:license_authorizations", args=[license.identifier]), form)


def test_authorizing_an_agency_and_revoking(signed_in, world, license):
    response = _authorize(signed_in, license, grantee_agency=world.city_agency.pk)
    assert response.status_code == 302
    authorization = Authorization.objects.get()
    assert authorization.grantee_agency == world.city_agency
    assert authorization.valid_from <= timezone.now() + timedelta(seconds=1)
    assert timezone.localtime(authorization.valid_until).hour == 23
    page = signed_in.get(response["Location"]).content.decode()
    assert world.city_agency.name in page and "有效" in page
    revoke = reverse(
        "portal:license_revoke_authorization", args=[license.identifier, authorization.pk]
    )
    assert signed_in.post(revoke).status_code == 302
    assert Authorization.objects.get().revoked_at is not None
    signed_in.post(revoke)  # a second revocation: a message, not an error page
    assert "已撤回" in signed_in.get(response["Location"]).content.decode()


def test_a_third_party_code_is_shown_once(signed_in, license):
    response = _authorize(
        signed_in,
        license,
        grantee_kind=GranteeKind.THIRD_PARTY,
        grantee_name="长沙银行股份有限公司",
        grantee_uscc=BANK_USCC,
    )
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    code = re.search(r'id="access-code">([0-9A-Z-]+)<', response.content.decode()).group(1)
    assert len(code) == 19
    again = signed_in.get(reverse("portal:license_authorizations", args=[license.identifier]))
    assert code not in again.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"grantee_agency": ""}, "请选择被授权的政务部门"),
        ({"grantee_agency": "abc"}, "请选择被授权的政务部门"),
        ({"valid_from": "2020-01-01"}, "生效时间不能早于当前时间"),
        ({"valid_until": "not a date"}, "时间格式不正确"),
        ({"valid_until": "2026-02-30"}, "时间格式不正确"),
        ({"valid_until": "2999-01-01"}, "授权期限最长"),
        ({"purpose": ""}, "请填写用途"),
        ({"grantee_kind": ""}, "请选择被授权方类别"),
        (
            {
                "grantee_kind": GranteeKind.THIRD_PARTY,
                "grantee_name": "某公司",
                "grantee_uscc": "1",
            },
            "统一社会信用代码",
        ),
    ],
)
def test_bad_input_shows_the_reason_and_writes_nothing(signed_in, world, license, fields, message):
    fields = {"grantee_agency": world.city_agency.pk, **fields}
    response = _authorize(signed_in, license, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Authorization.objects.exists()


# --- the agency's workbench pages --------------------------------------------------------------


def test_the_agency_reads_through_the_workbench(client, world, alice, license):
    authorization, _ = wallet.authorize_use(
        license=license,
        account=alice.account,
        grantee_kind=GranteeKind.AGENCY,
        grantee_agency_id=world.city_agency.pk,
        purpose="办理食品经营许可",
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=1),
    )
    clerk = staff("city-clerk", Role.WINDOW_CLERK, world.city, world.city_agency)
    sign_in_as(client, clerk)
    listing = client.get(reverse("workbench:authorized")).content.decode()
    assert license.identifier in listing
    url = reverse("workbench:authorized_license", args=[authorization.pk, license.identifier])
    page = client.get(url)
    assert page.status_code == 200 and "餐饮服务" in page.content.decode()
    assert LicenseUse.objects.get().kind == UseKind.AUTHORIZED_USE
    other = staff("county-clerk", Role.WINDOW_CLERK, world.county, world.county_agency)
    sign_in_as(client, other)
    refused = client.get(url)
    assert refused.status_code == 403
    assert "未获得" in refused.content.decode() and "餐饮服务" not in refused.content.decode()
    assert LicenseUse.objects.count() == 1


# --- the API ---------------------------------------------------------------------------------


def test_the_holder_api(signed_in, alice, bob, health, world):
    license = health[alice.name]
    listed = signed_in.get("/api/wallet/licenses").json()
    assert [entry["identifier"] for entry in listed] == [license.identifier]
    detail = signed_in.get(f"/api/wallet/licenses/{license.identifier}").json()
    assert detail["status"] == "valid" and detail["fields"][0]["title"] == "从业类别"
    shown = signed_in.post(f"/api/wallet/licenses/{license.identifier}/showings")
    assert shown.status_code == 201 and "/licenses/shown/" in shown.json()["url"]
    start = timezone.now() + timedelta(minutes=1)
    granted = signed_in.post(
        f"/api/wallet/licenses/{license.identifier}/authorizations",
        {
            "grantee_kind": "third_party",
            "grantee_name": "长沙银行股份有限公司",
            "grantee_uscc": BANK_USCC,
            "purpose": "开户",
            "valid_from": start.isoformat(),
            "valid_until": (start + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert granted.status_code == 201, granted.content
    assert len(granted.json()["access_code"]) == 19
    bad = signed_in.post(
        f"/api/wallet/licenses/{license.identifier}/authorizations",
        {"grantee_kind": "agency", "purpose": "", "valid_from": "x", "valid_until": "y"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    authorization = granted.json()["id"]
    revoke = f"/api/wallet/licenses/{license.identifier}/authorizations/{authorization}/revoke"
    assert signed_in.post(revoke).json()["state"] == "已撤回"
    assert signed_in.post(revoke).status_code == 409
    uses = signed_in.get(f"/api/wallet/licenses/{license.identifier}/uses").json()
    assert uses == []
    others = health[bob.name].identifier
    for path in (
        f"/api/wallet/licenses/{others}",
        f"/api/wallet/licenses/{others}/uses",
        f"/api/wallet/licenses/{others}/authorizations",
    ):
        assert signed_in.get(path).status_code == 404, path
    assert signed_in.post(f"/api/wallet/licenses/{others}/showings").status_code == 404


def test_the_holder_api_needs_a_login(client, license):
    assert client.get("/api/wallet/licenses").status_code == 401


def test_the_grantee_api(client, world, alice, license):
    agency_grant, _ = wallet.authorize_use(
        license=license,
        account=alice.account,
        grantee_kind=GranteeKind.AGENCY,
        grantee_agency_id=world.city_agency.pk,
        purpose="办理食品经营许可",
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=1),
    )
    _, code = wallet.authorize_use(
        license=license,
        account=alice.account,
        grantee_kind=GranteeKind.THIRD_PARTY,
        grantee_name="长沙银行股份有限公司",
        grantee_uscc=BANK_USCC,
        purpose="开户",
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=1),
    )
    body = {"access_code": code, "grantee_uscc": BANK_USCC, "identifier": license.identifier}
    read = client.post(
        "/api/authorized-licenses/access-code", body, content_type="application/json"
    )
    assert read.status_code == 200 and read.json()["license"]["holder_name"] == alice.name
    again = client.post(
        "/api/authorized-licenses/access-code", body, content_type="application/json"
    )
    assert again.status_code == 403 and "已使用" in again.json()["detail"]
    assert "license" not in again.json()

    url = f"/api/authorized-licenses/{agency_grant.pk}?identifier={license.identifier}"
    assert client.get(url).status_code == 401
    sign_in_as(client, staff("city-clerk", Role.WINDOW_CLERK, world.city, world.city_agency))
    ok = client.get(url)
    assert ok.status_code == 200 and ok.json()["verification"]["verdict"] == "valid"
    sign_in_as(client, staff("county-clerk", Role.WINDOW_CLERK, world.county, world.county_agency))
    refused = client.get(url)
    assert refused.status_code == 403 and "license" not in refused.json()
    kinds = list(LicenseUse.objects.values_list("kind", flat=True))
    assert kinds == [UseKind.AUTHORIZED_USE, UseKind.AUTHORIZED_USE]


def test_the_access_code_endpoint_is_rate_limited(client, settings, license):
    settings.RATELIMIT_ENABLE = True
    body = {"access_code": "0" * 16, "grantee_uscc": BANK_USCC, "identifier": license.identifier}
    statuses = [
        client.post(
            "/api/authorized-licenses/access-code", body, content_type="application/json"
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [403] * 10 and statuses[10] == 429


def test_an_authorization_is_revoked_only_through_its_own_license(
    client, world, alice, bob, health
):
    bobs = health[bob.name]
    authorization, _ = wallet.authorize_use(
        license=bobs,
        account=bob.account,
        grantee_kind=GranteeKind.AGENCY,
        grantee_agency_id=world.city_agency.pk,
        purpose="办理食品经营许可",
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=1),
    )
    sign_in_as(client, alice.account)
    mine = health[alice.name].identifier
    url = reverse("portal:license_revoke_authorization", args=[mine, authorization.pk])
    assert client.post(url).status_code == 404
    assert Authorization.objects.get().revoked_at is None


def test_an_agent_sees_the_organizations_licenses(client, world, alice, bob):
    uscc = company(alice, 73)
    organization = identity.claim_organization(identity.Actor(alice.account), alice.account, uscc)
    kind = LicenseTypeFactory()
    license = sign(kind, make_seal(world.county_agency), holder_id=uscc, holder_name="湘江餐饮")
    sign_in_as(client, alice.account)
    page = client.get(reverse("portal:my_licenses")).content.decode()
    assert 'id="organization-licenses"' in page and license.identifier in page
    sign_in_as(client, bob.account)
    assert (
        client.get(reverse("portal:license_detail", args=[license.identifier])).status_code == 404
    )
    identity.add_agent(
        identity.Actor(alice.account),
        organization,
        id_number=bob.id_number,
        name=bob.name,
        valid_until=None,
    )
    detail = client.get(reverse("portal:license_detail", args=[license.identifier]))
    assert detail.status_code == 200 and "湘江餐饮" in detail.content.decode()
