"""The catalog API: search, guides, the basic catalog and the lifecycle of implementations."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.security import django_auth

from yiwang.catalog import selectors, services, transfer
from yiwang.catalog.checks import region_report
from yiwang.catalog.constants import OnlineDepth, VersionStatus
from yiwang.catalog.search import Filters
from yiwang.core.api import Problem
from yiwang.core.errors import NotFound
from yiwang.core.ratelimit import client_address, hit
from yiwang.regions import selectors as region_selectors
from yiwang.regions.models import Organization

router = Router(tags=["事项目录"])
ERRORS = {400: Problem, 403: Problem, 404: Problem, 409: Problem}
LOOKUP_ERRORS = {**ERRORS, 429: Problem}


def _limit_lookups(request) -> None:
    """Public lookups answer anyone, so each address gets a fair share (LOOKUP_RATE)."""
    hit("catalog.lookup", client_address(request), settings.LOOKUP_RATE)


PUBLIC_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, VersionStatus.REVOKED)


class SearchParams(Schema):
    q: str = Field("", description="搜索词：中文、拼音全拼或首字母（如 yyzz）、口语词")
    region: str = Field("", description="所在区划的12位代码：返回该区划及上级实施的事项")
    audience: Literal["", "person", "organization"] = ""
    department: str = Field("", max_length=40, description="主管领域，如 公安、市场监管")
    depth: int = Field(0, ge=0, le=4, description="最低网上办理深度 1–4")
    page: int = Field(1, ge=1, le=500)
    size: int = Field(20, ge=1, le=50)


class SearchResult(Schema):
    implementation_code: str
    name: str
    agency: str = Field(alias="agency_name")
    region_code: str
    level: int
    online_depth: int
    online_depth_label: str
    visits: int
    url: str


class SearchPageOut(Schema):
    count: int
    page: int
    size: int
    results: list[SearchResult]


def _result(entry) -> dict:
    return {
        "implementation_code": entry.implementation_code,
        "name": entry.name,
        "agency_name": entry.agency_name,
        "region_code": entry.region_code,
        "level": entry.level,
        "online_depth": entry.online_depth,
        "online_depth_label": OnlineDepth(entry.online_depth).label,
        "visits": entry.visits,
        "url": f"/guide/{entry.implementation_code}/",
    }


@router.get("/search", response={200: SearchPageOut, **LOOKUP_ERRORS}, summary="搜索事项")
def search(request, params: Query[SearchParams]):
    _limit_lookups(request)
    filters = Filters(
        region_code=region_selectors.check_region(params.region),
        audience=params.audience,
        sector=params.department,
        min_depth=params.depth,
    )
    page = selectors.search(params.q, filters, page=params.page, size=params.size)
    return {
        "count": page.count,
        "page": page.page,
        "size": page.size,
        "results": [_result(e) for e in page.results],
    }


class Elements(Schema):
    basic_code: str
    name: str
    item_type: str
    legal_basis: list[dict]
    revision: int


class GuideOut(Schema):
    implementation_code: str
    agency: str
    agency_uscc: str
    region_code: str
    region_name: str
    version: int
    published_at: str
    elements: Elements
    online_depth: int
    guide: dict


@router.get("/service-items/{code}", response={200: GuideOut, **LOOKUP_ERRORS}, summary="办事指南")
def guide(request, code: str):
    _limit_lookups(request)
    item, version = selectors.guide_of(code)
    return {
        "implementation_code": item.implementation_code,
        "agency": item.agency.name,
        "agency_uscc": item.agency.uscc,
        "region_code": item.region.code,
        "region_name": item.region.name,
        "version": version.number,
        "published_at": version.published_at.isoformat(),
        "elements": version.elements,
        "online_depth": version.parsed.online_depth,
        "guide": version.guide,
    }


class VersionOut(Schema):
    number: int
    status: VersionStatus
    change_note: str
    created_at: str
    published_at: str | None


def _version(version) -> dict:
    return {
        "number": version.number,
        "status": version.status,
        "change_note": version.change_note,
        "created_at": version.created_at.isoformat(),
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }


@router.get(
    "/service-items/{code}/versions", response={200: list[VersionOut], **ERRORS}, summary="版本历史"
)
def versions(request, code: str):
    history = selectors.version_history(selectors.get_service_item(code))
    visible = (
        history
        if request.user.is_authenticated
        else [v for v in history if v.status in PUBLIC_STATUSES]
    )
    return [_version(v) for v in visible]


class ChangeOut(Schema):
    path: str
    label: str
    kind: str
    old: object | None = None
    new: object | None = None


@router.get(
    "/service-items/{code}/versions/{number}/changes",
    response={200: list[ChangeOut], **ERRORS},
    summary="版本变化（与上一版逐字段比较）",
)
def changes(request, code: str, number: int):
    version = selectors.get_version(selectors.get_service_item(code), number)
    if version.status not in PUBLIC_STATUSES and not request.user.is_authenticated:
        raise NotFound(f"第{number}版")
    return [
        c.as_dict() for c in selectors.version_changes(selectors.previous_version(version), version)
    ]


class CatalogItemIn(Schema):
    basic_code: str = Field(max_length=12)
    item_type: str = Field(max_length=2)
    name: str = Field(max_length=200)
    main_code: str | None = None
    legal_basis: list[dict]
    levels: list[int]
    sector: str = Field(max_length=40)
    audience: list[str]
    themes: list[str] = []
    life_events: list[str] = []
    keywords: list[str] = []
    popularity: int = Field(0, ge=0)


class CatalogItemOut(Schema):
    basic_code: str
    item_type: str
    name: str
    main_code: str | None = Field(None, alias="main_item.basic_code")
    legal_basis: list[dict]
    levels: list[int]
    sector: str
    audience: list[str]
    themes: list[str]
    life_events: list[str]
    keywords: list[str]
    revision: int


class CatalogPageOut(Schema):
    count: int
    page: int
    results: list[CatalogItemOut]


@router.get("/items", response={200: CatalogPageOut, **ERRORS}, summary="基本目录（分页）")
def catalog_items(
    request,
    type: Literal["", "XK", "QR", "JF", "CJ", "JL", "QT", "GG"] = "",
    page: int = Query(1, ge=1, le=1000),
):
    found = selectors.catalog_items(page=page, item_type=type)
    return {"count": found.paginator.count, "page": found.number, "results": list(found)}


@router.get("/items/{basic_code}", response={200: CatalogItemOut, **ERRORS}, summary="基本目录事项")
def catalog_item(request, basic_code: str):
    return selectors.get_catalog_item(basic_code)


@router.post(
    "/items", response={201: CatalogItemOut, **ERRORS}, auth=django_auth, summary="新增基本目录事项"
)
def create_catalog_item(request, payload: CatalogItemIn):
    return Status(201, services.create_catalog_item(actor=request.user, **payload.dict()))


class CatalogItemPatch(Schema):
    name: str | None = None
    item_type: str | None = None
    legal_basis: list[dict] | None = None
    levels: list[int] | None = None
    sector: str | None = None
    audience: list[str] | None = None
    themes: list[str] | None = None
    life_events: list[str] | None = None
    keywords: list[str] | None = None


@router.patch(
    "/items/{basic_code}",
    response={200: list[ChangeOut], **ERRORS},
    auth=django_auth,
    summary="修改基本目录事项（变更推送到全部实施清单）",
)
def change_catalog_item(request, basic_code: str, payload: CatalogItemPatch):
    item = selectors.get_catalog_item(basic_code)
    change = services.change_catalog_item(
        actor=request.user, item=item, **payload.dict(exclude_none=True)
    )
    return change.diff if change else []


class ServiceItemIn(Schema):
    basic_code: str
    agency_uscc: str
    guide: dict
    change_note: str = ""


class DraftIn(Schema):
    guide: dict
    change_note: str = ""


class ReasonIn(Schema):
    reason: str = Field(max_length=500)


@router.post(
    "/service-items",
    response={201: VersionOut, **ERRORS},
    auth=django_auth,
    summary="新增实施清单事项",
)
def create_service_item(request, payload: ServiceItemIn):
    agency = get_object_or_404(Organization, uscc=payload.agency_uscc)
    version = services.create_service_item(
        actor=request.user,
        catalog_item=selectors.get_catalog_item(payload.basic_code),
        agency=agency,
        guide=payload.guide,
        change_note=payload.change_note,
    )
    return Status(201, _version(version))


@router.post(
    "/service-items/{code}/revisions",
    response={201: VersionOut, **ERRORS},
    auth=django_auth,
    summary="新建修订草稿",
)
def start_revision(request, code: str):
    item = selectors.get_service_item(code)
    return Status(201, _version(services.start_revision(actor=request.user, service_item=item)))


@router.put(
    "/service-items/{code}/versions/{number}",
    response={200: VersionOut, **ERRORS},
    auth=django_auth,
    summary="修改草稿",
)
def edit_draft(request, code: str, number: int, payload: DraftIn):
    version = selectors.get_version(selectors.get_service_item(code), number)
    return _version(
        services.edit_draft(
            actor=request.user,
            version=version,
            guide=payload.guide,
            change_note=payload.change_note,
        )
    )


def _lifecycle(action):
    def endpoint(request, code: str, number: int):
        version = selectors.get_version(selectors.get_service_item(code), number)
        return _version(action(actor=request.user, version=version))

    return endpoint


router.post(
    "/service-items/{code}/versions/{number}/submit",
    response={200: VersionOut, **ERRORS},
    auth=django_auth,
    summary="提交审核（运行自动检查）",
    operation_id="submit_version",
)(_lifecycle(services.submit_version))
router.post(
    "/service-items/{code}/versions/{number}/publish",
    response={200: VersionOut, **ERRORS},
    auth=django_auth,
    summary="审核发布",
    operation_id="publish_version",
)(_lifecycle(services.publish_version))


@router.post(
    "/service-items/{code}/versions/{number}/return",
    response={200: VersionOut, **ERRORS},
    auth=django_auth,
    summary="退回修改",
)
def return_version(request, code: str, number: int, payload: ReasonIn):
    version = selectors.get_version(selectors.get_service_item(code), number)
    return _version(
        services.return_version(actor=request.user, version=version, reason=payload.reason)
    )


@router.post(
    "/service-items/{code}/revoke",
    response={200: VersionOut, **ERRORS},
    auth=django_auth,
    summary="撤销事项",
)
def revoke(request, code: str, payload: ReasonIn):
    item = selectors.get_service_item(code)
    return _version(
        services.revoke_service_item(actor=request.user, service_item=item, reason=payload.reason)
    )


class FindingOut(Schema):
    rule: str
    severity: str
    field: str
    message: str
    implementation_code: str


class ReportOut(Schema):
    region_code: str
    service_items: int
    errors: int
    findings: list[FindingOut]


@router.get(
    "/report", response={200: ReportOut, **ERRORS}, summary="区域事项自动检查与三级八同一致性报告"
)
def report(request, region: str):
    target = region_selectors.get_region(region_selectors.check_region(region) or "")
    result = region_report(target.code, level=target.level)
    return {
        "region_code": result.region_code,
        "service_items": result.service_items,
        "errors": len(result.errors),
        "findings": [f.as_dict() for f in result.findings],
    }


# Import and export of the whole catalog (catalog/transfer/) ------------------------------------
# Imports kept here so this section could be appended without touching the file's head.


EXPORT_CONTENT = {
    content_type: {"schema": {"type": "string", "format": "binary"}}
    for content_type in transfer.export.CONTENT_TYPES.values()
}


class TallyOut(Schema):
    created: int
    changed: int
    unchanged: int


class ImportSummaryOut(Schema):
    catalog_items: TallyOut
    service_items: TallyOut


@router.get(
    "/export",
    response=ERRORS,
    summary="导出事项目录（基本目录和实施清单的现行发布版本，xlsx 或 JSON 文件）",
    openapi_extra={"responses": {200: {"description": "目录文件", "content": EXPORT_CONTENT}}},
)
def export_catalog(
    request,
    format: Literal["json", "xlsx"] = "json",
    region: str = Query("", description="只导出该区划的实施清单：12位区划代码或其数字前缀"),
):
    exported = transfer.export_file(file_format=format, region=region)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response


@router.post(
    "/import",
    response={200: ImportSummaryOut, 401: Problem, 413: Problem, **ERRORS},
    auth=django_auth,
    summary="导入事项目录（xlsx 或 JSON，不超过20MB；有任何错误则逐条列出且不写入任何数据）",
)
def import_catalog(request, file: File[UploadedFile]):
    transfer.check_size(file.size)
    summary = transfer.import_catalog(file.read(), filename=file.name, actor=request.user)
    return summary.as_dict()
