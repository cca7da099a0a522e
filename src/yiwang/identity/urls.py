"""OpenID Connect endpoints. Discovery sits at the site root, so the issuer is the site itself:
/.well-known/openid-configuration; the protocol endpoints live under /o/."""

from django.urls import path, re_path
from oauth2_provider import views as toolkit

from yiwang.identity import views

app_name = "oauth2_provider"  # the toolkit reverses its own endpoint names in this namespace

urlpatterns = [
    re_path(
        r"^\.well-known/openid-configuration/?$",
        toolkit.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", toolkit.JwksInfoView.as_view(), name="jwks-info"),
    path(
        ".well-known/oauth-authorization-server",
        toolkit.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path("o/authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("o/token/", views.TokenView.as_view(), name="token"),
    path("o/revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    path("o/introspect/", toolkit.IntrospectTokenView.as_view(), name="introspect"),
    path("o/userinfo/", toolkit.UserInfoView.as_view(), name="user-info"),
    path("o/logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
]
