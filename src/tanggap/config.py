"""Typed configuration read from the environment, in one place.

Pure: no Django import, so the CLI can read it before Django starts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


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
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return DatabaseConfig(
            engine="postgresql",
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=str(parts.port or ""),
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
    if given:
        return given
    if env == "production":
        raise ConfigError("TANGGAP_SECRET_KEY is required when TANGGAP_ENV=production")
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


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
        time_zone=e.get("TANGGAP_TIME_ZONE", "Asia/Jakarta"),
        language_code=language,
        queue=queue,
        redis_url=e.get("TANGGAP_REDIS_URL", "redis://127.0.0.1:6379/0"),
        worker_in_process=_bool(e.get("TANGGAP_WORKER_IN_PROCESS"), default=True),
        blob_dir=Path(e.get("TANGGAP_BLOB_DIR", str(data_dir / "blobs"))).expanduser().resolve(),
        log_level=e.get("TANGGAP_LOG_LEVEL", "INFO").upper(),
    )
