"""``manage.py db_worker`` with a slow step, for tests/test_jobs.py's killed-worker test: the import stops inside its
transaction (after the source and its snapshot are written, before the candidates), touches the file named by
KB_TEST_MARKER, and waits there, so that the test's SIGKILL lands mid-job.

Run as ``python tests/slow_worker.py [db_worker options]`` from the repository's root."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")

import django  # noqa: E402

django.setup()

from django.core.management import execute_from_command_line  # noqa: E402

from importer import services  # noqa: E402


def slow_extract(*args, **kwargs):
    Path(os.environ["KB_TEST_MARKER"]).touch()
    time.sleep(float(os.environ.get("KB_TEST_PAUSE", "120")))
    raise RuntimeError("the test should have killed this worker by now")


services.extract = slow_extract
execute_from_command_line(["manage.py", "db_worker", *sys.argv[1:]])
