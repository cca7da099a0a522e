"""The embedded profile for `make run`: SQLite under var/, a local secret, debug pages."""

import secrets
from pathlib import Path

from yiwang.core.config import config

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = config("DJANGO_DEBUG", True, cast=bool, help="Django debug pages; never in production.")


def _local_secret() -> str:
    """A per-checkout secret kept in var/, so sessions survive restarts without a committed key."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = config("DJANGO_SECRET_KEY", "", help="Django secret key.") or _local_secret()

# Embedded profiles make their own ID-token signing key on first start (kept under var/).
OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = oidc_signing_key(  # noqa: F405
    Path(OIDC_SIGNING_KEY_FILE),  # noqa: F405
    create=True,
)
