"""The OpenID Connect endpoints Yiwang adapts: consent, logout confirmation and token.

The toolkit's views do the protocol; these add the session link (the approving session's sid
rides along to the authorization code), Chinese pages and an audit record of every refusal,
at the token endpoint too.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import unquote

from oauth2_provider import views as toolkit

from yiwang.core.audit import record_audit
from yiwang.identity import services


def _audit_refusal(request, error: str, client_id: str = "") -> None:
    record_audit(
        "oidc.refused",
        actor=services.actor_of(request).label,
        address=services.client_address(request),
        target=(client_id or request.GET.get("client_id", ""))[:100],
        detail={"endpoint": request.path, "error": error[:100]},
    )


def _error_code(error) -> str:
    return getattr(getattr(error, "oauthlib_error", error), "error", str(error))


class AuthorizationView(toolkit.AuthorizationView):
    template_name = "identity/authorize.html"

    def create_authorization_response(self, request, scopes, credentials, allow):
        credentials = {**credentials, "yiwang_sid": request.session.get(services.SESSION_SID, "")}
        return super().create_authorization_response(request, scopes, credentials, allow)

    def error_response(self, error, application, **kwargs):
        _audit_refusal(self.request, _error_code(error))
        return super().error_response(error, application, **kwargs)


class LogoutView(toolkit.RPInitiatedLogoutView):
    template_name = "identity/logout_confirm.html"

    def error_response(self, error):
        _audit_refusal(self.request, _error_code(error))
        return super().error_response(error)


class TokenView(toolkit.TokenView):
    """Refused token requests (a wrong PKCE verifier, a reused refresh token, a bad client
    secret) are answered by the toolkit and recorded here."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code >= 400:
            error = json.loads(response.content or b"{}").get("error", "")
            _audit_refusal(
                request, error, request.POST.get("client_id", "") or _basic_client(request)
            )
        return response


def _basic_client(request) -> str:
    """The client id of HTTP Basic client authentication, for the record (never the secret)."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(credentials).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
    return unquote(decoded.partition(":")[0])
