"""Yiwang as an OpenID Connect provider, on django-oauth-toolkit.

What the toolkit does not know and this module adds:
- claims: `sub` is the account's opaque uid; the account kind, masked ID number and real-name
  level come with `profile`; the full ID number only with the `id_number` scope, which only a
  client registered as allowed may request, and whose every release is audited;
- sessions: an authorization code remembers the browser session that approved it, the ID
  token carries that session's `sid`, and when the session ends its tokens are revoked and
  every client that took part gets an OpenID Connect Back-Channel Logout token.

ID tokens are signed RS256, not SM2: JOSE has no registered SM2 algorithm, and department
systems verify tokens with ordinary OIDC libraries.
"""

from __future__ import annotations

import json
import time
import uuid

from jwcrypto import jwk, jwt
from oauth2_provider.models import AccessToken, RefreshToken, get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings

from yiwang.core.audit import record_audit
from yiwang.core.crypto import sm3_hex
from yiwang.core.keys import Sealer
from yiwang.identity.models import Account, RelyingParty, SessionClient, SessionRecord
from yiwang.registries.constants import ID_NUMBER_PURPOSE

ID_NUMBER_SCOPE = "id_number"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120


def code_hash(code: str) -> str:
    return sm3_hex(code.encode())


def _relying_party(application) -> RelyingParty | None:
    return RelyingParty.objects.filter(application=application).first()


def may_read_id_number(application) -> bool:
    party = _relying_party(application)
    return bool(party and party.may_read_id_number)


class YiwangValidator(OAuth2Validator):
    oidc_claim_scope = {
        "sub": "openid",
        "sid": "openid",
        "name": "profile",
        "account_kind": "profile",
        "id_number_masked": "profile",
        "real_name_level": "profile",
        "phone_number": "phone",
        ID_NUMBER_SCOPE: ID_NUMBER_SCOPE,
    }

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """`id_number` is granted only to clients registered for it; others are refused."""
        if ID_NUMBER_SCOPE in scopes and not may_read_id_number(client):
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        session = SessionRecord.objects.filter(
            sid=getattr(request, "yiwang_sid", ""), ended_at__isnull=True
        ).first()
        if session is not None:
            SessionClient.objects.create(
                session=session,
                application=request.client,
                authorization_code_hash=code_hash(code["code"]),
            )

    def get_additional_claims(self, request):
        account: Account = request.user
        claims = {
            "sub": str(account.uid),
            "name": account.name,
            "account_kind": account.kind,
            "id_number_masked": account.id_number_masked,
            "real_name_level": account.level,
            "phone_number": account.phone_masked,
        }
        sid = _session_id(request)
        if sid:
            claims["sid"] = sid
        if ID_NUMBER_SCOPE in (request.scopes or []) and account.id_number_sealed:
            claims[ID_NUMBER_SCOPE] = _released_id_number(account, request.client)
        return claims


def _session_id(request) -> str:
    """The sid of the session behind this token request (code or refresh grant)."""
    links = SessionClient.objects.filter(application=request.client, session__account=request.user)
    code = getattr(request, "code", None)
    if code:
        links = links.filter(authorization_code_hash=code_hash(code))
    link = links.filter(session__ended_at__isnull=True).order_by("-created_at").first()
    return link.session.sid if link else ""


def _released_id_number(account: Account, application) -> str:
    record_audit(
        "pii.released",
        actor=f"接入系统 {application.name}",
        target=str(account),
        detail={"field": ID_NUMBER_SCOPE, "client_id": application.client_id},
    )
    return Sealer(ID_NUMBER_PURPOSE).open(account.id_number_sealed)


def revoke_session_tokens(session: SessionRecord) -> None:
    """Revoke what the session's clients hold for this account, so no token outlives a logout."""
    applications = session.clients.values_list("application", flat=True)
    tokens = AccessToken.objects.filter(user=session.account, application__in=applications)
    for refresh in RefreshToken.objects.filter(access_token__in=tokens):
        refresh.revoke()
    for token in tokens:
        token.revoke()


def signing_key() -> jwk.JWK:
    return jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())


def logout_token(*, issuer: str, client_id: str, sub: str, sid: str) -> str:
    """An OpenID Connect Back-Channel Logout 1.0 logout token, signed like the ID tokens."""
    key = signing_key()
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": str(uuid.uuid4()),
        "sub": sub,
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    header = {"alg": "RS256", "typ": "logout+jwt", "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def logout_targets(sid: str) -> list[tuple[str, str]]:
    """(client_id, back-channel URI) of every client that took part in the session."""
    Application = get_application_model()
    application_ids = SessionClient.objects.filter(session__sid=sid).values_list(
        "application", flat=True
    )
    parties = RelyingParty.objects.filter(application__in=application_ids).exclude(
        backchannel_logout_uri=""
    )
    return [
        (Application.objects.get(pk=party.application_id).client_id, party.backchannel_logout_uri)
        for party in parties
    ]
