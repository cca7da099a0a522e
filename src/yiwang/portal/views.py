"""The public portal's pages. Each one parses the request, calls catalog and regions selectors
and renders; what may be shown and how items are found is decided in the catalog and regions
contexts, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from yiwang.catalog import forms, selectors
from yiwang.catalog.constants import Audience, OnlineDepth
from yiwang.catalog.models import SearchEntry
from yiwang.catalog.search import Filters
from yiwang.core.errors import DomainError
from yiwang.core.web import safe_next
from yiwang.portal import params, visitor
from yiwang.regions import selectors as regions
from yiwang.regions.constants import Level

RESULTS_PER_PAGE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FACET_TITLES = {"theme": "主题", "event": "人生/企业事件", "sector": "部门"}


def refusal_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    template = "404.html" if error.status == 404 else "400.html"
    # The messages already name their field in Chinese; the field keys are for the API.
    context = {"title": error.title, "message": error.detail, "errors": error.errors}
    return render(request, template, context, status=error.status)


def shows_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refusal (bad parameter, unknown item) becomes a Chinese error page, never a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return refusal_page(request, error)

    return wrapper


def located(request: HttpRequest, entries: Iterable[SearchEntry]) -> list[tuple]:
    """Pairs (entry, region name): most regions are on the visitor's path, others looked up."""
    names = {region.code: region.name for region in visitor.region_path(request)}
    entries = list(entries)
    names.update(regions.names_of({entry.region_code for entry in entries} - names.keys()))
    return [(entry, names.get(entry.region_code, entry.region_code)) for entry in entries]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {
            "popular": selectors.popular_items(),
            "themes": selectors.themes(),
            "life_events": selectors.life_events(),
            "sectors": selectors.sectors(),
            "audiences": Audience.values,
            "levels": Level.choices,
        },
    )


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    context = {"q": query, "sectors": selectors.sectors(), "depth_choices": OnlineDepth.choices}
    try:
        filters = Filters(
            region_code=visitor.region_code(request),
            audience=params.audience(request.GET.get("audience", "")),
            sector=params.text(request.GET.get("department", ""), "department", "部门"),
            min_depth=params.depth(request.GET),
        )
        page = selectors.search(
            query, filters, page=params.page(request.GET), size=RESULTS_PER_PAGE
        )
    except DomainError as error:
        # The form stays on the page so the visitor can correct the field it names.
        return render(request, "portal/search.html", {**context, "error": error}, status=400)
    context.update(page=page, rows=located(request, page.results))
    return render(request, "portal/search.html", context)


def listing(request: HttpRequest, heading: str, filters: Filters) -> HttpResponse:
    page = selectors.search("", filters, page=params.page(request.GET), size=RESULTS_PER_PAGE)
    context = {"heading": heading, "page": page, "rows": located(request, page.results)}
    return render(request, "portal/browse.html", context)


@require_safe
@shows_refusals
def browse_facet(request: HttpRequest, by: str, value: str) -> HttpResponse:
    facet = selectors.facet_key(by, params.text(value, "value", "浏览条件"))
    filters = Filters(region_code=visitor.region_code(request), facet=facet)
    return listing(request, f"{FACET_TITLES[by]}：{value}", filters)


@require_safe
@shows_refusals
def browse_audience(request: HttpRequest, audience: str) -> HttpResponse:
    audience = params.audience(audience)
    filters = Filters(region_code=visitor.region_code(request), audience=audience)
    heading = "个人办事" if audience == Audience.PERSON else "法人办事"
    return listing(request, heading, filters)


@require_safe
@shows_refusals
def browse_level(request: HttpRequest, level: str) -> HttpResponse:
    number = params.level(level)
    filters = Filters(region_code=visitor.region_code(request), level=number)
    return listing(request, f"{Level(number).label}事项", filters)


@require_safe
@shows_refusals
def guide(request: HttpRequest, code: str) -> HttpResponse:
    item, version = selectors.guide_of(params.implementation_code(code))
    context = {
        "item": item,
        "version": version,
        "elements": version.elements,
        "guide": version.parsed,
        "item_region_path": regions.region_path(item.region.code),
        "other_levels": located(request, selectors.other_levels(item)),
    }
    return render(request, "portal/guide.html", context)


@require_safe
@shows_refusals
def guide_changes(request: HttpRequest, code: str) -> HttpResponse:
    item, version = selectors.guide_of(params.implementation_code(code))
    previous = selectors.previous_version(version)
    context = {
        "item": item,
        "version": version,
        "previous": previous,
        "changes": selectors.version_changes(previous, version) if previous else [],
    }
    return render(request, "portal/guide_changes.html", context)


def attachment(filename: str, fallback: str) -> str:
    """Content-Disposition with an ASCII fallback and the UTF-8 name of RFC 5987/6266."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@require_safe
@shows_refusals
def blank_form(request: HttpRequest, code: str, number: int) -> HttpResponse:
    item, version = selectors.guide_of(params.implementation_code(code))
    material = forms.form_material(version, number)
    response = HttpResponse(forms.blank_form_workbook(item, version, number), content_type=XLSX)
    response["Content-Disposition"] = attachment(
        f"{material.name}.xlsx", f"blank-form-{number}.xlsx"
    )
    return response


@require_safe
@shows_refusals
def set_region(request: HttpRequest) -> HttpResponse:
    code = regions.check_region(request.GET.get("code", "").strip())
    if not code:
        raise DomainError.of("code", "请选择地区")
    response = redirect(safe_next(request.GET.get("next")))
    visitor.remember(request, response, visitor.REGION_COOKIE, code)
    return response


@require_safe
@shows_refusals
def region_chooser(request: HttpRequest) -> HttpResponse:
    code = regions.check_region(request.GET.get("code", "").strip())
    code = code or visitor.region_code(request)
    if not code:
        raise DomainError.of("code", "暂无行政区划数据，请先导入区划")
    context = {
        "browsing_path": regions.region_path(code),
        "children": list(regions.children_of(code)),
        "next": safe_next(request.GET.get("next")),
    }
    return render(request, "portal/region_chooser.html", context)


@require_POST
def set_large_text(request: HttpRequest) -> HttpResponse:
    response = redirect(safe_next(request.POST.get("next")))
    if request.POST.get("large_text") == "1":
        visitor.remember(request, response, visitor.LARGE_TEXT_COOKIE, "1")
    else:
        response.delete_cookie(visitor.LARGE_TEXT_COOKIE, samesite="Lax")
    return response
