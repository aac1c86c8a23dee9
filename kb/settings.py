"""Settings for the ketamine evidence knowledge base: one module, configured from the environment.

A git-ignored ``.env`` in the project folder (written by ``make run``) is read first; real environment
variables always win over it. See docs/operations.md, "Configuration", for every variable.
"""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

from kb.env import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_str,
    load_dotenv,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

load_dotenv(Path(env_str("KB_ENV_FILE", str(BASE_DIR / ".env"))))

DEBUG = env_bool("DEBUG", default=False)

# Management commands that read the code and the database schema only, never sign anything: a checkout can run them
# (CI's migrations check, the schema check) without a key. Everything else, the servers included, needs one.
KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "kb_export_schema"}

SECRET_KEY = env_str("SECRET_KEY", "") or ""
if not SECRET_KEY:
    if DEBUG:
        # Local development only: a key that is obviously not for production.
        SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"
    elif Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] and sys.argv[1] in KEYLESS_COMMANDS:
        SECRET_KEY = secrets.token_urlsafe(50)  # this process's only: nothing it could sign outlives it
    else:
        raise ConfigurationError(
            "SECRET_KEY is not set. Set it in the environment (or in .env) when DEBUG is off; "
            "`make run` writes a .env with a fresh key for local use."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "taggit",
    "corsheaders",
    "ninja",  # serves the API docs' Swagger UI files itself (no CDN): /api/docs works offline
    "axes",  # admin login throttling: AXES_* below
    "csp",
    "simple_history",  # full history of claims, statements, evidence, estimates, sources, studies, conditions
    "django_tasks",  # background jobs: TASKS below
    "django_tasks_db",
    "kb",
    "sources",
    "claims",
    "importer",
    "api",
    "revisions",  # moderated revisions of published content (docs/editors.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the page cache, so that cached pages carry the header too (they hold no nonce: none is used).
    "kb.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses HTML and JSON (whitenoise serves static files' own .gz); makes strong ETags weak, which still match.
    "django.middleware.gzip.GZipMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before anything that answers, so that every /api/ answer has CORS
    "api.middleware.ApiMiddleware",  # /api/ only: ETag and 304 before any query, JSON 404 and 405
    # An ETag (from the content) and 304s for pages that have no ETag of their own.
    "django.middleware.http.ConditionalGetMiddleware",
    # Cached public pages for anonymous readers, before sessions, CSRF and auth run (kb/cache.py).
    "kb.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # who made a change saved during a request
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kb.urls"
WSGI_APPLICATION = "kb.wsgi.application"

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
                "kb.context_processors.site",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL", "") or ""
DATABASES = {
    "default": parse_database_url(_database_url, BASE_DIR)
    if _database_url
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two editors saving at once: a transaction takes SQLite's write lock when it begins (IMMEDIATE), so the second
    # waits (up to the busy timeout, in seconds) and then sees the first one's save: the admin's conflict message,
    # not a "database is locked" error from upgrading a read lock mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (django-tasks; importer/tasks.py): imports, embedding warm-up and search re-indexing. They are
# queued in the database, so a worker on any machine that reaches it takes them: `manage.py db_worker` (`make run`
# starts one; docs/operations.md, "Workers"). KB_TASKS=immediate runs each job inside the request that queues it
# instead (no worker; an import then holds the request as long as it takes). The tests run them immediately.
_tasks_mode = env_str("KB_TASKS", "database")
if _tasks_mode not in ("database", "immediate"):
    raise ConfigurationError(f"KB_TASKS must be database or immediate; got {_tasks_mode!r}")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if _tasks_mode == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
# A worker killed outright (SIGKILL, out of memory, its machine lost) cannot say so: while a job runs, its worker
# writes a heartbeat every sixth of this many seconds, and a running job with no heartbeat for this long is shown
# as lost, with Retry (importer/tasks.py; docs/operations.md, "Lost jobs").
KB_JOB_LOST_AFTER = env_int("KB_JOB_LOST_AFTER", 120)
if KB_JOB_LOST_AFTER < 1:
    raise ConfigurationError(f"KB_JOB_LOST_AFTER must be at least 1 (seconds); got {KB_JOB_LOST_AFTER}")

# Login throttling (django-axes; docs/operations.md, "Security"). Two limits, both counted per client address:
# after AXES_FAILURE_LIMIT failed logins for one username from one address, that pair is locked out; after
# KB_ADDRESS_FAILURE_LIMIT failed logins from one address whatever the usernames (a spray of names), the address is
# locked out for every username. Each lasts AXES_COOLOFF_MINUTES (0: until an administrator unlocks it), even with
# the right password. django-axes has one limit for all its lockout parameters, so kb.security.LoginThrottle (the
# custom handler its maintainers advise for this, jazzband/django-axes#661) holds the second. The address is the
# connection's, or with KB_TRUSTED_PROXIES set the one the nearest trusted proxy saw (kb.security.client_ip): never
# a header a client could write itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
if AXES_FAILURE_LIMIT < 1:
    raise ConfigurationError(f"AXES_FAILURE_LIMIT must be at least 1; got {AXES_FAILURE_LIMIT}")
KB_ADDRESS_FAILURE_LIMIT = env_int("KB_ADDRESS_FAILURE_LIMIT", 30)
if KB_ADDRESS_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ConfigurationError(
        f"KB_ADDRESS_FAILURE_LIMIT (failures from one address, any username) must be at least AXES_FAILURE_LIMIT "
        f"({AXES_FAILURE_LIMIT}); got {KB_ADDRESS_FAILURE_LIMIT}"
    )
_axes_cooloff = env_int("AXES_COOLOFF_MINUTES", 30)
if _axes_cooloff < 0:
    raise ConfigurationError(f"AXES_COOLOFF_MINUTES must be 0 or more; got {_axes_cooloff}")
AXES_COOLOFF_TIME = timedelta(minutes=_axes_cooloff) if _axes_cooloff else None
# In this order: kb.security.LoginThrottle reads the counts of the pair, then of the address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "kb.security.LoginThrottle"
AXES_RESET_ON_SUCCESS = True  # a successful login forgets the earlier failures of that username from that address
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_LOCKOUT_CALLABLE = "kb.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "kb.security.client_ip"
KB_TRUSTED_PROXIES = env_int("KB_TRUSTED_PROXIES", 0)
if KB_TRUSTED_PROXIES < 0:
    raise ConfigurationError(f"KB_TRUSTED_PROXIES must be 0 or more; got {KB_TRUSTED_PROXIES}")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# English only, so no translation machinery: with it, every URL reversed and every number rendered looks up the
# active language (a context-local read), hundreds of times per page. Dates and numbers still follow the en-gb
# formats (LANGUAGE_CODE), and Django's en-gb messages are its English ones.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TAGGIT_CASE_INSENSITIVE = True

# Caching: local memory by default; files in KB_CACHE_DIR when set (`make run`); Redis when REDIS_URL is set (shared
# by every worker and app server; see kb/cache.py).
_redis_url = env_str("REDIS_URL", "") or ""
if _redis_url:
    if not _redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(f"REDIS_URL must start with redis://, rediss:// or unix://; got {_redis_url!r}")
    # Short socket timeouts: with Redis unreachable the site renders pages uncached (kb/cache.py), and must not
    # wait long to find out.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif _cache_dir := env_str("KB_CACHE_DIR", ""):
    # Files in one directory: shared by the processes of one machine without a server (`make run`'s runserver and
    # task worker, so that an import done by the worker shows on the site at once, with its progress).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _cache_dir}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kb"}}
KB_PAGE_CACHE_SECONDS = env_int("KB_PAGE_CACHE_SECONDS", 300)
# The importer's ranking matrices, kept in files under a fingerprint of the claim texts they were built from
# (importer/indexstore.py): a new process reads them instead of rebuilding them. Empty: this process's memory only.
KB_INDEX_CACHE_DIR = env_str("KB_INDEX_CACHE_DIR", str(BASE_DIR / ".cache" / "claim-index")) or ""
# With Redis, each process re-reads the content version at most this often (and keeps copies of the pages it
# serves): an edit made through another worker or app server is visible there at most this late (kb/cache.py).
# A local-memory cache is read on every request (0): it is this process's memory anyway.
KB_VERSION_CHECK_MS = env_int("KB_VERSION_CHECK_MS", 500 if _redis_url else 0)
# How long browsers and shared caches (a CDN, a caching proxy) may keep an anonymous public page before they
# revalidate it (a 304 after one cache read while nothing changed).
KB_HTTP_MAX_AGE = env_int("KB_HTTP_MAX_AGE", 60)

# Served behind a TLS-terminating proxy in production; opt in explicitly.
if env_bool("SECURE_SSL", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HSTS: browsers keep to HTTPS for a year (SECURE_HSTS_SECONDS=0 turns it off), subdomains included unless
    # SECURE_HSTS_INCLUDE_SUBDOMAINS=0. Preloading is a commitment an operator makes on purpose: opt in.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "you have not set SECURE_HSTS_PRELOAD": not by default
    # Load balancers probe /healthz over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# The read-only API (/api/, docs/open-data.md) may be read by any web page; nothing else is shared across origins.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ("GET", "OPTIONS")
CORS_ALLOW_HEADERS = ("accept", "if-none-match")
CORS_EXPOSE_HEADERS = ("ETag",)

# History (django-simple-history): reasons can be long (a reviewer's comment); the admin shows each version and what
# changed, and reverting from it is off (a revert would skip the review workflow: edit the claim instead).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

KB_SITE_NAME = env_str("KB_SITE_NAME", "Ketamine Evidence KB")
KB_ADMIN_PATH = "/admin/"  # kb/urls.py; the admin's relaxed Content-Security-Policy is scoped to it

# Content-Security-Policy (django-csp 4; kb.security.ContentSecurityPolicyMiddleware). Nothing inline: every script
# and style sheet is a file from this site. The claim page's JSON-LD (<script type="application/ld+json">) is a
# data block, which browsers neither run nor check against script-src. The admin may use inline <style> (Django's
# own change list writes one). KB_CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only
# (violations are reported, to KB_CSP_REPORT_URI if set, and nothing is blocked), to try a change of policy first.
_csp_directives = {
    "default-src": [SELF],
    "script-src": [SELF],
    # The server-error page (templates/500.html) carries its few rules inline, as it must not depend on static files;
    # its <style> is allowed by its hash (tests/test_security_headers.py checks it against the template).
    "style-src": [SELF, "'sha256-PhuK+xYuisgxRDOcDd7c2TezQU9Ol0jD1GiWln6Log8='"],
    "img-src": [SELF, "data:"],  # the admin's and Swagger UI's small icons are data: URIs in their style sheets
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
_csp_report_uri = env_str("KB_CSP_REPORT_URI", "") or ""
if _csp_report_uri:
    _csp_directives["report-uri"] = [_csp_report_uri]
if env_bool("KB_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _csp_directives}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _csp_directives}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# LOG_FORMAT=json: one JSON object per line (python-json-logger), for a log collector; gunicorn.conf.py does the
# same for gunicorn's own and access logs.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ConfigurationError(f"LOG_FORMAT must be text or json; got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# The admin's "Import article" form accepts a pasted text of up to 2 MB (importer.text.MAX_BYTES) and says so when
# it is larger. Django's default limit on a request's form data (2.5 MB) would refuse a 2.5 MB paste with a bare
# "400 Bad Request" before the form can; above this limit, the 400 page says what happened. The limit holds for
# every form, also the anonymous login form (CSRF checking parses the body): 10 MB in memory per request at most.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
