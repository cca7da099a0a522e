from django.contrib import admin
from django.urls import include, path

from yiwang.api import api

admin.site.site_header = "一网 · 政务服务后台"
admin.site.site_title = "一网后台"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("yiwang.portal.urls")),
]
