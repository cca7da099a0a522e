from django.urls import path

from yiwang.core import views

app_name = "core"

urlpatterns = [
    path("", views.dev_sms_outbox, name="dev_sms"),
]
