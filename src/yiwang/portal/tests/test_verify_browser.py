"""网上验证核对 in a real Chromium against a real server: a verifier types the identifier and
code and reads 有效; then uploads a JSON whose field was changed and reads which one.

The server is a fresh instance (its own SQLite database and master key) with one license
signed there, as in the mutual-recognition test. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from yiwang.licenses.tests.instances import Instance, running_instance
from yiwang.portal.tests.test_browser_guide import DESKTOP, browser, open_page, shot  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def verifier_site(tmp_path_factory) -> Iterator[Instance]:
    with running_instance(tmp_path_factory.mktemp("verify_site")) as instance:
        yield instance


@pytest.fixture
def page(browser, verifier_site) -> Iterator[Page]:  # noqa: F811
    page = open_page(browser, verifier_site.url, DESKTOP)
    yield page
    page.context.close()


def test_a_verifier_checks_a_license_and_sees_a_changed_copy_named(page, verifier_site, tmp_path):
    document = verifier_site.license
    page.goto("/licenses/verify/")
    page.get_by_label("证照标识").fill(document["license"]["identifier"])
    page.get_by_label("验证码").fill(document["verification_code"].lower())
    page.get_by_role("button", name="核验", exact=True).click()
    result = page.locator("#verify-result")
    expect(page.locator("#verify-verdict")).to_have_text("核验结果：有效")
    expect(result).to_contain_text("武汉市市场监督管理局")
    expect(result).to_contain_text("食品经营许可证")
    expect(result).to_contain_text("热食类食品制售")
    shot(page, "license-verify-valid")

    page.goto(document["verification_url"])  # the QR code lands here and verifies at once
    expect(page.locator("#verify-verdict")).to_have_text("核验结果：有效")

    changed = json.loads(json.dumps(document))
    changed["license"]["data"]["premises"] = "武汉市武昌区某处"
    path = tmp_path / "license.json"
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    page.get_by_label("电子证照文件（PDF 或 JSON）").set_input_files(str(path))
    page.get_by_role("button", name="上传并核验").click()
    expect(page.locator("#verify-verdict")).to_have_text("核验结果：已被篡改")
    expect(page.locator("#verify-changed")).to_contain_text("证照数据“经营场所”")
    expect(page.locator("#verify-issuer")).to_contain_text("武汉市市场监督管理局")
    shot(page, "license-verify-tampered")


def test_a_bank_clerk_pastes_lines_and_reads_a_verdict_for_each(page, verifier_site):
    license = verifier_site.license["license"]
    code = verifier_site.license["verification_code"]
    page.goto("/licenses/verify/")
    page.get_by_role("link", name="批量核验").click()
    lines = f"{license['identifier']}\t{code}\n{license['identifier']}\tABCD2345"
    page.get_by_label("证照标识和验证码（每行一个证照）").fill(lines)
    page.get_by_role("button", name="批量核验").click()
    expect(page.locator("#batch-summary")).to_have_text("核验结果：共 2 个，有效 1 个，未核验 1 个")
    rows = page.locator("#batch-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("有效")
    expect(rows.nth(0)).to_contain_text("武汉市市场监督管理局")
    expect(rows.nth(1)).to_contain_text("未找到该证照")
    expect(page.get_by_label("证照标识和验证码（每行一个证照）")).to_have_value(lines)
    shot(page, "license-verify-batch")
