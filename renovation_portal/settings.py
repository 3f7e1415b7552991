"""Settings for the renovation portal, read from the environment.

Every value has a safe default for a developer's machine. Production is DEBUG off: then SECRET_KEY must
be set (a missing or weak one raises ImproperlyConfigured at start) and the HTTPS-only settings apply,
so that ``python manage.py check --deploy`` reports nothing.

Environment variables:
    DEBUG            "1"/"true" turns debug on (default off)
    SECRET_KEY       required when DEBUG is off
    DATABASE_URL     e.g. postgres://postgres@127.0.0.1:5432/renovation_portal (default: SQLite demo file)
    DATABASE_REPLICA_URL  optional: a streaming replica of DATABASE_URL's database; reads go there, except a
                     user's reads for READ_YOUR_WRITES_SECONDS (default 5) after their own write (db_router.py)
    REDIS_URL        e.g. redis://127.0.0.1:6379/0; empty runs Celery tasks in-process (eager)
    ALLOWED_HOSTS    comma-separated (default: localhost names)
    CSRF_TRUSTED_ORIGINS  comma-separated origins for a proxied deployment
    EMAIL_URL-less mail: EMAIL_BACKEND, DEFAULT_FROM_EMAIL
    MEDIA_ROOT       where uploads are stored (default: ./media, outside the static root)
    MAX_REQUEST_BYTES  request bodies above this are refused with 413 before they are read (default 30 MB)
    MAX_IMAGE_PIXELS   uploaded images above this pixel count are refused before decoding (default 40,000,000)
"""

