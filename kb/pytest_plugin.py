"""pytest plugin, loaded with ``-p`` before pytest-django reads settings: keep the test run hermetic.

The suite must not depend on a developer's ``.env`` (written by ``make run``), and needs a SECRET_KEY
because settings refuse to start without one when DEBUG is off.
"""

import os

os.environ["KB_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-suite-only-secret-key-not-for-production")
os.environ["KB_INDEX_CACHE_DIR"] = ""  # the importer's index files: tests that want them name a directory
