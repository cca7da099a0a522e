from django.urls import path

from yiwang.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("browse/audience/<str:audience>/", views.browse_audience, name="browse_audience"),
    path("browse/level/<str:level>/", views.browse_level, name="browse_level"),
    path("browse/<str:by>/<str:value>/", views.browse_facet, name="browse"),
    path("guide/<str:code>/", views.guide, name="guide"),
    path("guide/<str:code>/changes/", views.guide_changes, name="guide_changes"),
    path("guide/<str:code>/forms/<int:number>/", views.blank_form, name="blank_form"),
    path("region/", views.set_region, name="set_region"),
    path("region/choose/", views.region_chooser, name="region_chooser"),
    path("preferences/large-text/", views.set_large_text, name="large_text"),
]
