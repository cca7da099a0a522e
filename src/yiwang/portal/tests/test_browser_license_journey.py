"""An e-license from the case that issues it to the verifier and into the next case, in a real
Chromium against a real server with the demo data and the demo e-licenses (`licenses demo`):

张丽华 applies for 个体工商户登记 in 芙蓉区; the window accepts, the reviewer passes, the
approver approves and completes (办结). On `case.completed` the server's event worker signs a
个体工商户营业执照, which appears in her 我的证照. She shows it (亮证); a verifier, in a browser
of their own and not signed in, opens the QR code's link and reads 有效 and the issuer, and
the 网上验证核对 page says the same for the identifier and code of her JSON download. Applying
for 个体工商户变更登记, the 营业执照 is attached by itself (免提交), never uploaded, and the
window and the reviewer see it as verified.

Screenshots land in the test's tmp_path as license-*.png.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from yiwang.licenses.demo import DEMO_DEFINER_USCC
from yiwang.licenses.identifiers import parse_identifier
from yiwang.portal.tests.journeys import (  # noqa: F401 (people is a fixture)
    BUSINESS,
    ZHANG,
    accept,
    approve,
    case_number,
    citizen_login,
    complete,
    find_guide,
    material_row,
    message,
    open_from_my_tasks,
    pass_review,
    people,
    screenshot,
    server_log_tail,
    staff_login,
    start_application,
    upload,
)
from yiwang.portal.tests.test_browser_guide import browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

AGENCY = "芙蓉区市场监督管理局"
CHANGE = "个体工商户变更登记"
TRADER_LICENSE = "个体工商户营业执照"
ATTACHED = f"{TRADER_LICENSE}（电子证照，已核验有效）"  # what the e-license provider attaches
HELD = "免提交（已有证照或共享数据）"
TRADE_NAME = "丽华百货便利店"
PREMISES = "长沙市芙蓉区五一大道 188 号 1 楼"
ISSUANCE_SECONDS = 90  # 办结 to 我的证照: the event worker's turn, on a busy 2-core machine


@pytest.fixture(scope="module")
def license_demo(live_portal_env) -> None:
    """The demo license types, issuance rules, seals and 免提交 mappings on the server's
    database, as `make demo` loads them after the identities."""
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.manage", "licenses", "demo"],
        env=live_portal_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


@pytest.fixture
def shot(tmp_path: Path) -> Callable[[Page, str], None]:
    def take(page: Page, name: str) -> None:
        screenshot(page, tmp_path / f"license-{name}.png")

    return take


def field(page: Page, title: str) -> Locator:
    """One entry of a license card (.license-fields) by its title."""
    entry = page.locator(".license-fields > div").filter(
        has=page.get_by_role("term").filter(has_text=re.compile(f"^{title}$"))
    )
    return entry.get_by_role("definition")


def wait_for_license(page: Page, title: str, live_portal_server) -> Locator:
    """我的证照, reloaded until the license issued on `case.completed` (by the server's event
    worker, after the request that completed the case) is listed; its row."""
    rows = page.locator("#own-licenses tbody tr").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )
    deadline = time.monotonic() + ISSUANCE_SECONDS
    while not rows.count():
        if time.monotonic() > deadline:
            health = page.request.get("/api/health").text()
            pytest.fail(
                f"no {title} in 我的证照 {ISSUANCE_SECONDS} s after 办结 (health: {health})\n"
                + server_log_tail(live_portal_server)
            )
        time.sleep(1)
        page.reload()
    return rows


def materials_row(page: Page, table: str, material: str) -> Locator:
    return (
        page.locator(table)
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=material, exact=True))
    )


def expect_license_attached_on_bench(page: Page, identifier: str) -> None:
    """The workbench's case page lists the 营业执照 as held and verified, with no file, and
    names the license so staff can look it up."""
    attached = materials_row(page, "section[aria-labelledby=materials-title]", "营业执照")
    expect(attached).to_contain_text(HELD)
    expect(attached).to_contain_text(ATTACHED)
    expect(attached.locator(".reference")).to_have_text(identifier)
    expect(attached.get_by_role("link")).to_have_count(0)


def test_a_completed_case_issues_a_license_that_is_shown_verified_and_reused(
    people,  # noqa: F811 (a fixture)
    license_demo,
    live_portal_server,
    shot,
):
    # 1. 个体工商户登记 online, taken to 办结 by the window, the reviewer and the approver
    citizen = people()
    citizen_login(citizen, ZHANG.id_number)
    find_guide(citizen, BUSINESS, BUSINESS, AGENCY)
    start_application(citizen)
    upload(citizen, "个体工商户登记（备案）申请书", "申请书.pdf")
    upload(citizen, "经营场所使用证明文件", "租赁合同.pdf")
    citizen.locator("#case-trade_name").fill(TRADE_NAME)
    citizen.locator("#case-business_premises").fill(PREMISES)
    citizen.locator("#case-business_scope").fill("日用百货零售；文具用品零售")
    citizen.locator("#case-composition").select_option("个人经营")
    citizen.locator("#case-staff_count").fill("2")
    citizen.get_by_role("button", name="提交申请").click()
    expect(message(citizen)).to_contain_text("申请已提交，办件编号")
    number = case_number(citizen)

    clerk = people()
    staff_login(clerk, "window")
    open_from_my_tasks(clerk, number)
    accept(clerk)
    reviewer = people()
    staff_login(reviewer, "changsha")
    open_from_my_tasks(reviewer, number)
    pass_review(reviewer)
    approver = people()
    staff_login(approver, "approver")
    open_from_my_tasks(approver, number)
    approve(approver, "申请材料齐全，符合《促进个体工商户发展条例》规定，准予登记。")
    complete(approver)
    expect(approver.locator(".summary-grid")).to_contain_text("已办结")

    # 2. 我的证照: the license signed on completion, for her, by the agency of the case
    citizen.goto("/my/")
    citizen.get_by_role("navigation", name="我的账号").get_by_role("link", name="我的证照").click()
    citizen.wait_for_url("**/my/licenses/")
    row = wait_for_license(citizen, TRADER_LICENSE, live_portal_server)
    expect(row).to_have_count(1)
    expect(row.locator('[data-label="持证主体"]')).to_have_text(ZHANG.name)
    expect(row.locator('[data-label="发证机关"]')).to_have_text(AGENCY)
    expect(row.locator('[data-label="有效期"]')).to_contain_text("至 长期")
    expect(row.locator('[data-label="状态"]')).to_have_text("有效")
    identifier = row.locator(".license-identifier").inner_text().strip()
    parsed = parse_identifier(identifier)  # root, shape, codes and check character, or raises
    assert str(parsed) == identifier, identifier
    assert parsed.type_code == f"{DEMO_DEFINER_USCC}001", identifier
    assert parsed.version == 1 and re.fullmatch(r"\d{11}", parsed.serial), identifier
    shot(citizen, "1-wallet")

    row.get_by_role("link", name=TRADER_LICENSE).click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text(TRADER_LICENSE)
    expect(field(citizen, "证照标识")).to_have_text(identifier)
    expect(field(citizen, "名称")).to_have_text(TRADE_NAME)  # drawn from the application form
    expect(field(citizen, "类型")).to_have_text("个体工商户")
    expect(field(citizen, "经营者")).to_have_text(ZHANG.name)
    expect(field(citizen, "经营场所")).to_have_text(PREMISES)
    expect(field(citizen, "发证机关")).to_have_text(AGENCY)
    expect(field(citizen, "有效期")).to_contain_text("长期有效")
    issued = re.fullmatch(r"(\d{4})年\d{1,2}月\d{1,2}日", field(citizen, "发证日期").inner_text())
    assert issued and parsed.serial.startswith(issued.group(1)), (identifier, issued)
    shot(citizen, "2-detail")

    # 3. 亮证: a verifier, not signed in, opens the QR code's link; then checks identifier + code
    citizen.get_by_role("button", name="亮证").click()
    expect(citizen.locator(".show-qr svg")).to_be_visible()
    expect(citizen.locator(".show-holder")).to_contain_text(ZHANG.name)
    shown = urlsplit(citizen.locator("#shown-url").get_attribute("href")).path
    assert shown.startswith("/licenses/shown/"), shown  # the QR code names the public address
    shot(citizen, "3-show")

    verifier = people()
    verifier.goto(shown)
    verdict = verifier.locator("#shown-verdict")
    expect(verdict.locator(".verdict-label")).to_have_text("有效")
    expect(verdict).to_contain_text(f"签发机关：{AGENCY}（{parsed.issuer_uscc}）")
    expect(verdict).to_contain_text("行政审批专用章")
    expect(field(verifier, "证照标识")).to_have_text(identifier)
    expect(field(verifier, "持证主体")).to_have_text(ZHANG.name)
    expect(verifier.locator("#account-links")).to_contain_text("登录")  # not signed in
    shot(verifier, "4-shown-verified")

    citizen.get_by_role("link", name="返回证照").click()
    with citizen.expect_download() as download:
        citizen.get_by_role("link", name="下载 JSON").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert document["license"]["identifier"] == identifier, document["license"]
    verifier.goto("/licenses/verify/")
    verifier.get_by_label("证照标识").fill(identifier)
    verifier.get_by_label("验证码").fill(document["verification_code"])
    verifier.get_by_role("button", name="核验", exact=True).click()
    expect(verifier.locator("#verify-verdict")).to_have_text("核验结果：有效")
    expect(verifier.locator("#verify-result")).to_contain_text(AGENCY)
    expect(verifier.locator("#verify-result")).to_contain_text(TRADER_LICENSE)
    # Anyone may verify: the operator's name is masked there, as the holder's is
    expect(verifier.locator("#verify-result")).not_to_contain_text(ZHANG.name)
    expect(verifier.locator("#verify-result")).to_contain_text(ZHANG.name[0] + "**")
    shot(verifier, "5-verify-page")

    # 4. 个体工商户变更登记: the 营业执照 is attached by itself, and staff see it verified
    find_guide(citizen, CHANGE, CHANGE, AGENCY)
    start_application(citizen)
    held = material_row(citizen, "营业执照")
    expect(held).to_contain_text("可由电子证照库或共享数据自动获取")
    expect(held.locator(".material-current")).to_have_text("尚未上传")
    missing = citizen.locator("#submit-check")
    expect(missing).to_contain_text("个体工商户变更登记申请书")
    expect(missing).not_to_contain_text("营业执照")
    shot(citizen, "6-second-edit")
    upload(citizen, "个体工商户变更登记申请书", "变更登记申请书.pdf")
    expect(missing).to_have_count(0)
    citizen.get_by_role("button", name="提交申请").click()
    expect(message(citizen)).to_contain_text("申请已提交，办件编号")
    second = case_number(citizen)
    attached = materials_row(citizen, "#case-materials", "营业执照")
    expect(attached.locator('[data-label="文件"]')).to_have_text(f"{HELD}（{ATTACHED}）")
    expect(attached.get_by_role("link")).to_have_count(0)  # no file: nothing was uploaded
    shot(citizen, "7-second-submitted")

    open_from_my_tasks(clerk, second)
    expect_license_attached_on_bench(clerk, identifier)
    accept(clerk)
    open_from_my_tasks(reviewer, second)
    expect_license_attached_on_bench(reviewer, identifier)
    shot(reviewer, "8-reviewer-case")
