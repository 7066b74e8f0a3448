"""Django settings, built from the typed configuration in ``tanggap.config``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from tanggap import config as _config

CONFIG = _config.load()
BASE_DIR = Path(__file__).resolve().parent

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(CONFIG.csrf_trusted_origins)
TANGGAP_DATA_DIR = CONFIG.data_dir
TANGGAP_BLOB_DIR = CONFIG.blob_dir
TANGGAP_BLOB_SMALL_BYTES = CONFIG.blob_small_bytes
# Outgoing mail: the server an inbox without SMTP settings of its own sends through, and the domain of
# our Message-IDs ("" = each inbox's own domain).
TANGGAP_SMTP = CONFIG.smtp
TANGGAP_MAIL_DOMAIN = CONFIG.mail_domain

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_htmx",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, not a CDN
    "huey.contrib.djhuey",
    "tanggap.core",
    "tanggap.accounts",
    "tanggap.customers",
    "tanggap.tickets",
    "tanggap.inboxes",
    "tanggap.webhooks",
    "tanggap.sla",
    "tanggap.analytics",
    "tanggap.assist",
    "tanggap.routing",
    "tanggap.macros",
    "tanggap.automations",
    "tanggap.web",
    "tanggap.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tanggap.web.middleware.ActivityMiddleware",
]

ROOT_URLCONF = "tanggap.urls"
ASGI_APPLICATION = "tanggap.asgi.application"
WSGI_APPLICATION = "tanggap.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
            "builtins": ["tanggap.web.templatetags.fast_url"],
        },
    }
]


def _database(cfg: _config.DatabaseConfig) -> dict[str, Any]:
    if cfg.is_sqlite:
        Path(cfg.name).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": cfg.name,
            "OPTIONS": {
                # WAL lets readers and one writer work at once; IMMEDIATE takes the write
                # lock at BEGIN so concurrent writers wait (busy timeout) instead of failing.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
                ),
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
            "TEST": {"NAME": str(CONFIG.data_dir / "test.sqlite3")} if CONFIG.env == "test" else {},
        }
    options = dict(cfg.options)
    pool_max = int(options.pop("pool_max", "8"))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": cfg.name,
        "USER": cfg.user,
        "PASSWORD": cfg.password,
        "HOST": cfg.host,
        "PORT": cfg.port,
        # A pool, not persistent connections: under ASGI every request runs in a thread of its own, so a
        # per-thread connection would be opened (and its catalogue caches warmed) on every request.
        # ``?pool_max=N`` in the URL sizes it (default 8 per process).
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            # JIT compilation costs more than it saves on the short queries of an agent's page.
            "options": "-c jit=off",
            "pool": {"min_size": 1, "max_size": pool_max, "timeout": 10},
            **options,
        },
    }


DATABASES = {"default": _database(CONFIG.database)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:queue"
LOGOUT_REDIRECT_URL = "web:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = CONFIG.language_code
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = CONFIG.time_zone
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders; it warns if this is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CONFIG.is_production
CSRF_COOKIE_SECURE = CONFIG.is_production
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024


def _cache(url: str, name: str) -> dict[str, Any]:
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": name}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}


# "ratelimit" holds the counters of core.ratelimit; with several web processes it must be shared (Redis).
CACHES = {
    "default": _cache("locmem://", "tanggap"),
    "ratelimit": _cache(CONFIG.cache_url, "tanggap-ratelimit"),
}
TANGGAP_FORM_LIMIT_PER_IP = CONFIG.form_limit_per_ip
TANGGAP_FORM_LIMIT_PER_FORM = CONFIG.form_limit_per_form


def _huey(cfg: _config.Config) -> dict[str, Any]:
    common: dict[str, Any] = {
        "name": "tanggap",
        # Never inline: Huey would otherwise run tasks in the request when DEBUG is on.
        "immediate": cfg.queue == "immediate",
        "utc": True,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }
    if cfg.queue == "immediate":
        return {**common, "huey_class": "huey.MemoryHuey"}
    if cfg.queue == "sqlite":
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        return {**common, "huey_class": "huey.SqliteHuey", "filename": str(cfg.data_dir / "queue.sqlite3")}
    if cfg.queue == "redis":
        return {**common, "huey_class": "huey.RedisHuey", "url": cfg.redis_url}
    db = cfg.database
    dsn = f"dbname={db.name}"
    for key, value in (("user", db.user), ("password", db.password), ("host", db.host), ("port", db.port)):
        if value:
            dsn += f" {key}={value}"
    return {**common, "huey_class": "huey.PostgresHuey", "dsn": dsn}


HUEY = _huey(CONFIG)
TASKS = {
    "default": {
        "BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend",
        "OPTIONS": {"enqueue_on_commit": True},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        "huey": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 25
