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
    "oauth2_provider",
    "csp",
    "yiwang.core",
    "yiwang.regions",
    "yiwang.catalog",
    "yiwang.registries",
    "yiwang.identity",
    "yiwang.cases",
    "yiwang.licenses",
    "yiwang.notifications",
    "yiwang.portal",
    "yiwang.workbench",
]

AUTH_USER_MODEL = "identity.Account"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "yiwang.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "yiwang.identity.middleware.SessionGuardMiddleware",
    "csp.middleware.CSPMiddleware",
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
PREPARED_STATEMENTS = config(
    "YIWANG_PREPARED_STATEMENTS",
    True,
    cast=bool,
    help="Prepare the hot-path statements (core.statements) on PostgreSQL; false behind a "
    "pooler in transaction mode.",
)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the in-process worker write while pages read.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif PREPARED_STATEMENTS:
    # Django turns psycopg's preparing off (threshold None), which also ignores an explicit
    # prepare=True. A threshold no statement reaches prepares exactly the statements
    # core.statements marks, and nothing of the ORM's.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)

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
    # No ID number or mobile number reaches a log in clear (core.logging).
    "filters": {"redact_personal_data": {"()": "yiwang.core.logging.RedactPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_personal_data"]}
    },
    "root": {"handlers": ["console"], "level": config("LOG_LEVEL", "INFO", help="Root log level.")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "spiff": {"level": "WARNING"},  # the BPMN engine logs every task state change
        # Django's default handlers have no redaction: its records go through ours instead.
        "django": {"level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

NINJA_PAGINATION_PER_PAGE = 20

# --- Identity, sessions and single sign-on -------------------------------------------------
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = ["yiwang.identity.backends.AccountBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "yiwang.identity.passwords.CharacterClassValidator"},
]
SESSION_COOKIE_AGE = config(
    "SESSION_COOKIE_AGE", 8 * 3600, cast=int, help="Longest a login lasts, in seconds."
)
IDLE_TIMEOUT_SECONDS = config(
    "YIWANG_IDLE_TIMEOUT", 30 * 60, cast=int, help="Idle seconds before a session ends."
)
STAFF_IDLE_TIMEOUT_SECONDS = config(
    "YIWANG_STAFF_IDLE_TIMEOUT", 15 * 60, cast=int, help="Idle seconds before a staff session ends."
)
LOGIN_LOCKOUT_FAILURES = config(
    "YIWANG_LOCKOUT_FAILURES", 5, cast=int, help="Failed logins in a row before a lockout."
)
LOGIN_LOCKOUT_SECONDS = config(
    "YIWANG_LOCKOUT_SECONDS", 15 * 60, cast=int, help="How long a lockout lasts, in seconds."
)

STRONG_VERIFIER = config(
    "YIWANG_STRONG_VERIFIER",
    "simulated-face",
    help="Identity-provider plugin for L3 real-name checks (simulated-face: embedded only).",
)
CARD_READER = config(
    "YIWANG_CARD_READER",
    "simulated-reader",
    help="ID-card reader plugin at the windows (simulated-reader: embedded only).",
)
PAYMENT_PROVIDER = config(
    "YIWANG_PAYMENT_PROVIDER",
    "simulated-pay",
    help="Payment plugin for item fees (simulated-pay: embedded only).",
)
PAYMENT_CALLBACK_SECRET = config(
    "YIWANG_PAYMENT_CALLBACK_SECRET",
    "embedded-payment-secret",
    help="Shared secret the payment provider signs callbacks with (HMAC-SM3).",
)
COURIER = config("YIWANG_COURIER", "simulated-courier", help="Courier plugin for mailed results.")
OIDC_SIGNING_KEY_FILE = config(
    "YIWANG_OIDC_KEY_FILE",
    str(VAR_DIR / "oidc_signing_key.pem"),
    help="PEM file of the OpenID Connect RS256 signing key; created in embedded profiles.",
)
# Named so that migrations can depend on them; Yiwang keeps django-oauth-toolkit's own models.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"


def oidc_signing_key(path: Path, *, create: bool) -> str:
    """The RS256 key that signs ID tokens; embedded profiles make one on first start."""
    if not path.exists() and create:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pem)
        path.chmod(0o600)
    return path.read_text() if path.exists() else ""


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": oidc_signing_key(Path(OIDC_SIGNING_KEY_FILE), create=False),
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ROTATE_REFRESH_TOKEN": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
    "ID_TOKEN_EXPIRE_SECONDS": 600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 8 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_VALIDATOR_CLASS": "yiwang.identity.oidc.YiwangValidator",
    "SCOPES": {
        "openid": "登录身份",
        "profile": "姓名与账号类型",
        "phone": "脱敏手机号",
        "id_number": "完整证件号码",
    },
    "DEFAULT_SCOPES": ["openid"],
}