import os
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("PORTAL_TESTING", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Only for a developer's machine: never used with DEBUG off outside the test suite.
        SECRET_KEY = "dev-only-insecure-key-not-for-production-use-0123456789abcdef"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
elif not (DEBUG or TESTING) and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only")):
    raise ImproperlyConfigured("SECRET_KEY is too short or a development key; use 50+ random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "axes",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "renovation_portal",
    "communities",
    "notifications",
    # Before projects (though above it in the layers): load_demo runs the apps' demos in this order, and the demo's
    # projects are created from its annual plans (declaration → library → plan → project_create).
    "planning",
    "projects",
    "consultations",
    "inspections",
    # After projects, consultations and inspections: its demo opens the aftercare of the handed-over projects.
    "aftercare",
    "dashboards",
    "reports",
]

MIDDLEWARE = [
    # First: an oversized body is refused before anything could read it.
    "renovation_portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that it also compresses the static files WhiteNoise serves in development (in
    # production those are served pre-compressed and passed through untouched).
    "renovation_portal.middleware.CompressTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "renovation_portal.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (it pins a user who just wrote to the primary), before anything that reads for the view.
    "renovation_portal.db_router.ReplicaReadsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "communities.audit.AuditSourceMiddleware",
    "renovation_portal.idempotency.IdempotencyMiddleware",
    "communities.middleware.TwoFactorMiddleware",
    "csp.middleware.CSPMiddleware",
    "renovation_portal.middleware.ApiJsonPolicyMiddleware",  # after CSPMiddleware: sets the API's short policy
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "renovation_portal.urls"
if env_bool("BENCH_FLOORS", False):  # the benchmark harness only: adds bench/floors.py
    ROOT_URLCONF = "bench.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "communities.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "renovation_portal.wsgi.application"
ASGI_APPLICATION = "renovation_portal.asgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'demo.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No Memoize nodes: PostgreSQL sizes a Memoize hash table by the estimated number of distinct join keys, so a
    # 50-row page joined to its projects and compounds at national scale spent ≈ 3.5 ms setting up tables for a
    # 0.4 ms query (EXPLAIN ANALYZE of the inspection list: 4.1 ms → 0.5 ms without). The portal's joins are
    # primary-key lookups where a memo saves nothing; the dashboards' aggregates measured the same either way.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # No JIT either: a province's governance figures (one aggregate over ≈ 38,000 compounds, 1.7 s) spent 1.5 s of
    # it compiling (EXPLAIN ANALYZE: "JIT … Optimization 1126 ms"), for an execution of 0.2 s; the portal's queries
    # are short, so compiling never pays.
    _options["options"] = f"{_options.get('options', '')} -c enable_memoize=off -c jit=off".strip()
else:
    # The embedded demo database cannot make NULL building count once in the board contacts' unique constraint; the
    # board service checks it before writing, so the demo loses nothing but the database's second guard.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
# The reads every request makes in plain SQL (the token's sign-in, the dashboards' figures) go as statements prepared
# once per connection (renovation_portal/prepared.py). Off behind a pooler in transaction mode (docs/deployment.md).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# A read-only streaming replica (optional). Safe requests (GET, HEAD, OPTIONS) read from it, unless their user
# wrote something within READ_YOUR_WRITES_SECONDS (then the primary, so nobody misses what they just saved);
# writes, atomic blocks and everything outside a request (Celery, commands) use the primary
# (renovation_portal/db_router.py, docs/deployment.md). READ_REPLICA names the alias reads go to ("" = none).
READ_REPLICA = ""
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a replica of DATABASE_URL's database (same engine).")
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        _replica_options = DATABASES["replica"].setdefault("OPTIONS", {})
        _replica_options["options"] = f"{_replica_options.get('options', '')} -c enable_memoize=off -c jit=off".strip()
    READ_REPLICA = "replica"
READ_YOUR_WRITES_SECONDS = float(os.environ.get("READ_YOUR_WRITES_SECONDS", "5"))
DATABASE_ROUTERS = ["renovation_portal.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "communities.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while an account+address is locked out
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Language and time: Chinese first, English available; Beijing time, aware datetimes.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Photos are at most 10 MB each (renovation_portal/uploads.py), at most 10 in one upload. A request whose
# Content-Length is above MAX_REQUEST_BYTES is answered 413 before its body is read (RequestSizeLimitMiddleware);
# the default, 30 MB, holds several phone photos (typically 2-6 MB each) with the form; a worker never reads more.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(30 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024  # the non-file part of a request
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# An image whose header announces more pixels is refused before it is decoded (a 10 kB PNG can announce a
# 100-megapixel image that decodes to gigabytes). 40 MP covers every phone camera.
MAX_IMAGE_PIXELS = int(os.environ.get("MAX_IMAGE_PIXELS", "40000000"))

REDIS_URL = os.environ.get("REDIS_URL", "")

# Every Redis client of the web process (cache, rate limit, /healthz) gives up quickly: with Redis down or hung
# the portal serves from PostgreSQL (renovation_portal/cache.py) instead of holding a worker for seconds.
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.5"))
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "1"))
# After a failed call a process leaves that Redis alone this many seconds (one timeout per interval, one log line).
REDIS_RETRY_AFTER = float(os.environ.get("REDIS_RETRY_AFTER", "10"))
# Anonymous lookups of the public compound pages (/public/compounds/<code>/), per client address: all lookups,
# and a tighter limit on unknown codes (guessing); over either, 429. BEHIND_PROXY: the address is the last
# X-Forwarded-For entry (the one the proxy appended).
PUBLIC_PAGE_RATE = os.environ.get("PUBLIC_PAGE_RATE", "60/minute")
PUBLIC_MISS_RATE = os.environ.get("PUBLIC_MISS_RATE", "20/hour")
# Residents' reports from the plate's QR code (no sign-in): per client address, and per compound (a flood from
# many addresses at one compound); over either, 429 with the typed report kept on the page.
PUBLIC_REPORT_RATE = os.environ.get("PUBLIC_REPORT_RATE", "5/hour")
PUBLIC_REPORT_COMPOUND_RATE = os.environ.get("PUBLIC_REPORT_COMPOUND_RATE", "30/hour")
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)

