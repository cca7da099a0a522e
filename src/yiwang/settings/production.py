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

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", True, cast=bool, help="Redirect HTTP to HTTPS.")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", 31536000, cast=int, help="HSTS max-age.")
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
