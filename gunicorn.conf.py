"""gunicorn's settings for the deploy recipe (docs/operations.md): ``gunicorn -c gunicorn.conf.py kb.wsgi``.

Each can be changed without editing this file: ``GUNICORN_BIND``, ``WEB_CONCURRENCY`` (workers),
``GUNICORN_TIMEOUT``; ``LOG_FORMAT=json`` writes gunicorn's own and its access log as JSON lines, like the app's.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: a request holds one (pages are CPU-bound, cached pages take a millisecond), so two per core plus
# one covers the moments a worker waits on the database or Redis.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A worker silent this long is killed and restarted: above the slowest legitimate request (imports run as background
# jobs, so none should come near it), below a proxy's usual 60 s so its error page is not what shows.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 55))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200

# gunicorn 25+ opens a control socket for `gunicornc`, by default at one path per user (~/.gunicorn/gunicorn.ctl):
# two app servers on one machine (docs/operations.md) would share it, the second taking it over and the first to stop
# deleting the other's. Servers are controlled by signals here (SIGTERM, SIGHUP), so none is opened.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

if os.environ.get("LOG_FORMAT", "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
