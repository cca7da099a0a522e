from io import BytesIO
from urllib.parse import quote

from openpyxl import load_workbook


def test_blank_form_downloads_as_a_real_workbook(client, world):
    code = world.implement(world.county_agency).service_item.implementation_code

    response = client.get(f"/guide/{code}/forms/1/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="blank-form-1.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote('食品经营许可申请书.xlsx')}" in disposition
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet["A1"].value == "食品经营许可申请书"


def test_material_without_form_or_out_of_range_is_404(client, world):
    code = world.implement(world.county_agency).service_item.implementation_code
    for number in (0, 2, 3, 99):
        response = client.get(f"/guide/{code}/forms/{number}/")
        assert response.status_code == 404
        assert "不存在" in response.content.decode()


def test_unknown_item_form_is_404(client, db):
    assert client.get("/guide/NOPE/forms/1/").status_code == 404
