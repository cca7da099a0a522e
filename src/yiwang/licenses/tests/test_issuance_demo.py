"""The demo: `yiwang licenses demo` is idempotent, and its rule fits the real form of 个体工商户
登记 — a demo case completes, the 营业执照 is issued, and 食品小经营许可 attaches it."""

from io import StringIO

import pytest
from django.core.management import call_command

from yiwang.cases import services as cases
from yiwang.cases.constants import OPEN_TASK_STATUSES, MaterialSource
from yiwang.cases.tests.factories import PDF
from yiwang.catalog.demo import load_demo
from yiwang.catalog.models import ServiceItem
from yiwang.core.events import deliver_pending
from yiwang.core.models import AuditRecord
from yiwang.identity.demo import load_identity_demo
from yiwang.identity.models import Account
from yiwang.licenses.demo import RULES, load_licenses_demo
from yiwang.licenses.models import IssuanceRule, License, LicenseMaterial, LicenseType, Seal

pytestmark = pytest.mark.django_db
FURONG_SCJ = "芙蓉区市场监督管理局"


def fingerprint() -> tuple:
    return tuple(
        model.objects.count() for model in (LicenseType, IssuanceRule, LicenseMaterial, Seal)
    )


def _service_item(basic_code: str) -> ServiceItem:
    return ServiceItem.objects.get(catalog_item__basic_code=basic_code, agency__name=FURONG_SCJ)


def _apply(person: Account, basic_code: str, form: dict, uploads: list[str]):
    case = cases.start_application(person, _service_item(basic_code).implementation_code)
    cases.update_form(person, case, form)
    for name in uploads:
        cases.add_material(person, case, name=name, data=PDF, filename="材料.pdf")
    return cases.submit(person, case)


def _handle(case) -> None:
    """Take a case through its open tasks the way the demo staff do, then complete it."""
    staff = {
        name: Account.objects.get(username=name) for name in ("window", "changsha", "approver")
    }
    while case.status not in ("approved", "completed"):
        task = case.tasks.filter(status__in=OPEN_TASK_STATUSES).order_by("pk").first()
        if task.spec == "accept":
            cases.decide_acceptance(staff["window"], task, "accept")
        elif task.spec == "review":
            cases.review(staff["changsha"], task, "pass")
        else:
            cases.decide(staff["approver"], task, "approve", basis="符合条件")
        case.refresh_from_db()
    cases.complete(staff["approver"], case)


def test_the_demo_issues_a_business_license_that_a_second_item_attaches():
    load_demo()
    load_identity_demo()
    out = StringIO()
    call_command("licenses", "demo", stdout=out)
    assert "license types +2, issuance rules +2" in out.getvalue()
    first = fingerprint()
    assert load_licenses_demo().seals_made == 0
    assert fingerprint() == first
    for demo in RULES:  # every agency implementing an issuing item can sign
        item_agencies = set(
            ServiceItem.objects.filter(catalog_item__basic_code=demo.basic_code).values_list(
                "agency", flat=True
            )
        )
        assert item_agencies <= set(Seal.objects.values_list("agency", flat=True))

    person = Account.objects.get(kind="person", name="张丽华")
    form = {
        "trade_name": "丽华小吃店",
        "business_premises": "长沙市芙蓉区五一大道1号",
        "business_scope": "小吃服务",
        "composition": "个人经营",
        "staff_count": 2,
    }
    case = _apply(
        person, "XK00010000", form, ["个体工商户登记（备案）申请书", "经营场所使用证明文件"]
    )
    _handle(case)
    while deliver_pending(limit=1000):  # the demo's own events come first
        pass
    failures = AuditRecord.objects.filter(action="license.issuance_failed")
    assert not failures.exists(), [failure.detail for failure in failures]
    license = License.objects.get(case_number=case.number)
    assert license.license_type.name == "个体工商户营业执照" and license.valid_until is None
    assert license.data["operator"] == "张丽华" and license.data["kind"] == "个体工商户"
    assert license.data["trade_name"] == "丽华小吃店" and license.data["authority"] == FURONG_SCJ

    uploads = [
        "食品小经营许可申请书",
        "经营场所设备布局和卫生设施说明",
        "从业人员健康证明",
        "进货查验记录、从业人员健康管理和食品安全事故处置制度",
    ]
    second = _apply(person, "XK00015000", {}, uploads)
    attached = second.materials.get(name="营业执照")
    assert attached.source == MaterialSource.HELD and attached.reference == license.identifier
