"""Settings shared by every environment; everything configurable is read from the environment."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

from apps.core.logging import build_logging_config
from apps.core.storage import media_origin

# Lets Django's generic classes be subscripted at runtime (QuerySet[User], ModelAdmin[User]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
APPS_DIR = BASE_DIR / "apps"

env = environ.Env()
# A .env file is read when present; real environment variables always win.
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True):
    env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
# Staff must pass a TOTP second factor to use the admin (on in production; off locally so the
# demo admin works without enrolling a device).
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=False)
# Sales dashboard: variants at or below this stock are "low"; paid orders not fulfilled after
# this many days need attention.
DASHBOARD_LOW_STOCK_THRESHOLD = env.int("DASHBOARD_LOW_STOCK_THRESHOLD", default=5)
DASHBOARD_FULFILMENT_DAYS = env.int("DASHBOARD_FULFILMENT_DAYS", default=2)

RELEASE = env.str("RELEASE", default="dev")
GIT_COMMIT = env.str("GIT_COMMIT", default="unknown")

# --- Applications ---------------------------------------------------------------------------
DJANGO_APPS = [
    # django.contrib.admin with the Emporium site: roles, sales dashboard, optional 2FA.
    "apps.core.apps.EmporiumAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prometheus",
]
LOCAL_APPS = [
    "apps.core",
    "apps.users",
    "apps.catalog",
    "apps.cart",
    "apps.orders",
    "apps.payments",
    "apps.invoices",
    "apps.reports",
    "apps.wishlist",
    "apps.webhooks",
    "apps.storefront",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.TimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.users.middleware.LastSeenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # ETag on GET answers and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

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
                "apps.storefront.context_processors.storefront",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A cache outage must not take the site down: reads miss, writes are dropped.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
            "KEY_PREFIX": "emporium",
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "emporium"}
    )
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)
# How often, at most, a signed-in user's last_seen_at is written.
LAST_SEEN_INTERVAL = env.int("LAST_SEEN_INTERVAL", default=300)
# Where the password-reset e-mail sends the user; {uid} and {token} are filled in.
PASSWORD_RESET_URL = env.str(
    "PASSWORD_RESET_URL", default="http://127.0.0.1:8000/account/reset/{uid}/{token}/"
)

# The storefront's sign-up: the e-mail's link to finish opening an account ({token} filled in),
# how long it works, and where an e-mail to an address with an account already says to sign in.
SIGN_UP_URL = env.str("SIGN_UP_URL", default="http://127.0.0.1:8000/account/register/{token}/")
SIGN_UP_TIMEOUT = env.int("SIGN_UP_TIMEOUT", default=60 * 60 * 24)
SIGN_IN_URL = env.str("SIGN_IN_URL", default="http://127.0.0.1:8000/account/login/")

# Session sign-in of the storefront.
LOGIN_URL = "storefront:login"
LOGIN_REDIRECT_URL = "storefront:account"

# --- Shop -----------------------------------------------------------------------------------
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="EUR")
# The seller on invoices and credit notes: copied into each document when it is issued.
SHOP_LEGAL_NAME = env.str("SHOP_LEGAL_NAME", default="Emporium Ltd")
# The lines of the seller's address, comma-separated.
SHOP_ADDRESS = env.list("SHOP_ADDRESS", default=["1 Example Street", "10115 Berlin", "Germany"])
SHOP_VAT_ID = env.str("SHOP_VAT_ID", default="")
# How many products one customer's wishlist may hold.
WISHLIST_MAX_ITEMS = env.int("WISHLIST_MAX_ITEMS", default=100)
# The countries (ISO codes) the shop ships to most: listed first wherever a shopper picks one.
SHIPPING_COUNTRIES = env.list("SHIPPING_COUNTRIES", default=["DE", "FR", "NL", "BE", "AT", "GB"])
# Seconds a cached catalog answer lives at most (a write invalidates it at once anyway).
CATALOG_CACHE_TIMEOUT = env.int("CATALOG_CACHE_TIMEOUT", default=600)
# Facet counts after a catalog write: the previous ones are served while a task computes the
# new ones, if they were computed at most this many seconds ago (else the request does it).
CATALOG_STALE_SECONDS = env.int("CATALOG_STALE_SECONDS", default=900)
# Whole catalog answers each process keeps a copy of (its memory: ~30 KB each), so a current
# one is served after reading only the catalog version; 0 keeps none.
CATALOG_LOCAL_RESPONSES = env.int("CATALOG_LOCAL_RESPONSES", default=256)
# max-age of anonymous catalog GETs, for browsers, nginx and CDNs.
CATALOG_HTTP_MAX_AGE = env.int("CATALOG_HTTP_MAX_AGE", default=60)
# "Customers also bought": orders of the last N days count; each product keeps its top K.
RELATED_PRODUCTS_WINDOW_DAYS = env.int("RELATED_PRODUCTS_WINDOW_DAYS", default=365)
RELATED_PRODUCTS_TOP_K = env.int("RELATED_PRODUCTS_TOP_K", default=12)

# Checkout: tax, limits and time windows.
TAX_RATE = Decimal(env.str("TAX_RATE", default="0.20"))
PRICES_INCLUDE_TAX = env.bool("PRICES_INCLUDE_TAX", default=True)
# The tax's name next to prices: "incl. 20% VAT".
TAX_LABEL = env.str("TAX_LABEL", default="VAT")
CART_MAX_QUANTITY = env.int("CART_MAX_QUANTITY", default=99)
CART_MAX_LINES = env.int("CART_MAX_LINES", default=100)
CART_STALE_DAYS = env.int("CART_STALE_DAYS", default=30)
ORDER_PAYMENT_WINDOW_MINUTES = env.int("ORDER_PAYMENT_WINDOW_MINUTES", default=60)
# Customers may ask to return shipped items for this many days after the items shipped.
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=30)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

# Payments: the gateways that exist and the one checkout uses.
PAYMENT_GATEWAYS = {
    "sandbox": "apps.payments.gateways.sandbox.SandboxGateway",
    "stripe": "apps.payments.gateways.stripe.StripeGateway",
}
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
# Seconds a webhook's signed timestamp may be off (against replays).
WEBHOOK_TOLERANCE_SECONDS = env.int("WEBHOOK_TOLERANCE_SECONDS", default=300)
# Pending payments older than this are settled by asking the provider.
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=30)
# Outbound webhooks (docs/api.md, "Webhooks"): plain http:// and loopback or private hosts
# are refused unless this is on (local and test settings turn it on).
WEBHOOK_ALLOW_INSECURE_URLS = env.bool("WEBHOOK_ALLOW_INSECURE_URLS", default=False)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
# Retries wait BASE seconds, doubling each time up to MAX; a delivery gives up after
# MAX_ATTEMPTS attempts (the default schedule spans about 20 hours).
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 60 * 60)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=12)
# An endpoint failing this many attempts in a row (over all its deliveries) is disabled.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
# A sale that takes a variant's stock from above this to at or below it publishes stock.low.
LOW_STOCK_THRESHOLD = env.int("LOW_STOCK_THRESHOLD", default=DASHBOARD_LOW_STOCK_THRESHOLD)
# The sandbox provider (development and tests; off in production unless enabled).
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)
SANDBOX_WEBHOOK_SECRET = env.str("SANDBOX_WEBHOOK_SECRET", default="sandbox-webhook-secret")
# Where the sandbox delivers its webhooks over HTTP; empty: handed over in-process.
SANDBOX_WEBHOOK_URL = env.str(
    "SANDBOX_WEBHOOK_URL", default="http://127.0.0.1:8000/api/v1/payments/webhooks/sandbox/"
)
# The sandbox's hosted pay page (the storefront serves it); a path works on any host and port.
SANDBOX_PAY_URL = env.str("SANDBOX_PAY_URL", default="/pay/sandbox/{intent}/")
# Stripe: the secret API key, the webhook endpoint's signing secret (whsec_...), and the API
# address (only changed to point the client at a mock).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The shop's time zone: how times read in the back office, exports and e-mails (stored in UTC).
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
# Uploaded files: an S3-compatible bucket (django-storages) when MEDIA_BUCKET is set, the local
# disk (MEDIA_ROOT) otherwise. Credentials come from the usual AWS variables or the instance role.
MEDIA_BUCKET = env.str("MEDIA_BUCKET", default="")
MEDIA_STORAGE: dict[str, Any] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "endpoint_url": env.str("MEDIA_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_REGION", default="") or None,
            "custom_domain": env.str("MEDIA_CUSTOM_DOMAIN", default="") or None,
            "location": env.str("MEDIA_PREFIX", default="media"),
            "default_acl": None,  # the bucket's policy decides
            "file_overwrite": False,
            "querystring_auth": env.bool("MEDIA_SIGNED_URLS", default=True),
            # "http:" only where the custom domain is served without TLS (compose on localhost).
            "url_protocol": env.str("MEDIA_URL_PROTOCOL", default="https:"),
            # "path" for MinIO and other services without a DNS name per bucket.
            "addressing_style": env.str("MEDIA_ADDRESSING_STYLE", default="") or None,
        },
    }
    if MEDIA_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
)
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Where browsers fetch media from, when not this site (the Content-Security-Policy allows it).
MEDIA_ORIGIN = env.str("MEDIA_ORIGIN", default=media_origin(MEDIA_STORAGE))
# Django serves MEDIA_ROOT itself (the demo and the tests); in production nginx or the bucket do.
MEDIA_SERVE = env.bool("MEDIA_SERVE", default=False)

# Product images: the largest upload (bytes; checked before the file is read) and picture
# (pixels; a decompression bomb is refused before it is decoded), and the widths, in pixels,
# of the thumbnails made after an upload (never wider than the original).
PRODUCT_IMAGE_MAX_BYTES = env.int("PRODUCT_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
PRODUCT_IMAGE_MAX_PIXELS = env.int("PRODUCT_IMAGE_MAX_PIXELS", default=40_000_000)
PRODUCT_IMAGE_WIDTHS = (160, 320, 640, 1280)
# Request bodies: form fields and JSON at most 2.5 MB; an upload bigger than
# FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to a temporary file rather than held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Emporium <shop@emporium.localhost>")
EMAIL_TIMEOUT = 10

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

# --- Django REST framework ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CursorPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.AnonRateThrottle",
        "apps.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "register": env.str("THROTTLE_REGISTER", default="5/min"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
        "order_lookup": env.str("THROTTLE_ORDER_LOOKUP", default="10/min"),
    },
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "EXCEPTION_HANDLER": "apps.core.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_REFRESH_SERIALIZER": "apps.users.serializers.TokenRefreshSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Emporium API",
    "DESCRIPTION": (
        "The Emporium commerce API. Errors are RFC 9457 `application/problem+json` bodies "
        "with `type`, `title`, `status`, `detail`, `code`, `errors` and `request_id`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "apps.orders.models.OrderStatus",
        "PaymentStatusEnum": "apps.payments.models.PaymentStatus",
        "SuggestionKindEnum": "apps.catalog.serializers.SUGGESTION_KINDS",
        "RelatedReasonEnum": "apps.catalog.selectors.RELATED_REASONS",
        "AttributeKindEnum": "apps.catalog.models.AttributeKind",
        "ReturnReasonEnum": "apps.orders.models.ReturnReason",
        "ReturnStatusEnum": "apps.orders.models.ReturnStatus",
    },
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # Serve Swagger UI and Redoc from our own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.openapi.add_problem_responses",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis brokers hand an unacknowledged message (its worker died) to another worker after
# `visibility_timeout` seconds; keep it above the longest task (CELERY_TASK_TIME_LIMIT).
CELERY_BROKER_TRANSPORT_OPTIONS = env.json(
    "CELERY_BROKER_TRANSPORT_OPTIONS", default={"visibility_timeout": 3600}
)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "send-missing-welcome-emails": {
        "task": "users.send_missing_welcome_emails",
        "schedule": 15 * 60,
    },
    "expire-unpaid-orders": {"task": "orders.expire_unpaid_orders", "schedule": 5 * 60},
    "send-missing-order-emails": {
        "task": "orders.send_missing_order_emails",
        "schedule": 15 * 60,
    },
    "purge-stale-carts": {"task": "cart.purge_stale_carts", "schedule": 60 * 60 * 6},
    "reconcile-pending-payments": {
        "task": "payments.reconcile_pending_payments",
        "schedule": 10 * 60,
    },
    "retry-deferred-webhook-events": {
        "task": "payments.retry_deferred_events",
        "schedule": 5 * 60,
    },
    "delete-expired-idempotency-keys": {
        "task": "orders.delete_expired_idempotency_keys",
        "schedule": 60 * 60,
    },
    "clear-expired-sessions": {
        "task": "core.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    # Webhook events whose fan-out was lost, and deliveries due (first tries late, retries).
    "sweep-webhooks": {"task": "webhooks.sweep", "schedule": 60},
    "purge-old-webhook-events": {
        "task": "webhooks.purge_old_events",
        "schedule": crontab(hour=3, minute=40),
    },
    # Yesterday's sales (UTC), once the day is over and late payments have settled.
    "daily-sales-report": {
        "task": "reports.daily_sales_report",
        "schedule": crontab(hour=0, minute=30),
    },
    # Thumbnails of product images whose task was lost (broker down at upload, worker died).
    "make-missing-image-renditions": {
        "task": "catalog.make_missing_renditions",
        "schedule": 15 * 60,
    },
    # "Customers also bought", from the orders up to last night, before the morning traffic.
    "recompute-product-associations": {
        "task": "catalog.recompute_product_associations",
        "schedule": crontab(hour=2, minute=40),
    },
    # The listing read model recomputed from the rows, repairing what a raw SQL write missed.
    "refresh-product-listings": {
        "task": "catalog.refresh_listings",
        "schedule": crontab(hour=3, minute=10),
    },
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="console")  # "console" or "json"
LOGGING = build_logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)

# --- Content Security Policy (django-csp) ---------------------------------------------------
# No inline script anywhere; the storefront and the admin load everything from our origin.
# Swagger UI and Redoc (drf-spectacular's sidecar pages) start themselves with inline script,
# so those two documentation pages go without a policy.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Where browsers report violations (e.g. a Sentry security endpoint); unset: no reports.
if CSP_REPORT_URI := env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [CSP_REPORT_URI]  # type: ignore[index]

# --- Metrics (Prometheus at /metrics) -------------------------------------------------------
# Direct requests from these networks may read /metrics; anyone else needs the bearer token.
METRICS_ALLOWED_NETWORKS: list[str] = env.list(
    "METRICS_ALLOWED_NETWORKS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Error tracking and tracing (off unless their variables are set) ------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="emporium")
