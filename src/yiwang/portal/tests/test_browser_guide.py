"""A citizen's way through the portal in a real Chromium against a real server (demo data).

Screenshots land in test-artifacts/ (git-ignored) so a person can look at the pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# 1280 CSS pixels at 200 % zoom leave 640 for the layout (WCAG 1.4.4 and 1.4.10).
ZOOMED = {"width": 640, "height": 450}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: apt-get install -y chromium fonts-wqy-microhei")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_page(browser: Browser, base_url: str, viewport: dict, *, javascript: bool = True) -> Page:
    context = browser.new_context(
        base_url=base_url, viewport=viewport, locale="zh-CN", java_script_enabled=javascript
    )
    return context.new_page()


@pytest.fixture
def page(browser, live_portal) -> Iterator[Page]:
    page = open_page(browser, live_portal, DESKTOP)
    yield page
    page.context.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    width = page.viewport_size["width"]
    page.screenshot(path=ARTIFACTS / f"portal-{name}-{width}.png", full_page=full_page)


def assert_no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the window"


def search_from_header(page: Page, words: str) -> None:
    box = page.get_by_role("banner").get_by_role("searchbox", name="搜索办事事项")
    box.fill(words)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))


def choose_region_in_header(page: Page, *names: str) -> None:
    page.get_by_role("button", name="切换地区").click()
    panel = page.locator("#region-panel")
    for name in names:
        panel.get_by_role("button", name=name, exact=True).click()
        expect(panel.get_by_role("button", name=name, exact=True)).to_have_attribute(
            "aria-current", "location"
        )
    shot(page, "region-dropdown", full_page=False)
    panel.get_by_role("link", name=f"设为当前地区：{names[-1]}").click()


def test_citizen_finds_a_guide_in_the_county_and_prints_it(page: Page):
    page.goto("/")
    expect(page.locator("#current-region")).to_have_text("湖南省")
    shot(page, "home")

    search_from_header(page, "营业执照")
    results = page.locator(".result-title a")
    expect(results.first).to_be_visible()
    names = results.all_inner_texts()
    assert any("个体工商户" in name or "企业" in name for name in names), names
    shot(page, "search-province")

    results.filter(has_text=re.compile("个体工商户|企业")).first.click()
    expect(page.get_by_role("heading", name="申请材料")).to_be_visible()
    expect(page.get_by_role("heading", name="办理流程")).to_be_visible()

    choose_region_in_header(page, "长沙市", "芙蓉区")
    expect(page.locator("#current-region")).to_contain_text("芙蓉区")
    expect(page.get_by_role("heading", name="申请材料")).to_be_visible()  # back on the guide

    search_from_header(page, "营业执照")
    county_results = page.locator(".result").filter(
        has=page.locator(".result-agency", has_text=re.compile("^芙蓉区"))
    )
    expect(county_results.first).to_be_visible()
    shot(page, "search-county")

    county_results.first.locator(".result-title a").click()
    expect(page.locator(".guide-kicker")).to_contain_text("芙蓉区")
    shot(page, "guide")
    print_guide(page)


def print_guide(page: Page) -> None:
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button = page.get_by_role("button", name="打印办事指南")
    expect(button).to_be_visible()
    button.click()
    assert page.evaluate("window.printed") == 1

    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator("#header-q").is_hidden()
    assert button.is_hidden()
    expect(page.get_by_role("heading", name="申请材料")).to_be_visible()
    pdf = ARTIFACTS / "portal-guide-print.pdf"
    page.pdf(path=pdf, format="A4", print_background=True)
    assert pdf.stat().st_size > 10_000
    shot(page, "guide-print")
    page.emulate_media(media="screen")


def font_size(page: Page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def test_large_text_mode_enlarges_the_text_and_can_be_left(page: Page):
    page.goto("/")
    normal = font_size(page)

    page.get_by_role("button", name="长辈模式").click()
    toggle = page.get_by_role("button", name=re.compile("长辈模式"))
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert font_size(page) >= 22 > normal
    shot(page, "home-large-text")
    page.set_viewport_size(PHONE)
    page.goto("/search/?q=营业执照")
    shot(page, "search-large-text")
    assert_no_sideways_scrolling(page)
    page.set_viewport_size(DESKTOP)
    page.goto("/")

    toggle.click()
    expect(page.get_by_role("button", name="长辈模式")).to_have_attribute("aria-pressed", "false")
    assert font_size(page) == normal


def test_skip_link_is_first_and_visible_on_focus(page: Page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0


@pytest.mark.parametrize("viewport", [PHONE, ZOOMED], ids=["phone", "zoom-200"])
def test_pages_reflow_without_sideways_scrolling(browser, live_portal, viewport):
    page = open_page(browser, live_portal, viewport)
    try:
        page.goto("/")
        shot(page, "home")
        assert_no_sideways_scrolling(page)
        search_from_header(page, "营业执照")
        shot(page, "search")
        assert_no_sideways_scrolling(page)
        page.locator(".result-title a").first.click()
        expect(page.get_by_role("heading", name="申请材料")).to_be_visible()
        shot(page, "guide")
        assert_no_sideways_scrolling(page)
        page.goto("/region/choose/?code=430100000000")
        shot(page, "region-chooser")
        assert_no_sideways_scrolling(page)
    finally:
        page.context.close()


def test_without_javascript_the_region_is_chosen_through_pages(browser, live_portal):
    page = open_page(browser, live_portal, DESKTOP, javascript=False)
    try:
        page.goto("/search/?q=营业执照")
        page.get_by_role("banner").get_by_role("link", name="切换地区").click()
        page.get_by_role("link", name="长沙市", exact=True).click()
        page.get_by_role("link", name="芙蓉区", exact=True).click()
        page.get_by_role("link", name="设为当前地区：芙蓉区").click()

        expect(page.locator("#current-region")).to_contain_text("芙蓉区")
        assert "/search/" in page.url  # back where the visitor started
        expect(page.locator(".result-agency", has_text="芙蓉区").first).to_be_visible()
        page.locator(".result-title a").first.click()
        expect(page.get_by_role("heading", name="申请材料")).to_be_visible()
        assert page.get_by_role("button", name="打印办事指南").is_hidden()  # needs the script
    finally:
        page.context.close()
