"""我的证照 in a real Chromium against a real server with the demo data: 张丽华 holds a 健康证明
(signed in the setup with services.make_seal and services.sign_license on the server's
database), opens 我的证照, shows it (亮证), and a verifier — another browser context, not
signed in — opens the QR code's link and reads 有效.

Screenshots land in test-artifacts/ (git-ignored) as wallet-*.png.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from yiwang.identity.demo import DEMO_PEOPLE
from yiwang.portal.tests.test_browser_case_journeys import citizen_login, server_shell
from yiwang.portal.tests.test_browser_guide import (  # noqa: F401 (browser is a fixture)
    ARTIFACTS,
    DESKTOP,
    PHONE,
    browser,
    open_page,
)

pytestmark = pytest.mark.browser

ZHANG = DEMO_PEOPLE[0]

ISSUE_LICENSE = """
from django.utils import timezone
from yiwang.licenses import services
from yiwang.licenses.models import LicenseType
from yiwang.regions.models import Organization
agency = Organization.objects.filter(region__code__startswith="430102").order_by("pk").first()
kind, _ = LicenseType.objects.get_or_create(
    code="11100000000013338W901",
    defaults=dict(
        name="健康证明", holder_kind="person", validity_kind="years", validity_years=1,
        data_schema={"type": "object", "required": ["occupation"],
                     "properties": {"occupation": {"title": "从业类别", "type": "string"}}},
        display_hints={"title": "从业人员健康证明", "order": ["occupation"]},
    ),
)
seal = services.make_seal(agency=agency, name="浏览器测试专用章", actor="e2e")
license = services.sign_license(
    license_type=kind, seal=seal, holder_id="{id_number}", holder_name="{name}",
    data={"occupation": "餐饮服务"}, issued_on=timezone.localdate(), actor="e2e",
)
print(license.identifier)
"""


@pytest.fixture(scope="module")
def zhangs_license(live_portal_env) -> str:
    code = ISSUE_LICENSE.replace("{id_number}", ZHANG.id_number).replace("{name}", ZHANG.name)
    return server_shell(live_portal_env, code)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"wallet-{name}.png", full_page=True)


def test_show_a_license_and_a_verifier_reads_valid(
    browser: Browser,  # noqa: F811
    live_portal: str,
    zhangs_license: str,
):
    holder = open_page(browser, live_portal, DESKTOP)
    verifier = open_page(browser, live_portal, PHONE)
    try:
        citizen_login(holder, ZHANG.id_number)
        holder.get_by_role("navigation", name="我的账号").get_by_role(
            "link", name="我的证照"
        ).click()
        holder.wait_for_url("**/my/licenses/")
        expect(holder.locator("#own-licenses")).to_contain_text(zhangs_license)
        expect(holder.locator("#own-licenses")).to_contain_text("有效")
        shot(holder, "1-list")

        holder.get_by_role("link", name="从业人员健康证明").click()
        expect(holder.get_by_role("heading", level=1)).to_have_text("从业人员健康证明")
        expect(holder.locator(".license-fields")).to_contain_text("餐饮服务")
        shot(holder, "2-detail")

        holder.get_by_role("button", name="亮证").click()
        expect(holder.locator(".show-qr svg")).to_be_visible()
        expect(holder.locator("#show-left")).to_contain_text("分")
        link = holder.locator("#shown-url").get_attribute("href")
        shot(holder, "3-show")

        # The QR code carries the platform's public address; this server listens elsewhere.
        path = urlsplit(link).path
        assert path.startswith("/licenses/shown/")
        verifier.goto(path)
        expect(verifier.locator("#shown-verdict .verdict-label")).to_have_text("有效")
        expect(verifier.locator(".license-fields")).to_contain_text(ZHANG.name)
        expect(verifier.locator("#account-links")).to_contain_text("登录")  # not signed in
        shot(verifier, "4-verifier")

        verifier.goto("/licenses/shown/" + "A" * 32 + "/")
        expect(verifier.locator("#shown-refusal")).to_contain_text("亮证二维码无效")
        shot(verifier, "5-forged")

        holder.goto(f"/my/licenses/{zhangs_license}/uses/")
        expect(holder.locator("#license-uses")).to_contain_text("亮证后被查验")
        shot(holder, "6-uses")
    finally:
        holder.context.close()
        verifier.context.close()
