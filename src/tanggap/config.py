"""Typed configuration read from the environment, in one place.

Pure: no Django import, so the CLI can read it before Django starts.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """The environment asks for something Tanggap cannot run with."""


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    engine: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = field(default="", repr=False)
    host: str = ""
    port: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


@dataclass(frozen=True, slots=True)
class Config:
    env: str
    debug: bool
    data_dir: Path
    database: DatabaseConfig
    secret_key: str = field(repr=False)
    allowed_hosts: tuple[str, ...]
    csrf_trusted_origins: tuple[str, ...]
    time_zone: str
    language_code: str
    queue: str  # "sqlite", "postgres", "redis", "immediate"
    redis_url: str
    worker_in_process: bool
    blob_dir: Path
    log_level: str

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def parse_database_url(url: str) -> DatabaseConfig:
    """Parse ``sqlite:///path`` or ``postgres://user:pw@host:port/name?opt=v``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc:  # sqlite://relative/path
            path = parts.netloc + path
        elif path.startswith("//"):  # sqlite:////abs/path
            path = path[1:]
        elif path.startswith("/"):  # sqlite:///relative or /abs
            path = path[1:] if not path[1:].startswith("/") else path
        if not path:
            raise ConfigError("TANGGAP_DATABASE_URL: a SQLite URL needs a file path")
        return DatabaseConfig(engine="sqlite", name=path)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError("TANGGAP_DATABASE_URL: a PostgreSQL URL needs a database name")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("TANGGAP_DATABASE_URL: the port must be a number") from None
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        # A Unix socket folder is given percent-encoded as the host or as ?host=/run/postgresql.
        host = options.pop("host", "") or unquote(parts.hostname or "")
        return DatabaseConfig(
            engine="postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=host,
            port=str(port or ""),
            options=options,
        )
    raise ConfigError(f"TANGGAP_DATABASE_URL: unsupported scheme {scheme!r} (use sqlite or postgresql)")


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _secret_key(env: str, data_dir: Path, given: str | None) -> str:
    if given and given.strip():
        return given.strip()
    if env == "production":
        raise ConfigError("TANGGAP_SECRET_KEY is required when TANGGAP_ENV=production")
    key_file = data_dir / "secret_key"
    if key_file.exists():
        key = key_file.read_text().strip()
        if key:
            return key
        key_file.unlink()  # left empty by a crash: make a new one
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Written to a private temporary file (mode 0600 from the start, never world-readable) and
    # linked into place: if another process made the key first, both use theirs.
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            return key_file.read_text().strip()
    finally:
        Path(tmp).unlink(missing_ok=True)
    return key


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TANGGAP_TIME_ZONE: unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
    return value


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError("TANGGAP_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def load(environ: dict[str, str] | None = None) -> Config:
    """Read the configuration from ``environ`` (default: the process environment)."""
    e = dict(os.environ if environ is None else environ)
    env = e.get("TANGGAP_ENV", "development").strip().lower()
    if env not in {"development", "production", "test"}:
        raise ConfigError("TANGGAP_ENV must be development, production or test")
    data_dir = Path(e.get("TANGGAP_DATA_DIR", "./var")).expanduser().resolve()
    db_url = e.get("TANGGAP_DATABASE_URL") or f"sqlite:///{data_dir / 'tanggap.sqlite3'}"
    database = parse_database_url(db_url)
    # Tests run tasks inline; the embedded default queues in a SQLite file beside the database.
    default_queue = "immediate" if env == "test" else "sqlite" if database.is_sqlite else "postgres"
    queue = e.get("TANGGAP_QUEUE", default_queue).strip().lower()
    if queue not in {"sqlite", "postgres", "redis", "immediate"}:
        raise ConfigError("TANGGAP_QUEUE must be sqlite, postgres, redis or immediate")
    if queue == "postgres" and database.is_sqlite:
        raise ConfigError("TANGGAP_QUEUE=postgres needs a PostgreSQL TANGGAP_DATABASE_URL")
    language = e.get("TANGGAP_LANGUAGE", "id").strip().lower()
    if language not in {"id", "en"}:
        raise ConfigError("TANGGAP_LANGUAGE must be id or en")
    return Config(
        env=env,
        debug=_bool(e.get("TANGGAP_DEBUG"), default=env == "development"),
        data_dir=data_dir,
        database=database,
        secret_key=_secret_key(env, data_dir, e.get("TANGGAP_SECRET_KEY")),
        allowed_hosts=_list(e.get("TANGGAP_ALLOWED_HOSTS"), ("127.0.0.1", "localhost", "[::1]")),
        csrf_trusted_origins=_list(e.get("TANGGAP_CSRF_TRUSTED_ORIGINS"), ()),
        time_zone=_time_zone(e.get("TANGGAP_TIME_ZONE", "Asia/Jakarta").strip()),
        language_code=language,
        queue=queue,
        redis_url=e.get("TANGGAP_REDIS_URL", "redis://127.0.0.1:6379/0"),
        worker_in_process=_bool(e.get("TANGGAP_WORKER_IN_PROCESS"), default=True),
        blob_dir=Path(e.get("TANGGAP_BLOB_DIR", str(data_dir / "blobs"))).expanduser().resolve(),
        log_level=_log_level(e.get("TANGGAP_LOG_LEVEL", "INFO")),
    )
