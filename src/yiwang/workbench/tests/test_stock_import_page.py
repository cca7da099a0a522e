"""存量转换 on the workbench: an approver uploads a CSV or xlsx of one license type and signs it
with a seal of the agency — every row or none. The page hands the file to licenses.stock (the
function `yiwang licenses_import` uses) and shows its count, or its report row by row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.cases.tests.factories import staff
from yiwang.core.models import AuditRecord
from yiwang.identity.constants import Role
from yiwang.identity.testing import sign_in_as
from yiwang.licenses.constants import ImportStatus, LicenseSource
from yiwang.licenses.models import ImportBatch, License
from yiwang.licenses.tests.factories import LicenseTypeFactory, company_uscc, make_seal
from yiwang.licenses.tests.test_stock_import import csv_bytes, good_row, xlsx_bytes
from yiwang.workbench.tests.factories import person

pytestmark = pytest.mark.django_db

IMPORT = reverse("workbench:license_import")


@pytest.fixture
def seal(world):
    return make_seal(world.county_agency)


@pytest.fixture
def food_type(db):
    return LicenseTypeFactory()


@pytest.fixture
def approver(world):
    return staff("approver", Role.APPROVER, world.county, world.county_agency)


def _upload(food_type, seal, data: bytes, name: str = "存量.csv") -> dict:
    return {
        "license_type": str(food_type.pk),
        "seal": str(seal.pk),
        "file": SimpleUploadedFile(name, data),
    }


def _nothing_imported() -> None:
    assert not License.objects.exists()
    assert not AuditRecord.objects.filter(action="license.imported").exists()


def test_the_page_offers_the_types_and_the_agencys_seals(client, approver, seal, food_type):
    sign_in_as(client, approver)

    html = client.get(IMPORT).content.decode()

    assert f'<option value="{food_type.pk}">食品经营许可证（{food_type.code}）</option>' in html
    assert f'<option value="{seal.pk}">芙蓉区市场监督管理局 · 行政审批专用章</option>' in html
    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize(
    ("name", "make"), [("存量.csv", csv_bytes), ("存量.xlsx", xlsx_bytes)], ids=["csv", "xlsx"]
)
def test_a_good_file_is_imported_and_counted(client, approver, seal, food_type, name, make):
    sign_in_as(client, approver)
    data = make([good_row(n) for n in range(1, 4)])

    response = client.post(IMPORT, _upload(food_type, seal, data, name))

    html = response.content.decode()
    assert response.status_code == 200
    assert "已导入 3 张证照" in html
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows, batch.original_name) == (ImportStatus.IMPORTED, 3, name)
    assert batch.submitted_by == str(approver)
    licenses = License.objects.all()
    assert licenses.count() == 3
    assert {(lic.source, lic.issuer_id) for lic in licenses} == {
        (LicenseSource.IMPORTED, seal.agency_id)
    }
    assert AuditRecord.objects.get(action="license.imported").actor == str(approver)


def test_a_bad_row_imports_nothing_and_the_report_names_row_column_and_reason(
    client, approver, seal, food_type
):
    sign_in_as(client, approver)
    bad = good_row(2)
    bad[0] = company_uscc(2)[:-1] + "0"  # a wrong check character
    data = csv_bytes([good_row(1), bad, good_row(3)])

    response = client.post(IMPORT, _upload(food_type, seal, data))

    html = response.content.decode()
    assert response.status_code == 400
    assert "文件有错误，未导入任何证照" in html
    assert 'id="import-report"' in html
    assert '<th scope="row">第3行</th><td>持证主体证件号码</td>' in html
    assert ImportBatch.objects.get().status == ImportStatus.REFUSED
    assert AuditRecord.objects.get(action="license.import_refused").actor == str(approver)
    _nothing_imported()


def test_an_empty_form_names_the_type_the_seal_and_the_file_at_once(client, approver, seal):
    sign_in_as(client, approver)

    response = client.post(IMPORT, {"license_type": "x", "seal": ""})

    html = response.content.decode()
    assert response.status_code == 400
    for error_id, message in (
        ("import-type", "请选择证照类型"),
        ("import-seal", "请选择转换用章"),
        ("import-file", "请选择要导入的 CSV 或 xlsx 文件"),
    ):
        assert f'<p class="field-error" id="{error_id}-error">{message}</p>' in html
    assert not ImportBatch.objects.exists()
    _nothing_imported()


def test_a_seal_of_another_agency_is_refused_and_audited(client, world, seal, food_type):
    other = staff("tianyuan", Role.APPROVER, world.other_county, world.other_county_agency)
    sign_in_as(client, other)

    page = client.get(IMPORT).content.decode()
    response = client.post(IMPORT, _upload(food_type, seal, csv_bytes([good_row(1)])))

    assert "行政审批专用章" not in page and "您管理的机关没有有效的电子印章" in page
    assert response.status_code == 403
    assert "只有芙蓉区市场监督管理局的审批人员可以使用其印章" in response.content.decode()
    refusal = AuditRecord.objects.get(action="license.authority_refused")
    assert (refusal.actor, refusal.target) == (str(other), f"Seal:{seal.pk}")
    assert not ImportBatch.objects.exists()
    _nothing_imported()


def test_only_approvers_reach_the_page(client, world, seal, food_type):
    upload = _upload(food_type, seal, csv_bytes([good_row(1)]))
    anonymous = client.post(IMPORT, upload)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("workbench:login"))

    sign_in_as(client, person())
    assert client.get(IMPORT)["Location"] == reverse("portal:my_account")

    sign_in_as(client, staff("clerk", Role.WINDOW_CLERK, world.county, world.county_agency))
    refused = client.post(IMPORT, _upload(food_type, seal, csv_bytes([good_row(1)])))
    assert refused.status_code == 403 and "“审批人员”" in refused.content.decode()
    assert not ImportBatch.objects.exists()
    _nothing_imported()