CACHES = {
    "default": (
        {
            "BACKEND": "renovation_portal.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery: JSON only, acknowledge after the work is done, redo the work of a killed worker. ---
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TIMEZONE = TIME_ZONE
# A task that is not acknowledged within this time is redelivered: longer than the hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
# Seconds to wait between reminder e-mails (a throttle for the mail gateway).
# Dashboards' figures may be cached this long (seconds). 0, the default: every request reads the figures as they
# are — district, city and province dashboards sum rollups kept current by triggers (dashboards/rollups.py).
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "0"))
REMINDER_SEND_DELAY = float(os.environ.get("REMINDER_SEND_DELAY", "0"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A scheduled run beat could not send (broker down) is sent again by the heartbeat once the broker is back: if it
# was due within the last SCHEDULE_CATCH_UP_HOURS and at least the grace ago, resent at most once per retry interval.
SCHEDULE_CATCH_UP_HOURS = int(os.environ.get("SCHEDULE_CATCH_UP_HOURS", "12"))
SCHEDULE_CATCH_UP_GRACE_MINUTES = 10
SCHEDULE_CATCH_UP_RETRY_MINUTES = 60
# The beat schedule lives in one place: renovation_portal/schedules.py.

# --- REST API ---
# An Idempotency-Key whose request never finished (worker killed, timed out) may be taken over by a retry after
# this many seconds: longer than any request may run (gunicorn's timeout is 60 s).
IDEMPOTENCY_IN_PROGRESS_SECONDS = int(os.environ.get("IDEMPOTENCY_IN_PROGRESS_SECONDS", "120"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
        "communities.authentication.DeviceTokenAuthentication",
        "communities.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "renovation_portal.filters.PortalFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "renovation_portal.parsers.JSONParser",  # DRF's, with a too deeply nested body as 400, not 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "renovation_portal.api.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "renovation_portal.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["renovation_portal.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_USER_RATE", "6000/hour"),
        "login": os.environ.get("API_LOGIN_RATE", "20/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The idempotency middleware finds a POST's API user before DRF does: with this token authentication, then the
# session (renovation_portal.idempotency).
IDEMPOTENCY_TOKEN_AUTHENTICATION = "communities.authentication.DeviceTokenAuthentication"
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "EXCEPTION_HANDLER_CLASS": "renovation_portal.api.ExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "409",
        "412",
        "413",
        "415",
        "422",
        "428",
        "429",
        "500",
    ],
    "ERROR_SCHEMAS": {
        code: "renovation_portal.schema.ClientErrorResponseSerializer"
        for code in ("409", "412", "413", "422", "428", "429")
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "老旧小区改造管理平台 API",
    "DESCRIPTION": "Renovation of old residential compounds: places, projects, consultations, inspections.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PropertyModeEnum": "communities.choices.PropertyMode",
        "ProjectStatusEnum": "projects.choices.ProjectStatus",
        "InspectionTierEnum": "communities.choices.InspectionTier",
        "BallotChannelEnum": "consultations.choices.BallotChannel",
        "CompanyKindEnum": "communities.choices.CompanyKind",
        "OwnersBodyKindEnum": "communities.choices.OwnersBodyKind",
        "OwnerKindEnum": "consultations.choices.OwnerKind",
        "MeetingKindEnum": "consultations.choices.MeetingKind",
        "ItemKindEnum": "inspections.choices.ItemKind",
        "PhotoKindEnum": "inspections.choices.PhotoKind",
        "RoleKindEnum": "communities.choices.RoleKind",
        "ChannelEnum": "consultations.choices.Channel",
        "RollImportStatusEnum": "consultations.choices.RollImportStatus",
        "ScopeCategoryEnum": "projects.choices.ScopeCategory",
        "BatchKindEnum": "planning.choices.BatchKind",
        "BoardRoleEnum": "communities.choices.BoardRole",
        "DeclarationStatusEnum": "planning.choices.DeclarationStatus",
        "DocumentKindEnum": "aftercare.choices.DocumentKind",
        "LedgerKindEnum": "aftercare.choices.LedgerKind",
        "SpaceKindEnum": "aftercare.choices.SpaceKind",
        "InviteeKindEnum": "consultations.choices.InviteeKind",
        "WarrantyCategoryEnum": "aftercare.choices.WarrantyCategory",
        "ChecklistKindEnum": "inspections.choices.ChecklistKind",
        "IssueOriginEnum": "inspections.choices.IssueOrigin",
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "renovation_portal.schema.closed_request_bodies",
    ],
}

# --- Mail: the console in development; set EMAIL_BACKEND/EMAIL_HOST in production. ---
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")  # for the file-based backend
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@renovation.example.cn")

# --- Login protection (django-axes): 5 failures from one address for one username lock that pair out for
# 15 minutes. Locking by the pair means an attacker elsewhere cannot lock a victim out, and failures during a
# lockout do not extend it, so no one can keep an account locked forever.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "communities.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Two-factor login (django-otp, TOTP). Whether officials must use it is a setting district administrators
# change in the portal (communities.SecurityPolicy); OTP_TOTP_ISSUER names the portal in authenticator apps.
OTP_TOTP_ISSUER = "老旧小区改造管理平台"

# --- Audit trail (django-auditlog): every save and delete of every model, with old and new values, the actor,
# the source address and the path (web, api, admin, task, command). Kept at least 180 days (MLPS 2.0); the
# purge command never deletes younger rows, and on PostgreSQL a trigger refuses any other change to the table.
AUDITLOG_INCLUDE_ALL_MODELS = True
AUDITLOG_EXCLUDE_TRACKING_MODELS = (
    "sessions",
    "contenttypes",
    "admin",
    "axes",
    "auth.permission",
    "otp_totp",
    "django_otp",
)
AUDITLOG_EXCLUDE_TRACKING_FIELDS = ("last_login", "last_used_at")
AUDITLOG_MASK_TRACKING_FIELDS = ("password", "key_digest", "credential_stamp")
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_CID_GETTER = "communities.audit.current_source"
AUDIT_MIN_RETENTION_DAYS = 180
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "180"))
if AUDIT_RETENTION_DAYS < AUDIT_MIN_RETENTION_DAYS:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS may not be below 180 days (MLPS 2.0 keeps audit logs six months).")

# --- Aftercare (after handover). An entry of a compound's own income ledger of at least this many yuan needs a
# passed owners' vote behind it; a smaller one the owners' committee's decision. The design life (years) is the
# default warranty of the structure (《建设工程质量管理条例》第四十条: "设计文件规定的该工程的合理使用年限").
try:
    AFTERCARE_VOTE_THRESHOLD = Decimal(os.environ.get("AFTERCARE_VOTE_THRESHOLD", "10000"))
    AFTERCARE_DESIGN_LIFE_YEARS = int(os.environ.get("AFTERCARE_DESIGN_LIFE_YEARS", "50"))
except (InvalidOperation, ValueError):
    raise ImproperlyConfigured("AFTERCARE_VOTE_THRESHOLD and AFTERCARE_DESIGN_LIFE_YEARS must be numbers.") from None
if not AFTERCARE_VOTE_THRESHOLD.is_finite() or AFTERCARE_VOTE_THRESHOLD <= 0 or AFTERCARE_DESIGN_LIFE_YEARS < 1:
    raise ImproperlyConfigured("AFTERCARE_VOTE_THRESHOLD and AFTERCARE_DESIGN_LIFE_YEARS must be positive.")

# --- Content-Security-Policy (django-csp): only the portal's own scripts and styles; no inline scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Security. Sessions end after 8 hours of a working day, or when the browser closes. ---
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS-only cookies, redirects and HSTS whenever DEBUG is off, except for the test suite's plain-HTTP
# live server (HTTPS_ONLY=1 forces them on, as ``make test``'s deploy check does).
HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG and not TESTING)
if HTTPS_ONLY:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Who the portal says it serves; shown in the header.
PORTAL_NAME = _("Old Residential Compound Renovation Portal")
