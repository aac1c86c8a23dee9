"""Small, loud readers for configuration from the environment.

Every setting that comes from outside goes through one of these helpers, so a bad value stops the process
at start-up with a message naming the variable, instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit


class ConfigurationError(RuntimeError):
    """A configuration value is missing or malformed."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from ``path`` into ``os.environ`` without overriding real variables.

    Only the plain subset is supported (comments, blank lines, optional quotes), which is all that
    ``make run`` writes. A malformed line is an error, not something to guess at.
    """
    if not path.is_file():
        return
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ConfigurationError(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer; got {value!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL: how long a connection may take to open (parse_database_url)


def parse_database_url(url: str, base_dir: Path) -> dict:
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into a DATABASES entry."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as dj-database-url reads them.
        raw_path = unquote(parts.path)
        if raw_path.startswith("//"):
            path = Path(raw_path[1:])
        else:
            path = base_dir / raw_path.lstrip("/") if raw_path.strip("/") else None
        if path is None:
            raise ConfigurationError("DATABASE_URL: a sqlite URL needs a file path, e.g. sqlite:///db.sqlite3")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigurationError("DATABASE_URL: a PostgreSQL URL needs a database name after the host")
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"DATABASE_URL: bad port in {url!r}") from None
        options = dict(parse_qsl(parts.query))
        # libpq waits for a connection without limit by default (the kernel gives up on an unreachable host after
        # about two minutes): every request, /healthz included, would hang until gunicorn kills its worker instead of
        # failing (503 for /healthz) while the proxy still waits. ?connect_timeout=N in the URL overrides it.
        options.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", 60)),
            "OPTIONS": options,
        }
        return config
    raise ConfigurationError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}; use postgres://… or sqlite:///…")
