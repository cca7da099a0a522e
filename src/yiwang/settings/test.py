"""Test settings: the same stack, fast hashing, events delivered synchronously by the tests."""

import os
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EVENT_WORKER = "external"
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests serve static files through the finders; there is no collected STATIC_ROOT.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Embedded profiles make their own ID-token signing key on first start (kept under var/).
OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = oidc_signing_key(  # noqa: F405
    Path(OIDC_SIGNING_KEY_FILE),  # noqa: F405
    create=True,
)

# A file, not memory: threads in the concurrency tests then wait for SQLite's write lock the
# way separate processes do, instead of failing on a shared in-memory cache's table lock.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # One file per test run, so two runs side by side never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# The live server answers each keep-alive client in a thread of its own, and a persistent
# connection would stay open in it as long as the client's socket: at the end of the session
# the test database could not be dropped ("being accessed by other users"). Closed after
# every request instead (Django's test client keeps its own connection regardless).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
