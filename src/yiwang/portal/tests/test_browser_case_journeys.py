"""Cases from application to decision in a real Chromium, against a real server with the demo
data: each person in a browser context of their own, as on their own computer.

1. A citizen applies online for 个体工商户登记 in 芙蓉区; the window asks for a correction, the
   citizen answers it, the window accepts, the reviewer passes, the approver approves, and the
   citizen finds 准予许可, the notices and the finished process on the case page.
2. A walk-in without an account is taken in at the window (一窗受理); registering online later
   with the same ID number shows the window's case in 我的办件.
3. A 联办件 (公共租赁住房申请): accepted with 芙蓉区民政局 as partner, reviewed in parallel by
   民政 and the lead department, decided only once both have passed.

Screenshots land in test-artifacts/ (git-ignored) as journey-*.png.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from yiwang.portal.tests.journeys import (  # noqa: F401 (people is a fixture)
    BUSINESS,
    FURONG,
    LI,
    PDF,
    ZHANG,
    accept,
    approve,
    case_number,
    citizen_login,
    diagram_node,
    find_guide,
    message,
    open_from_my_tasks,
    pass_review,
    people,
    screenshot,
    server_log_tail,
    server_shell,
    staff_login,
    start_application,
    task_panel,
    upload,
)
from yiwang.portal.tests.test_browser_guide import ARTIFACTS, browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

HOUSING = "公共租赁住房申请"
WALK_IN_PHONE = "13900000071"
WALK_IN_PASSWORD = "Walk-in-2026!"


def shot(page: Page, name: str) -> None:
    screenshot(page, ARTIFACTS / f"journey-{name}.png")


@pytest.fixture(scope="module")
def walk_in(live_portal_env) -> tuple[str, str]:
    """(name, ID number) of an adult of 芙蓉区 from the generated population registry, with no
    account: the seeded generator (as `make demo` runs it) is run on the server's database."""
    subprocess.run(
        [sys.executable, "-m", "yiwang.manage", "registries", "generate", "--persons", "500"],
        env=live_portal_env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    found = server_shell(
        live_portal_env,
        "from yiwang.core.keys import Sealer\n"
        "from yiwang.registries.constants import ID_NUMBER_PURPOSE\n"
        "from yiwang.registries.models import PersonRecord\n"
        "person = PersonRecord.objects.filter(generated=True, status='alive',"
        f" household_region__code__startswith='{FURONG[:6]}', birth_date__year__lt=2000)"
        ".order_by('pk').first()\n"
        "print(person.name, Sealer(ID_NUMBER_PURPOSE).open(person.id_number_sealed))",
    )
    name, id_number = found.split()
    return name, id_number


# --- 1. online, with a correction -----------------------------------------------------------


def test_a_citizen_applies_online_answers_a_correction_and_is_granted_the_license(
    people,  # noqa: F811 (a fixture)
    live_portal_server,
):
    citizen = people()
    citizen_login(citizen, ZHANG.id_number)
    find_guide(citizen, BUSINESS, BUSINESS, "芙蓉区市场监督管理局")
    start_application(citizen)

    # tell us once: the operator's name and household come from the account and 人口库
    operator = citizen.locator("#case-operator_name")
    expect(operator).to_contain_text("张丽华")
    expect(operator).to_contain_text("自动填入")
    expect(citizen.locator("#case-household_region")).to_contain_text("芙蓉区")
    expect(citizen.locator('[name="operator_name"], [name="household_region"]')).to_have_count(0)
    missing = citizen.locator("#submit-check")
    expect(missing).to_contain_text("个体工商户登记（备案）申请书")
    expect(missing).to_contain_text("经营场所使用证明文件")
    expect(missing).not_to_contain_text("经营者居民身份证")  # 免提交: 人口库 holds it
    shot(citizen, "1-edit-prefilled")

    upload(citizen, "个体工商户登记（备案）申请书", "申请书.pdf")
    upload(citizen, "经营场所使用证明文件", "租赁合同.pdf")
    expect(citizen.locator("#submit-check")).to_have_count(0)
    citizen.locator("#case-business_premises").fill("长沙市芙蓉区五一大道 188 号 1 楼")
    citizen.locator("#case-business_scope").fill("日用百货零售；文具用品零售")
    citizen.locator("#case-composition").select_option("个人经营")
    citizen.locator("#case-staff_count").fill("2")
    citizen.get_by_role("button", name="提交申请").click()
    expect(message(citizen)).to_contain_text("申请已提交，办件编号")
    expect(citizen.locator("#case-status")).to_have_text("待受理")
    number = case_number(citizen)
    shot(citizen, "1-submitted")

    # the window: one request naming every fault (here one material)
    clerk = people()
    staff_login(clerk, "window")
    open_from_my_tasks(clerk, number)
    expect(clerk.locator(".summary-grid")).to_contain_text("网上申请")
    correction = clerk.locator(".action-card").filter(
        has=clerk.get_by_role("heading", name="一次性告知补正")
    )
    correction.get_by_role("checkbox", name="经营场所使用证明文件").check()
    correction.get_by_label("原因（经营场所使用证明文件）").fill("租赁合同缺少出租方签字页")
    correction.get_by_role("button", name="发出补正告知").click()
    expect(message(clerk)).to_contain_text("已一次性告知申请人补正 1 项问题")
    shot(clerk, "1-correction-requested")

    citizen.reload()
    expect(citizen.locator("#case-status")).to_have_text("待补正")
    fault = citizen.locator("#correction")
    expect(fault).to_contain_text("经营场所使用证明文件")
    expect(fault).to_contain_text("租赁合同缺少出租方签字页")
    shot(citizen, "1-correction-seen")
    citizen.get_by_role("link", name="去补正材料").click()
    expect(citizen.locator(".material-fault")).to_contain_text("租赁合同缺少出租方签字页")
    upload(citizen, "经营场所使用证明文件", "租赁合同（含签字页）.pdf")
    citizen.get_by_role("button", name="重新提交").click()
    expect(message(citizen)).to_contain_text("补正材料已重新提交")
    expect(citizen.locator("#case-status")).to_have_text("待受理")

    clerk.reload()
    accept(clerk)

    reviewer = people()
    staff_login(reviewer, "changsha")
    open_from_my_tasks(reviewer, number)
    expect(diagram_node(reviewer, "review")).to_have_class(re.compile(r"\bactive\b"))
    pass_review(reviewer)

    approver = people()
    staff_login(approver, "approver")
    open_from_my_tasks(approver, number)
    approve(
        approver,
        "申请材料齐全，符合《中华人民共和国市场主体登记管理条例》第十九条规定，准予登记。",
        screenshot_to=ARTIFACTS / "journey-1-decision.png",
    )

    citizen.goto("/my/cases/")
    citizen.get_by_role("link", name=number).click()
    expect(citizen.locator("#case-status")).to_have_text("准予许可")
    documents = citizen.locator("#case-documents")
    for notice in ("补正材料告知书", "受理通知书", "准予行政许可决定书"):
        expect(documents).to_contain_text(notice)
    expect(citizen.locator("#where")).to_have_text("已作出决定，等待办结")
    expect(citizen.locator(".process-diagram svg .active")).to_have_count(0)
    expect(diagram_node(citizen, "decide")).to_have_class(re.compile(r"\bdone\b"))
    shot(citizen, "1-approved")
    notice = documents.get_by_role("link", name=re.compile("受理通知书"))
    pdf = citizen.request.get(notice.get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-"), server_log_tail(live_portal_server)


# --- 2. at the window, then online -----------------------------------------------------------


def test_a_walk_in_is_taken_in_at_the_window_and_finds_the_case_after_registering(
    people,  # noqa: F811 (a fixture)
    walk_in,
    live_portal_env,
):
    name, id_number = walk_in
    clerk = people()
    staff_login(clerk, "window")
    clerk.get_by_role("link", name="一窗受理").click()
    clerk.get_by_label("查找事项").fill(BUSINESS)
    clerk.get_by_role("button", name="查找").click()
    clerk.locator("#intake-code").select_option(label=f"{BUSINESS}（芙蓉区市场监督管理局）")
    clerk.get_by_role("button", name="选择此事项").click()
    expect(clerk.locator("#chosen-item")).to_contain_text("芙蓉区市场监督管理局")

    clerk.get_by_label("读卡（模拟读卡器：输入证件号码）").fill(id_number)
    clerk.get_by_role("button", name="读卡", exact=True).click()
    expect(clerk.locator("#card-reading")).to_contain_text(f"读卡成功：{name}")
    shot(clerk, "2-card-read")
    clerk.get_by_label("个体工商户登记（备案）申请书").set_input_files(
        {"name": "窗口扫描-申请书.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    clerk.get_by_label("经营场所使用证明文件").set_input_files(
        {"name": "窗口扫描-场所证明.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    clerk.locator("#form-business_premises").fill("长沙市芙蓉区韶山北路 66 号")
    clerk.locator("#form-business_scope").fill("小吃服务")
    clerk.locator("#form-composition").select_option("家庭经营")
    clerk.locator("#form-staff_count").fill("3")
    shot(clerk, "2-intake-filled")
    clerk.get_by_role("button", name="提交申请").click()
    expect(message(clerk)).to_contain_text(f"已为{name}提交“{BUSINESS}”的申请，办件编号")
    number = re.search(r"办件编号 (\d{8}[A-Z]{2}\d{14})", message(clerk).inner_text()).group(1)
    expect(clerk.get_by_role("heading", name=f"办件 {number}")).to_be_visible()
    expect(clerk.locator(".summary-grid")).to_contain_text("窗口申请")
    expect(clerk.locator("#applicant-title + .pairs")).to_contain_text(name)
    shot(clerk, "2-window-case")
    clerk.get_by_role("link", name="我的待办").click()
    expect(clerk.get_by_role("link", name=number)).to_be_visible()

    # later, at home: registering with the same ID number claims the window's account
    person = people()
    person.goto("/register/")
    person.locator("#reg-phone").fill(WALK_IN_PHONE)
    person.get_by_role("button", name="获取验证码").click()
    # the page asks in the background and reads the answer out beside the button
    expect(person.get_by_role("status")).to_contain_text("验证码已发送")
    expect(person.locator("#reg-phone")).to_have_value(WALK_IN_PHONE)  # nothing typed is lost
    code = server_shell(
        live_portal_env,
        f"from yiwang.core import sms; print(sms.latest_outbox_code('{WALK_IN_PHONE}'))",
    )
    person.locator("#reg-name").fill(name)
    person.locator("#reg-id").fill(id_number)
    person.locator("#reg-phone").fill(WALK_IN_PHONE)
    person.locator("#reg-code").fill(code)
    person.locator("#reg-password").fill(WALK_IN_PASSWORD)
    person.get_by_role("button", name="注册", exact=True).click()
    person.wait_for_url("**/my/")
    expect(message(person)).to_contain_text("注册成功")
    person.goto("/my/cases/")
    cases = person.locator("#my-cases")
    expect(cases.get_by_role("link", name=number)).to_be_visible()
    expect(cases).to_contain_text(BUSINESS)
    shot(person, "2-my-cases")
    cases.get_by_role("link", name=number).click()
    expect(person.locator("#case-status")).to_have_text("待受理")
    expect(person.locator("#case-materials")).to_contain_text("窗口扫描-申请书.pdf")


# --- 3. a joint case -----------------------------------------------------------------------


def test_a_joint_case_is_reviewed_in_parallel_and_decided_after_both_reviews(
    people,  # noqa: F811 (a fixture)
):
    citizen = people()
    citizen_login(citizen, LI.id_number)
    find_guide(citizen, "公共租赁住房", HOUSING, "芙蓉区住房和城乡建设局")
    start_application(citizen)
    for row in citizen.locator("#submit-check li").all_inner_texts():
        upload(citizen, row.strip(), f"{row.strip()}.pdf")
    expect(citizen.locator("#submit-check")).to_have_count(0)
    citizen.get_by_role("button", name="提交申请").click()
    # No provider of the embedded profile holds 住房和社保缴纳信息 (shared data), so the
    # submission asks for it, as the page's hint says it would; the citizen uploads it.
    expect(citizen.get_by_role("alert")).to_contain_text("请提交以下必需材料：住房和社保缴纳信息")
    upload(citizen, "住房和社保缴纳信息", "社保缴纳证明.pdf")
    citizen.get_by_role("button", name="提交申请").click()
    expect(message(citizen)).to_contain_text("申请已提交，办件编号")
    number = case_number(citizen)

    clerk = people()
    staff_login(clerk, "window")
    open_from_my_tasks(clerk, number)
    acceptance = task_panel(clerk, "受理")
    acceptance.get_by_role("checkbox", name=re.compile("^芙蓉区民政局")).check()
    shot(clerk, "3-partner-chosen")
    accept(clerk)

    partner = people()
    staff_login(partner, "furong-mz")
    open_from_my_tasks(partner, number, "协办部门审查")
    lead = people()
    staff_login(lead, "changsha")
    open_from_my_tasks(lead, number, "牵头部门审查")
    for page in (partner, lead):  # both reviews are current at once
        expect(diagram_node(page, "review")).to_have_class(re.compile(r"\bactive\b"))
        expect(diagram_node(page, "partner_review")).to_have_class(re.compile(r"\bactive\b"))
        expect(diagram_node(page, "decide")).to_have_class(re.compile(r"\bpending\b"))
    expect(task_panel(partner, "协办部门审查")).to_be_visible()
    expect(task_panel(partner, "牵头部门审查")).to_have_count(0)  # not 民政's department
    expect(task_panel(lead, "牵头部门审查")).to_be_visible()
    shot(lead, "3-both-reviews-current")

    pass_review(partner, "协办部门审查")

    approver = people()
    staff_login(approver, "approver")
    approver.goto("/workbench/tasks/")
    expect(approver.get_by_role("link", name=number)).to_have_count(0)  # one review is not both
    lead.reload()
    expect(diagram_node(lead, "partner_review")).to_have_class(re.compile(r"\bdone\b"))
    expect(diagram_node(lead, "review")).to_have_class(re.compile(r"\bactive\b"))
    expect(diagram_node(lead, "decide")).to_have_class(re.compile(r"\bpending\b"))
    shot(lead, "3-one-review-done")

    pass_review(lead, "牵头部门审查")
    open_from_my_tasks(approver, number)
    approve(
        approver,
        "经住建、民政部门并联审查，申请人家庭符合公共租赁住房保障条件，准予配租资格。",
    )

    citizen.reload()
    expect(citizen.locator("#case-status")).to_have_text("准予许可")
    expect(citizen.locator("#case-documents")).to_contain_text("准予行政许可决定书")
    expect(citizen.locator("#trail")).to_contain_text("协办部门")
    shot(citizen, "3-approved")
