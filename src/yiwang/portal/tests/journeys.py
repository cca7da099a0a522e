"""The steps of the browser journeys, shared by the modules that drive cases through the portal
and the workbench in Chromium (test_browser_case_journeys, test_browser_license_journey):
people at their own browsers, logging in, finding a guide, applying, and the staff's steps
from acceptance to 办结. Each step waits for the page's own answer before the next one.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from yiwang.catalog.demo import DEMO_PASSWORD
from yiwang.identity.demo import DEMO_PEOPLE, DEMO_TOTP_SECRET
from yiwang.portal.tests.test_browser_guide import DESKTOP, open_page

ZHANG, LI = DEMO_PEOPLE  # 张丽华, 李建国: real-name level 2, household in 芙蓉区
FURONG = "430102000000"
PDF = b"%PDF-1.4\n% yiwang browser journey\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
BUSINESS = "个体工商户登记"
TOTP = pyotp.TOTP(DEMO_TOTP_SECRET)


# --- the server's side ----------------------------------------------------------------------


def server_shell(env: dict[str, str], code: str) -> str:
    """Run Python in `yiwang shell` against the live server's database; its last output line."""
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.manage", "shell", "-v", "0", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


def server_log_tail(live_portal_server, lines: int = 80) -> str:
    return "\n".join(live_portal_server.log.read_text().splitlines()[-lines:])


# --- people at their browsers ---------------------------------------------------------------


@pytest.fixture
def people(browser: Browser, live_portal: str) -> Iterator:
    """A fresh browser context per person of the test, closed afterwards."""
    opened: list[Page] = []

    def open_for() -> Page:
        page = open_page(browser, live_portal, DESKTOP)
        opened.append(page)
        return page

    yield open_for
    for page in opened:
        page.context.close()


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=path, full_page=True)


def citizen_login(page: Page, id_number: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    form = page.locator("#password-login")
    form.locator("#login-id").fill(id_number)
    form.locator("#login-password").fill(password)
    form.get_by_role("button", name="登录").click()
    page.wait_for_url("**/my/")


_used_steps: dict[str, int] = {}


def _fresh_code(username: str) -> str:
    """A TOTP code not used yet by this account: the server accepts each time step once, and
    the next step's code too (drift), so a second login soon after takes that one."""
    while True:
        now = time.time()
        step = int(now // TOTP.interval)
        for candidate in (step, step + 1):
            if candidate > _used_steps.get(username, -1):
                _used_steps[username] = candidate
                return TOTP.at(candidate * TOTP.interval)
        time.sleep(TOTP.interval - now % TOTP.interval + 0.5)


def staff_login(page: Page, username: str) -> None:
    page.goto("/workbench/login/")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/workbench/login/second-factor/")
    page.locator("#totp-code").fill(_fresh_code(username))
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url("**/workbench/")


# --- the portal -----------------------------------------------------------------------------


def message(page: Page):
    return page.locator(".messages")


def find_guide(page: Page, words: str, name: str, agency: str) -> None:
    """Search as a visitor of 芙蓉区 and open the guide of `name` carried out by `agency`."""
    page.goto(f"/region/?code={FURONG}&next=" + quote(f"/search/?q={words}"))
    title = page.get_by_role("link", name=name, exact=True)
    result = page.locator(".result").filter(has=title)
    result = result.filter(has=page.locator(".result-agency", has_text=re.compile(f"^{agency}$")))
    result.locator(".result-title a").click()
    expect(page.locator(".guide-kicker")).to_contain_text(agency)


def start_application(page: Page) -> None:
    page.locator("#apply-online").click()
    page.get_by_role("button", name="开始申请").click()
    expect(message(page)).to_contain_text("已为您创建申请")


def material_row(page: Page, material: str):
    """On the edit page: the row of one material of the guide."""
    return page.locator(".material-row").filter(
        has=page.get_by_role("heading", name=material, exact=True)
    )


def upload(page: Page, material: str, filename: str) -> None:
    """On the edit page: one file for one material, through that material's own form."""
    row = material_row(page, material)
    row.locator('input[type="file"]').set_input_files(
        {"name": filename, "mimeType": "application/pdf", "buffer": PDF}
    )
    row.get_by_role("button", name="上传", exact=True).click()
    expect(message(page)).to_contain_text(f"已上传“{material}”：{filename}")


def case_number(page: Page) -> str:
    number = page.locator("#case-summary .code").first.inner_text().strip()
    assert re.fullmatch(r"\d{8}[A-Z]{2}\d{8}\d{6}", number), number
    return number


# --- the workbench --------------------------------------------------------------------------


def open_from_my_tasks(page: Page, number: str, task: str = "") -> None:
    """我的待办 from the start page, then the case by its number (in the row of `task`)."""
    page.goto("/workbench/")
    page.get_by_role("link", name="我的待办").click()
    rows = page.get_by_role("row").filter(has=page.get_by_role("link", name=number))
    if task:
        rows = rows.filter(has_text=task)
    rows.get_by_role("link", name=number).click()
    expect(page.get_by_role("heading", name=f"办件 {number}")).to_be_visible()


def task_panel(page: Page, task_name: str):
    return page.locator(".task-panel").filter(
        has=page.get_by_role("heading", name=re.compile(f"^{task_name}"))
    )


def diagram_node(page: Page, element: str):
    return page.locator(f'svg [data-element="{element}"]').first


def accept(page: Page) -> None:
    """受理, on the case page (with whatever the 受理 panel was given before)."""
    task_panel(page, "受理").get_by_role("button", name="受理", exact=True).click()
    expect(message(page)).to_contain_text("已受理，办件状态：审查中。")


def pass_review(page: Page, task: str = "审查") -> None:
    task_panel(page, task).get_by_role("button", name="审查通过").click()
    expect(message(page)).to_contain_text("审查意见已提交：通过。")


def approve(page: Page, basis: str, *, screenshot_to: Path | None = None) -> None:
    """准予许可 with its basis; `screenshot_to` takes the filled-in decision before it is made."""
    decision = task_panel(page, "决定")
    decision.get_by_label("决定依据").fill(basis)
    if screenshot_to is not None:
        screenshot(page, screenshot_to)
    decision.get_by_role("button", name="准予许可").click()
    expect(message(page)).to_contain_text("决定已作出，办件状态：准予许可。")


def complete(page: Page) -> None:
    """办结 after the decision: the case is completed and `case.completed` is emitted."""
    task_panel(page, "办结").get_by_role("button", name="办结", exact=True).click()
    expect(message(page)).to_contain_text("办件已办结。")
