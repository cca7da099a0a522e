"""Settings shared by every profile. Values come from the environment (see core.config)."""

from pathlib import Path

import dj_database_url

from yiwang.core.config import config

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(
    config("YIWANG_HOME", str(SRC_DIR.parent.parent), help="Project home; var/ lives here.")
)
VAR_DIR = BASE_DIR / "var"

PROFILE = config(
    "YIWANG_PROFILE", "embedded", help="embedded (single process, SQLite) or production."
)
DEBUG = config("DJANGO_DEBUG", False, cast=bool, help="Django debug pages; never in production.")
ALLOWED_HOSTS = config(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost"], cast=list, help="Host names served."
)
CSRF_TRUSTED_ORIGINS = config(
    "CSRF_TRUSTED_ORIGINS", [], cast=list, help="Origins trusted for CSRF."
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "yiwang.core",
    "yiwang.regions",
    "yiwang.catalog",
    "yiwang.registries",
    "yiwang.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "yiwang.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.portal.context_processors.portal",
            ],
        },
    },
]

DATABASE_URL = config(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}",
    help="Database; unset means the embedded SQLite file var/yiwang.sqlite3.",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the in-process worker write while pages read.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

REDIS_URL = config(
    "REDIS_URL", "", help="Redis for cache and rate limits; unset means local memory."
)
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EVENT_WORKER = config(
    "YIWANG_EVENT_WORKER",
    "inprocess",
    help="inprocess: a web-process thread delivers outbox events; external: `yiwang worker`.",
)

MASTER_KEY_HEX = config(
    "YIWANG_MASTER_KEY",
    "",
    help="Master key (32 hex characters) wrapping the data keys (provider env).",
)
MASTER_KEY_PROVIDER = config(
    "YIWANG_MASTER_KEY_PROVIDER",
    "local-file",
    help="Where the master key comes from: env (YIWANG_MASTER_KEY), local-file (embedded only).",
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(
    config("YIWANG_MEDIA_ROOT", str(VAR_DIR / "media"), help="Uploaded and generated files.")
)
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": config("LOG_LEVEL", "INFO", help="Root log level.")},
    "loggers": {"jieba": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 20
