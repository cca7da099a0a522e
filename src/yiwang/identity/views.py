"""The OpenID Connect endpoints that show a page: consent and logout confirmation.

The toolkit's views do the protocol; these add the session link (the approving session's sid
rides along to the authorization code), Chinese pages and an audit record of every refusal.
"""

from __future__ import annotations

from oauth2_provider import views as toolkit

from yiwang.core.audit import record_audit
from yiwang.identity import services


def _audit_refusal(request, error) -> None:
    oauth_error = getattr(error, "oauthlib_error", error)
    record_audit(
        "oidc.refused",
        actor=services.actor_of(request).label,
        address=services.client_address(request),
        target=request.GET.get("client_id", "")[:100],
        detail={"error": getattr(oauth_error, "error", str(error))[:100]},
    )


class AuthorizationView(toolkit.AuthorizationView):
    template_name = "identity/authorize.html"

    def create_authorization_response(self, request, scopes, credentials, allow):
        credentials = {**credentials, "yiwang_sid": request.session.get(services.SESSION_SID, "")}
        return super().create_authorization_response(request, scopes, credentials, allow)

    def error_response(self, error, application, **kwargs):
        _audit_refusal(self.request, error)
        return super().error_response(error, application, **kwargs)


class LogoutView(toolkit.RPInitiatedLogoutView):
    template_name = "identity/logout_confirm.html"

    def error_response(self, error):
        _audit_refusal(self.request, error)
        return super().error_response(error)
