import pytest


@pytest.mark.django_db
def test_health_reports_database_and_queue(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["queue"]["backend"] == "database-outbox"
    assert body["queue"]["pending"] >= 0
    assert body["cache"] == {"ok": True, "backend": "LocMemCache"}


@pytest.mark.django_db
def test_health_is_503_when_the_database_is_down(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("yiwang.core.api.connection.cursor", unreachable)
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down" and response.json()["database"]["ok"] is False


@pytest.mark.django_db
def test_openapi_and_docs_are_served(client):
    document = client.get("/api/openapi.json").json()
    assert "/api/catalog/search" in document["paths"]
    assert client.get("/api/docs").status_code == 200


@pytest.mark.django_db
def test_not_found_is_problem_json_in_chinese(client):
    response = client.get("/api/regions/999999999999")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert "不存在" in body["detail"]


@pytest.mark.django_db
def test_invalid_parameter_is_problem_json_naming_the_field(client):
    response = client.get("/api/catalog/search", {"q": "护照", "page": "abc"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["errors"][0]["field"] == "page"
    assert "page" in body["detail"] and "整数" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/catalog/service-items/%00", "/api/catalog/search?q=%00", "/guide/AB%00/"]
)
def test_nul_characters_are_refused_with_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_a_json_body_is_refused_with_400(client):
    body = '{"basic_code": "XK00099000", "name": "坏\\u0000名"}'
    response = client.post("/api/catalog/items", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
