"""The platform API at /api/: every context's router, one OpenAPI document, problem+json errors."""

from ninja import NinjaAPI

from yiwang.cases.api import router as cases_router
from yiwang.catalog.api import router as catalog_router
from yiwang.core.api import install_problem_handlers
from yiwang.core.api import router as core_router
from yiwang.licenses.api import router as licenses_router
from yiwang.notifications.api import router as notifications_router
from yiwang.regions.api import router as regions_router

api = NinjaAPI(
    title="一网 Yiwang API",
    version="1",
    description=(
        "互联网+政务服务一体化平台接口。"
        "错误以 RFC 9457 application/problem+json 返回，detail 为中文说明。"
    ),
    urls_namespace="api",
)
install_problem_handlers(api)
api.add_router("/", core_router)
api.add_router("/regions", regions_router)
api.add_router("/catalog", catalog_router)
api.add_router("/", cases_router)
api.add_router("/", notifications_router)
api.add_router("/", licenses_router)
