"""Regions for the region switcher and other clients."""

from ninja import Router, Schema

from yiwang.core.api import Problem
from yiwang.regions import selectors

router = Router(tags=["行政区划"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    gb_code: str


class RegionDetail(RegionOut):
    path: list[RegionOut]
    children: list[RegionOut]


@router.get("/{code}", response={200: RegionDetail, 404: Problem}, summary="区划及其上级、下级")
def region(request, code: str):
    found = selectors.get_region(code)
    return {
        "code": found.code,
        "name": found.name,
        "level": found.level,
        "gb_code": found.gb_code,
        "path": selectors.region_path(found.code),
        "children": list(selectors.children_of(found.code)),
    }
