"""A URL configuration for the rate-limit tests: one page and one API under /api/."""

from django.http import HttpResponse
from django.urls import path
from ninja import NinjaAPI

from yiwang.core.api import install_problem_handlers
from yiwang.core.ratelimit import hit, limit_by_address

api = NinjaAPI(urls_namespace="ratelimit-test")
install_problem_handlers(api)


@api.get("/limited")
@limit_by_address("test.api", "2/m")
def limited_endpoint(request, name: str = "") -> dict:
    return {"hello": name}


@api.post("/lookup")
def lookup(request, id_number: str) -> dict:
    hit("test.lookup", id_number, "1/h", field="id_number")
    return {"ok": True}


@limit_by_address("test.page", "2/m")
def limited_page(request):
    return HttpResponse("ok")


urlpatterns = [path("api/", api.urls), path("page/", limited_page)]
