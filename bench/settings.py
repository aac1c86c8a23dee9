"""Settings for benchmark processes only: the project's settings plus a hello-world URL.

The hello-world view exists so that the benchmark can compare a cached page with the cheapest possible Django
response served by the same gunicorn setup. It is reachable only with DJANGO_SETTINGS_MODULE=bench.settings,
never from the deployed site (kb.settings routes through kb.urls, which does not include it).
"""

from __future__ import annotations

from kb.settings import *  # noqa: F403
from kb.settings import STORAGES

ROOT_URLCONF = "bench.urls"

# Production uses whitenoise's manifest storage, which needs `collectstatic`; the benchmark renders pages
# with DEBUG off but without collecting static files, as the test suite does.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
