"""The production profile: PostgreSQL, Redis, external workers, TLS. No insecure fallback."""

from yiwang.core.config import config

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PROFILE = "production"
SECRET_KEY = config("DJANGO_SECRET_KEY", help="Django secret key (required).")
REDIS_URL = config("REDIS_URL", help="Redis for cache, sessions and rate limits (required).")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
EVENT_WORKER = "external"
MASTER_KEY_PROVIDER = config(
    "YIWANG_MASTER_KEY_PROVIDER", "env", help="Where the master key comes from (env or a KMS)."
)

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise RuntimeError("the production profile needs DATABASE_URL pointing at PostgreSQL")

SMS_GATEWAY = config(
    "YIWANG_SMS_GATEWAY", "http", help="SMS gateway plugin; outbox is refused in production."
)

# __Host- cookies must be Secure, on Path=/ and without Domain: no subdomain can set or
# overwrite them (session fixation from a sibling host).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-yiwang-session"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True  # scripts take the token from the form, never from the cookie
CSRF_COOKIE_NAME = "__Host-yiwang-csrf"
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", True, cast=bool, help="Redirect HTTP to HTTPS.")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", 31536000, cast=int, help="HSTS max-age.")
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = config(
    "SECURE_HSTS_PRELOAD", True, cast=bool, help="Ask browsers' HSTS preload lists to include us."
)

if not OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]:  # noqa: F405
    raise RuntimeError("the production profile needs YIWANG_OIDC_KEY_FILE (an RS256 PEM key)")

# Clients of a production platform receive codes over HTTPS only.
OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"] = ["https"]  # noqa: F405