# --- Web hardening ---------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # No form-action: Chromium applies it to the redirect chain after a login form, which
        # ends at a registered client's redirect URI on another origin.
    }
}
AUDIT_ANCHOR_EVERY = config(
    "YIWANG_AUDIT_ANCHOR_EVERY",
    1000,
    cast=int,
    help="Anchor the audit chain (database row and log line) every this many records.",
)
PUBLIC_BASE_URL = config(
    "YIWANG_PUBLIC_BASE_URL",
    "http://127.0.0.1:8000",
    help="The portal's address as citizens reach it; printed in QR codes on notices.",
)
LICENSE_SHOW_SECONDS = config(
    "YIWANG_LICENSE_SHOW_SECONDS", 300, cast=int, help="Seconds a 亮证 QR code stays valid."
)
LICENSE_SHOWING_RETENTION_DAYS = config(
    "YIWANG_LICENSE_SHOWING_RETENTION_DAYS",
    30,
    cast=int,
    help="Days an expired 亮证 showing is kept (a late scan reads 已过期, not 无效) before "
    "`yiwang licenses housekeeping` deletes it.",
)
LICENSE_REMIND_DAYS = config("YIWANG_LICENSE_REMIND_DAYS", 30, cast=int, help="Expiry notice days.")
LOOKUP_RATE = config(
    "YIWANG_LOOKUP_RATE",
    "600/m",
    help="Public lookups (search, guides) per client address, e.g. 600/m.",
)
LICENSE_BATCH_RATE = config(
    "YIWANG_LICENSE_BATCH_RATE",
    "6/m",
    help="Batch license verifications (up to 100 licenses each) per client address.",
)
RATELIMIT_ENABLE = config(
    "YIWANG_RATELIMIT", True, cast=bool, help="Rate limits on logins, SMS codes and lookups."
)

# --- SMS gateway and verification codes -----------------------------------------------------
SMS_GATEWAY = config(
    "YIWANG_SMS_GATEWAY",
    "outbox",
    help="SMS gateway plugin: outbox (kept in the database, embedded only) or http.",
)
SMS_GATEWAY_URL = config(
    "YIWANG_SMS_GATEWAY_URL", "", help="http gateway: URL that receives POST {phone, text, sign}."
)
SMS_GATEWAY_TOKEN = config(
    "YIWANG_SMS_GATEWAY_TOKEN", "", help="http gateway: bearer token sent with each message."
)
SMS_GATEWAY_TIMEOUT = config(
    "YIWANG_SMS_GATEWAY_TIMEOUT", 5.0, cast=float, help="http gateway: seconds to wait."
)
SMS_SIGN = config("YIWANG_SMS_SIGN", "一网", help="SMS signature (短信签名) shown as 【…】.")
SMS_CODE_TTL_SECONDS = config(
    "YIWANG_SMS_CODE_TTL", 300, cast=int, help="Seconds an SMS verification code stays valid."
)
SMS_CODES_PER_ADDRESS_HOUR = config(
    "YIWANG_SMS_PER_ADDRESS_HOUR",
    20,
    cast=int,
    help="SMS codes one client address may request per hour.",
)

# --- Uploaded materials -----------------------------------------------------------------------
MAX_UPLOAD_BYTES = config(
    "YIWANG_MAX_UPLOAD_BYTES",
    20 * 1024 * 1024,
    cast=int,
    help="Largest uploaded material file, in bytes (default 20 MiB).",
)
