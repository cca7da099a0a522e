from django.urls import path

from yiwang.workbench.views import audit, home, security, signin

app_name = "workbench"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", signin.login, name="login"),
    path("login/second-factor/", signin.second_factor, name="second_factor"),
    path("staff/", security.staff, name="staff"),
    path("staff/<int:account_id>/", security.staff_member, name="staff_member"),
    path(
        "staff/<int:account_id>/roles/<int:assignment_id>/revoke/",
        security.revoke_role,
        name="revoke_role",
    ),
    path(
        "staff/<int:account_id>/second-factor/reset/",
        security.reset_second_factor,
        name="reset_second_factor",
    ),
    path("audit/", audit.search, name="audit"),
    path("audit/verify/", audit.verify_chain, name="audit_verify"),
    path("audit/export/", audit.export, name="audit_export"),
]
