from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from yiwang.api import api
from yiwang.licenses.api import well_known_trust_list

admin.site.site_header = "一网 · 政务服务后台"
admin.site.site_title = "一网后台"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("api/", api.urls),
    path(".well-known/yiwang-trust-list.json", well_known_trust_list, name="trust_list"),
    # Staff sign in to the back office with both factors, at the workbench.
    path("admin/login/", RedirectView.as_view(pattern_name="workbench:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("workbench/", include("yiwang.workbench.urls")),
    path("", include("yiwang.identity.urls")),
    path("", include("yiwang.portal.urls")),
]

if settings.DEBUG:
    urlpatterns.insert(0, path("dev/sms/", include("yiwang.core.urls")))
