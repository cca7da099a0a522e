from django.urls import path

from yiwang.portal import account, cases, verify, views
from yiwang.portal import licenses as wallet

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

urlpatterns += [
    path("login/", account.login_page, name="login"),
    path("logout/", account.logout_page, name="logout"),
    path("register/", account.register, name="register"),
    path("sms-code/<str:purpose>/", account.send_code, name="send_code"),
    path("my/", account.my_account, name="my_account"),
    path("my/real-name/", account.verify_real_name, name="verify_real_name"),
    path("my/real-name/strong/", account.strong_verification, name="strong_verification"),
    path("my/sessions/", account.my_sessions, name="my_sessions"),
    path("my/sessions/<str:sid>/end/", account.end_session, name="end_session"),
    path("my/organizations/", account.my_organizations, name="my_organizations"),
    path("my/organizations/<str:uscc>/", account.organization, name="organization"),
    path(
        "my/organizations/<str:uscc>/members/<int:member_id>/revoke/",
        account.revoke_agent,
        name="revoke_agent",
    ),
    path("my/delegations/", account.my_delegations, name="my_delegations"),
    path(
        "my/delegations/<int:delegation_id>/revoke/",
        account.revoke_delegation,
        name="revoke_delegation",
    ),
]

urlpatterns += [
    path("my/cases/", cases.my_cases, name="my_cases"),
    path("my/cases/apply/<str:code>/", cases.apply, name="apply"),
    path("my/cases/<uuid:uid>/", cases.case_detail, name="case_detail"),
    path("my/cases/<uuid:uid>/edit/", cases.case_edit, name="case_edit"),
    path("my/cases/<uuid:uid>/upload/", cases.upload_material, name="case_upload"),
    path("my/cases/<uuid:uid>/submit/", cases.submit, name="case_submit"),
    path("my/cases/<uuid:uid>/resubmit/", cases.resubmit, name="case_resubmit"),
    path("my/cases/<uuid:uid>/withdraw/", cases.withdraw, name="case_withdraw"),
    path(
        "my/cases/<uuid:uid>/materials/<int:material_id>/",
        cases.case_material,
        name="case_material",
    ),
    path(
        "my/cases/<uuid:uid>/documents/<int:document_id>/",
        cases.case_document,
        name="case_document",
    ),
    path("my/cases/<uuid:uid>/delivery/", cases.arrange_delivery, name="case_delivery"),
    # The simulated payment provider's page; the view answers 404 unless settings.DEBUG.
    path("dev/pay/<str:order_no>/", cases.dev_pay, name="dev_pay"),
]

# 我的证照 (licenses.wallet): the holder's pages, and the page a shown QR code opens.
urlpatterns += [
    path("my/licenses/", wallet.my_licenses, name="my_licenses"),
    path("my/licenses/<str:identifier>/", wallet.license_detail, name="license_detail"),
    path("my/licenses/<str:identifier>/pdf/", wallet.license_pdf, name="license_pdf"),
    path("my/licenses/<str:identifier>/json/", wallet.license_json, name="license_json"),
    path("my/licenses/<str:identifier>/show/", wallet.show_license, name="license_show"),
    path("my/licenses/<str:identifier>/uses/", wallet.license_uses, name="license_uses"),
    path(
        "my/licenses/<str:identifier>/authorizations/",
        wallet.license_authorizations,
        name="license_authorizations",
    ),
    path(
        "my/licenses/<str:identifier>/authorizations/<int:authorization_id>/revoke/",
        wallet.revoke_authorization,
        name="license_revoke_authorization",
    ),
    path("licenses/shown/<str:token>/", wallet.license_shown, name="license_shown"),
]

# 网上验证核对: the public verification page (licenses.verification); the QR code lands here.
urlpatterns += [
    path("licenses/verify/", verify.verify_page, name="license_verify"),
    path("licenses/verify/upload/", verify.verify_upload, name="license_verify_upload"),
    path("licenses/verify/batch/", verify.verify_batch_page, name="license_verify_batch"),
]
