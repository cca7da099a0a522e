from django.urls import path

from yiwang.workbench.views import audit, cases, home, intake, licenses, security, signin

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
    path("intake/", intake.intake, name="intake"),
    path("tasks/", cases.tasks, name="tasks"),
    path("overdue/", cases.overdue, name="overdue"),
    path("cases/<str:number>/", cases.case, name="case"),
    path(
        "cases/<str:number>/materials/<int:material_id>/",
        cases.case_material,
        name="case_material",
    ),
    path("cases/<str:number>/tasks/<int:task_id>/claim/", cases.claim, name="case_claim"),
    path(
        "cases/<str:number>/tasks/<int:task_id>/acceptance/",
        cases.acceptance,
        name="case_acceptance",
    ),
    path(
        "cases/<str:number>/tasks/<int:task_id>/correction/",
        cases.correction,
        name="case_correction",
    ),
    path("cases/<str:number>/tasks/<int:task_id>/review/", cases.review, name="case_review"),
    path("cases/<str:number>/tasks/<int:task_id>/decision/", cases.decision, name="case_decision"),
    path(
        "cases/<str:number>/special-procedure/start/",
        cases.special_procedure_start,
        name="case_special_start",
    ),
    path(
        "cases/<str:number>/special-procedure/end/",
        cases.special_procedure_end,
        name="case_special_end",
    ),
    path("cases/<str:number>/complete/", cases.complete, name="case_complete"),
    path("licenses/authorized/", licenses.authorized, name="authorized"),
    path(
        "licenses/authorized/<int:authorization_id>/<str:identifier>/",
        licenses.authorized_license,
        name="authorized_license",
    ),
    path("licenses/issued/", licenses.issued, name="issued_licenses"),
    path("licenses/issued/<str:identifier>/", licenses.issued_license, name="issued_license"),
    path(
        "licenses/issued/<str:identifier>/<slug:action>/",
        licenses.act_on_issued_license,
        name="issued_license_action",
    ),
    path("licenses/import/", licenses.stock_import, name="license_import"),
]
