"""一窗受理 on the workbench: the window clerk chooses an item, reads a walk-in's ID card,
uploads the scans and submits in the applicant's name; the case waits in 我的待办. Refusals
(the card, the scans, the item's scope) come back beside their fields, never as a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.cases.constants import CaseStatus, Channel, MaterialSource
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import PDF
from yiwang.cases.tests.factories import staff as case_staff
from yiwang.catalog.tests.factories import food_guide
from yiwang.identity.constants import Role
from yiwang.identity.models import Account
from yiwang.identity.testing import sign_in_as
from yiwang.identity.tests.factories import id_number, in_registry

pytestmark = pytest.mark.django_db

INTAKE = reverse("workbench:intake")
APPLICATION_FORM = "食品经营许可申请书"


@pytest.fixture
def walk_in(world):
    return in_registry("王建华", 71)  # in the population registry, no account yet


def _scan(name: str = "scan-001.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _post(client, item, card: str, **fields):
    data = {"code": item.implementation_code, "card": card, "action": "submit", **fields}
    return client.post(INTAKE, data)


def test_the_clerk_takes_in_a_walk_in_and_finds_the_case_in_my_tasks(
    client, office, food_item, walk_in
):
    sign_in_as(client, office.clerk)

    home = client.get(reverse("workbench:home")).content.decode()
    chooser = client.get(INTAKE, {"q": "食品"}).content.decode()
    step_two = client.get(INTAKE, {"code": food_item.implementation_code}).content.decode()
    read = client.post(
        INTAKE, {"code": food_item.implementation_code, "card": walk_in.id_number, "action": "read"}
    )
    response = _post(
        client,
        food_item,
        walk_in.id_number,
        description="窗口代办",
        **{"scan-1": _scan()},
    )

    assert INTAKE in home
    assert f'value="{food_item.implementation_code}"' in chooser and "食品经营许可" in chooser
    assert "读卡（模拟读卡器：输入证件号码）" in step_two and APPLICATION_FORM in step_two
    assert read.status_code == 200 and "读卡成功：<strong>王建华</strong>" in read.content.decode()
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[case.number])
    assert case.status == CaseStatus.SUBMITTED and case.channel == Channel.WINDOW
    assert case.applicant.name == "王建华" and case.submitted_by == office.clerk
    assert case.form["description"] == "窗口代办"
    assert case.materials.get(name=APPLICATION_FORM).source == MaterialSource.PAPER
    page = client.get(response["Location"]).content.decode()
    assert case.number in page and "窗口申请" in page
    assert case.number in client.get(reverse("workbench:tasks")).content.decode()


def test_sending_the_page_twice_answers_with_the_same_case(client, office, food_item, walk_in):
    sign_in_as(client, office.clerk)
    key = "0b7a2f3e-3c1d-4e4f-9a51-6f0f5d7c2b10"

    first = _post(client, food_item, walk_in.id_number, idempotency_key=key, **{"scan-1": _scan()})
    again = _post(client, food_item, walk_in.id_number, idempotency_key=key, **{"scan-1": _scan()})

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Case.objects.exclude(number=None).count() == 1


def test_a_reviewer_may_not_open_the_intake_page(client, office, food_item):
    sign_in_as(client, office.reviewer)

    response = client.get(INTAKE)

    assert response.status_code == 403
    assert "窗口受理人员" in response.content.decode()


def test_an_unknown_card_is_refused_beside_the_card_field(client, office, food_item):
    sign_in_as(client, office.clerk)
    stranger = id_number(73)  # a valid number nobody holds

    read = client.post(
        INTAKE, {"code": food_item.implementation_code, "card": stranger, "action": "read"}
    )
    submitted = _post(client, food_item, stranger, **{"scan-1": _scan()})

    for response in (read, submitted):
        html = response.content.decode()
        assert response.status_code == 400
        assert '<p class="field-error" id="intake-card-error">读卡失败' in html
    assert "已选择的扫描件未保留" in submitted.content.decode()
    assert not Case.objects.exists()
    assert not Account.objects.filter(kind="person").exists()


def test_missing_and_unreadable_scans_are_refused_beside_their_materials(
    client, office, food_item, walk_in
):
    sign_in_as(client, office.clerk)

    missing = _post(client, food_item, walk_in.id_number)
    bad_type = _post(
        client, food_item, walk_in.id_number, **{"scan-1": _scan("申请书.pdf", b"MZ not a pdf")}
    )

    html = missing.content.decode()
    assert missing.status_code == 400
    assert '<p class="field-error" id="scan-1-error">必需材料，请扫描上传</p>' in html
    assert f"请提交以下必需材料：{APPLICATION_FORM}" in html
    html = bad_type.content.decode()
    assert bad_type.status_code == 400
    assert '<p class="field-error" id="scan-1-error">“申请书.pdf”的文件类型不受支持' in html
    assert walk_in.id_number in html  # the card stays read for the next try
    assert not Case.objects.exists()


def test_a_required_form_field_is_refused_beside_the_field(client, office, world, walk_in):
    guide = food_guide(
        form={
            "data_schema": {
                "type": "object",
                "required": ["premises"],
                "properties": {
                    "name": {"title": "申请人", "type": "string"},
                    "premises": {"title": "经营场所", "type": "string", "minLength": 6},
                    "staff": {"title": "从业人数", "type": "integer", "minimum": 1},
                },
            },
            "ui": {"prefill": {"name": "applicant.name"}},
        }
    )
    del guide["materials"][1]
    item = world.implement(world.county_agency, guide).service_item
    sign_in_as(client, office.clerk)

    refused = _post(client, item, walk_in.id_number, staff="3", **{"scan-1": _scan()})
    taken = _post(
        client,
        item,
        walk_in.id_number,
        staff="3",
        premises="长沙市芙蓉区五一大道 1 号",
        **{"scan-1": _scan()},
    )

    html = refused.content.decode()
    assert refused.status_code == 400
    assert '<p class="field-error" id="form-premises-error">经营场所：必须填写</p>' in html
    assert 'value="3"' in html  # what was typed is kept
    assert taken.status_code == 302
    case = Case.objects.get()
    assert case.form == {"name": "王建华", "premises": "长沙市芙蓉区五一大道 1 号", "staff": 3}


def test_another_countys_window_cannot_take_the_item_in(client, world, food_item, walk_in):
    outsider = case_staff(
        "tianyuan", Role.WINDOW_CLERK, world.other_county, world.other_county_agency
    )
    sign_in_as(client, outsider)

    listed = client.get(INTAKE).content.decode()
    chosen = client.get(INTAKE, {"code": food_item.implementation_code})
    submitted = _post(client, food_item, walk_in.id_number, **{"scan-1": _scan()})

    assert food_item.implementation_code not in listed
    assert chosen.status_code == 400
    assert "该事项不在您窗口受理的范围内" in chosen.content.decode()
    assert "intake-card" not in chosen.content.decode()
    assert submitted.status_code == 400
    assert not Case.objects.exists()
