"""Scoreboard settings: every value comes from the environment (see README)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url

from .env import env_bool, env_choice, env_float, env_int, env_list, env_str
from .secrets import refuse_debug_in_production_shape, resolve_secrets
from .tls import https_only_settings

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
DATABASE_URL: str = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}") or ""
REDIS_URL = env_str("REDIS_URL")
USES_SQLITE = DATABASE_URL.startswith("sqlite:")
# The production shape is PostgreSQL + Redis; the embedded default is for one process.
PRODUCTION_SHAPE = REDIS_URL is not None or not USES_SQLITE
refuse_debug_in_production_shape(
    debug=DEBUG, production_shape=PRODUCTION_SHAPE, override=env_bool("ALLOW_DEBUG_IN_PRODUCTION", False)
)
PRODUCTION = not DEBUG and PRODUCTION_SHAPE

_secrets = resolve_secrets(production=PRODUCTION, dev_file=BASE_DIR / ".dev-secrets.json")
SECRET_KEY = _secrets["SECRET_KEY"]
JWT_SECRET = _secrets["JWT_SECRET"]
ACTION_TOKEN_SECRETS = [s.strip() for s in _secrets["ACTION_TOKEN_SECRETS"].split(",") if s.strip()]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CORS_ORIGIN = env_list("CORS_ORIGIN", [])
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
# CORS_ORIGIN takes full origins (https://game.example.com) or bare hosts (both schemes).
CSRF_TRUSTED_ORIGINS = [
    origin.rstrip("/") if "://" in origin else f"{scheme}://{origin}"
    for origin in CORS_ORIGIN
    for scheme in (("",) if "://" in origin else ("https", "http"))
]
# Browsers on these origins may call the API (bearer tokens, no cookies needed).
CORS_ALLOWED_ORIGINS = CSRF_TRUSTED_ORIGINS
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["Retry-After", "X-Request-ID"]
CORS_ALLOW_METHODS = [
    "GET",
    "HEAD",
    "OPTIONS",
    "POST",
    "PATCH",
    "PUT",
    "DELETE",
]  # every method the API serves

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "scoreboard_project",
    "accounts",
    "leaderboard",
    "anticheat",
    "actions",
]

MIDDLEWARE = [
    "scoreboard_project.middleware.RequestIdMiddleware",
    "scoreboard_project.db_breaker.DatabaseBreakerMiddleware",
    "scoreboard_project.limits.LimitScopeMiddleware",
    "scoreboard_project.middleware.EnvelopeFallbackMiddleware",
    "scoreboard_project.middleware.BodySizeLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "scoreboard_project.tls.TrustedProxyHeadersMiddleware",  # before anything reads the scheme
    "django.middleware.security.SecurityMiddleware",
    "scoreboard_project.tls.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "scoreboard_project.metrics.RequestMetricsMiddleware",
]

ROOT_URLCONF = "scoreboard_project.urls"
ASGI_APPLICATION = "scoreboard_project.asgi.application"
AUTH_USER_MODEL = "accounts.User"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if not USES_SQLITE:
    # Django's psycopg 3 pool: CONN_MAX_AGE > 0 leaks connections under ASGI.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 20, minimum=1),
        "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
        # A lost connection is retried with a doubling back-off (1, 2, 4, 8, 16 s...) until
        # this many seconds pass; then the pool drops it and grows again on the next request,
        # retrying at once. Short: after an outage the service recovers within seconds of
        # PostgreSQL's return, whatever the outage's length (tests/e2e/faults).
        "reconnect_timeout": env_int("DB_POOL_RECONNECT_TIMEOUT", 2, minimum=1),
    }
    # Parameters sent apart from the SQL (psycopg's server-side binding) instead of quoted into
    # it in Python. Measured: about a quarter less CPU per flow (docs/benchmarks.md, flows third
    # session).
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    # A statement run this many times on a connection is prepared there (psycopg): PostgreSQL
    # then skips parsing and planning it. Django's default prepares nothing. Measured on record
    # writes: about 1 ms less per write, and a quarter less PostgreSQL CPU (docs/benchmarks.md,
    # ninth session). ``off`` for a proxy that pools per transaction (docs/deployment.md).
    _prepare = env_str("DB_PREPARE_THRESHOLD", "5")
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        None if _prepare == "off" else env_int("DB_PREPARE_THRESHOLD", 5)
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# A file, not SQLite's shared-cache memory database, whose table locks ignore the busy
# timeout: concurrency tests then behave as on the embedded set-up.
_default_test_name = str(BASE_DIR / "test-db.sqlite3") if USES_SQLITE else None
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", _default_test_name)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# After a database error, API requests answer 503 at once for this long (one probe at a
# time still tries the database): scoreboard_project/db_breaker.py.
DB_BREAKER_SECONDS = env_float("DB_BREAKER_SECONDS", 1.0)


# --- Redis: channel layer, cache, rate limits, ranking ---------------------------------
def _redis_prefix(url: str) -> str:
    """Pub/sub ignores Redis database numbers, so the channel prefix carries it."""
    db = (urlparse(url).path or "/0").strip("/") or "0"
    return f"scoreboard{db}"


if REDIS_URL:
    REDIS_PREFIX = _redis_prefix(REDIS_URL)
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_PREFIX},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "scoreboard_project.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    REDIS_PREFIX = "scoreboard"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_EXPIRY = env_int("JWT_EXPIRY", 3600, minimum=1)
REFRESH_TOKEN_EXPIRY = env_int("REFRESH_TOKEN_EXPIRY", 604800, minimum=1)
# A login session (a refresh family) ends this long after its login, whatever the refreshes.
REFRESH_SESSION_MAX_AGE = env_int("REFRESH_SESSION_MAX_AGE", 30 * 24 * 3600, minimum=1)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=JWT_EXPIRY),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=REFRESH_TOKEN_EXPIRY),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "VERIFYING_KEY": None,
    "ISSUER": "scoreboard",
    "AUDIENCE": "scoreboard-api",
    "LEEWAY": 0,  # an expired token is refused the second it expires (servers keep NTP time)
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "userId",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["scoreboard_project.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "scoreboard_project.parsers.JSONParser",
        "scoreboard_project.parsers.AnyContentTypeJSONParser",
    ],
    "DEFAULT_METADATA_CLASS": "scoreboard_project.metadata.EnvelopeMetadata",
    # Throttles run after authentication, so game servers (role system) are exempt.
    "DEFAULT_THROTTLE_CLASSES": ["scoreboard_project.limits.RequestLimits"],
    "EXCEPTION_HANDLER": "scoreboard_project.exception_handler.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Scoreboard API",
    "DESCRIPTION": "Real-time leaderboard service. The contract is docs/api.md; this schema follows it.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "CAMELIZE_NAMES": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
    ],
}

# --- Product settings (docs/api.md, "Settings and commands") ---------------------------------
ACTION_TOKEN_TTL = env_int("ACTION_TOKEN_TTL", 300, minimum=1)
RATE_LIMIT_ACTIONS_PER_SECOND = env_int("RATE_LIMIT_ACTIONS_PER_SECOND", 1, minimum=1)
RATE_LIMIT_ACTIONS_PER_MINUTE = env_int("RATE_LIMIT_ACTIONS_PER_MINUTE", 10, minimum=1)
RATE_LIMIT_ACTIONS_PER_HOUR = env_int("RATE_LIMIT_ACTIONS_PER_HOUR", 100, minimum=1)
RATE_LIMIT_ACTIONS_PER_DAY = env_int("RATE_LIMIT_ACTIONS_PER_DAY", 500, minimum=1)
RATE_LIMIT_REQUESTS_PER_MINUTE = env_int("RATE_LIMIT_REQUESTS_PER_MINUTE", 10, minimum=1)
RATE_LIMIT_IP_PER_HOUR = env_int("RATE_LIMIT_IP_PER_HOUR", 1000, minimum=1)
RATE_LIMIT_LEADERBOARD_PER_MINUTE = env_int("RATE_LIMIT_LEADERBOARD_PER_MINUTE", 60, minimum=1)
RATE_LIMIT_SCORE_PER_MINUTE = env_int("RATE_LIMIT_SCORE_PER_MINUTE", 30, minimum=1)
RATE_LIMIT_LOGIN_PER_15_MINUTES = env_int("RATE_LIMIT_LOGIN_PER_15_MINUTES", 5, minimum=1)
WS_MAX_CONNECTIONS_PER_USER = env_int("WS_MAX_CONNECTIONS_PER_USER", 5, minimum=1)
WS_NEW_CONNECTIONS_PER_5_MINUTES = env_int("WS_NEW_CONNECTIONS_PER_5_MINUTES", 3, minimum=1)
ANOMALY_DETECTION_THRESHOLD = env_int("ANOMALY_DETECTION_THRESHOLD", 5, minimum=1)
# Anomaly detectors (docs/anticheat.md): each judges server-measured times; README lists them.
ANTICHEAT_WINDOW = env_int("ANTICHEAT_WINDOW", 10, minimum=4)
ANTICHEAT_HISTORY_SIZE = env_int("ANTICHEAT_HISTORY_SIZE", 60, minimum=ANTICHEAT_WINDOW + 1)
ANTICHEAT_NEAR_MIN_MARGIN = env_float("ANTICHEAT_NEAR_MIN_MARGIN", 0.25, maximum=10.0)
ANTICHEAT_NEAR_MIN_SHARE = env_float("ANTICHEAT_NEAR_MIN_SHARE", 0.8, minimum=0.1, maximum=1.0)
ANTICHEAT_LOW_SPREAD_MAX = env_float("ANTICHEAT_LOW_SPREAD_MAX", 0.04, maximum=1.0)
ANTICHEAT_RHYTHM_MAX = env_float("ANTICHEAT_RHYTHM_MAX", 0.02, maximum=1.0)
ANTICHEAT_CLAIM_AHEAD_SLACK_MS = env_int("ANTICHEAT_CLAIM_AHEAD_SLACK_MS", 10, minimum=0)
ANTICHEAT_CLAIM_AHEAD_SHARE = env_float("ANTICHEAT_CLAIM_AHEAD_SHARE", 0.6, minimum=0.1, maximum=1.0)
ANTICHEAT_VELOCITY_WINDOW_SECONDS = env_int("ANTICHEAT_VELOCITY_WINDOW_SECONDS", 300, minimum=10)
ANTICHEAT_VELOCITY_LIMIT_SHARE = env_float("ANTICHEAT_VELOCITY_LIMIT_SHARE", 0.9, minimum=0.1, maximum=1.0)
ANTICHEAT_BASELINE_MIN_HISTORY = env_int("ANTICHEAT_BASELINE_MIN_HISTORY", 10, minimum=3)
ANTICHEAT_BASELINE_MIN_PLAYERS = env_int("ANTICHEAT_BASELINE_MIN_PLAYERS", 20, minimum=3)
ANTICHEAT_BASELINE_MAD_MULTIPLIER = env_float("ANTICHEAT_BASELINE_MAD_MULTIPLIER", 5.0, minimum=0.5)
ANTICHEAT_BASELINE_DAYS = env_int("ANTICHEAT_BASELINE_DAYS", 30, minimum=1)
ANTICHEAT_BASELINE_REFRESH_SECONDS = env_int("ANTICHEAT_BASELINE_REFRESH_SECONDS", 300, minimum=0)
BROADCAST_INTERVAL_MS = env_int("BROADCAST_INTERVAL_MS", 1000, minimum=0)
WS_HEARTBEAT_INTERVAL = env_int("WS_HEARTBEAT_INTERVAL", 30000, minimum=100)
LEADERBOARD_PUBLIC = env_bool("LEADERBOARD_PUBLIC", True)
# Where the rankings live: "auto" is Redis when REDIS_URL is set, else SQL; "sql" always SQL.
LEADERBOARD_STORE = env_choice("LEADERBOARD_STORE", "auto", ("auto", "sql"))
# The first ledger write of a UTC day records the finished days' roots (docs/ledger.md).
LEDGER_DAILY_ROOTS = env_bool("LEDGER_DAILY_ROOTS", True)
# Named boards: each process runs a small task that records period resets (boards/resets.py).
BOARD_RESET_CLOCK = env_bool("BOARD_RESET_CLOCK", True)

# Anonymous WebSockets and SSE streams open at once per client IP (scoreboard_project/limits.py).
WS_MAX_ANONYMOUS_PER_IP = env_int("WS_MAX_ANONYMOUS_PER_IP", 100, minimum=1)
# /metrics: callers from these addresses or CIDR ranges, or with "Authorization: Bearer METRICS_TOKEN".
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Plain HTTP runs on WSGI_THREADS threads through Django's WSGI handler; "asgi" sends it
# through the ASGI handler instead (scoreboard_project/serving.py, asgi.py).
WSGI_THREADS = env_int("WSGI_THREADS", 8, minimum=1)
HTTP_HANDLER = env_choice("HTTP_HANDLER", "wsgi", ("wsgi", "asgi"))

# --- HTTP -------------------------------------------------------------------------------
MAX_BODY_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- TLS posture: one switch (scoreboard_project/tls.py) -----------------------------------
# X-Forwarded-Proto counts only from TRUSTED_PROXIES (the middleware drops it otherwise).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS_ONLY = env_bool("HTTPS_ONLY", False)
CONTENT_SECURITY_POLICY = ""
if HTTPS_ONLY:  # HSTS, Secure cookies, redirect, CSP, CSRF origins: see https_only_settings
    globals().update(
        https_only_settings(
            allowed_hosts=ALLOWED_HOSTS,
            csrf_trusted_origins=CSRF_TRUSTED_ORIGINS,
            hsts_seconds=env_int("HSTS_SECONDS", 31536000),
        )
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "scoreboard_project.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
    "loggers": {
        "django.server": {"level": "WARNING"},
        # daphne logs each request path; the ?token= of a WebSocket URL must never reach a log.
        "daphne": {"filters": ["request_id"], "level": "WARNING"},
        # uvicorn logs query strings (HTTP access lines, WebSocket handshakes on uvicorn.error):
        # both go through the redacting handler.
        "uvicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
