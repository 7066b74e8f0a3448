"""Typed configuration read from the environment, in one place.

Pure: no Django import, so the CLI can read it before Django starts.
"""

from __future__ import annotations

import ipaddress
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
class SmtpConfig:
    """The site's default outgoing mail server (an inbox with no SMTP server of its own sends here)."""

    host: str
    port: int
    security: str  # "ssl", "starttls" or "none" (loopback only)
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0  # seconds, per network operation


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
    # Blobs up to this size go into the blob folder's SQLite database; 0: every blob is a file (a
    # blob folder on a network file system shared by several hosts, where SQLite must not live).
    blob_small_bytes: int = 1024 * 1024
    # Shared counters (rate limits): "locmem://" counts per process; "redis://…" across processes.
    cache_url: str = "locmem://"
    # The public web form's rate limits as (requests, seconds); (0, 0) = no limit.
    form_limit_per_ip: tuple[int, int] = (5, 60)
    form_limit_per_form: tuple[int, int] = (60, 3600)
    # Outgoing mail: the default SMTP server, and the domain of our Message-IDs ("" = each inbox's own).
    smtp: SmtpConfig = field(default_factory=lambda: SmtpConfig(host="127.0.0.1", port=25, security="none"))
    mail_domain: str = ""

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


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost`` or a loopback address): the only place mail
    may travel without encryption."""
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SMTP_SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``smtp://127.0.0.1:25`` (no encryption: loopback only), ``smtp+starttls://user:pw@host:587``
    or ``smtps://user:pw@host:465``; ``?timeout=30`` sets the network timeout in seconds."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SMTP_SCHEMES:
        raise ConfigError("TANGGAP_SMTP_URL: use smtp://, smtp+starttls:// or smtps://")
    security, default_port = _SMTP_SCHEMES[scheme]
    host = unquote(parts.hostname or "")
    if not host:
        raise ConfigError("TANGGAP_SMTP_URL needs a host")
    try:
        port = parts.port or default_port
    except ValueError:
        raise ConfigError("TANGGAP_SMTP_URL: the port must be a number") from None
    if security == "none" and not is_loopback_host(host):
        raise ConfigError(
            "TANGGAP_SMTP_URL: smtp:// (no encryption) is only for a server on this machine; "
            "use smtp+starttls:// or smtps://"
        )
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        timeout = float(options.get("timeout", "30"))
    except ValueError:
        raise ConfigError("TANGGAP_SMTP_URL: timeout must be a number of seconds") from None
    if not 1 <= timeout <= 600:
        raise ConfigError("TANGGAP_SMTP_URL: timeout must be between 1 and 600 seconds")
    return SmtpConfig(
        host=host,
        port=port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


def _mail_domain(value: str) -> str:
    domain = value.strip().strip(".").lower()
    if domain and (len(domain) > 253 or "." not in domain or any(c in domain for c in ' @<>[]/\\"')):
        raise ConfigError("TANGGAP_MAIL_DOMAIN must be a domain name such as toko.example")
    return domain


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


_RATE_UNITS = {"s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(value: str, name: str = "rate") -> tuple[int, int]:
    """``"5/minute"`` → ``(5, 60)``; also ``s``/``m``/``h``/``d`` and ``"off"`` → ``(0, 0)``, no limit."""
    text = value.strip().lower()
    if text in {"off", "none", "0"}:
        return (0, 0)
    count, _, unit = text.partition("/")
    seconds = _RATE_UNITS.get(unit.strip())
    if not count.strip().isdigit() or seconds is None or int(count) < 1:
        raise ConfigError(f"{name} must look like 5/minute (per second, minute, hour or day) or off")
    return (int(count), seconds)


def _byte_count(value: str, name: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise ConfigError(f"{name} must be a number of bytes (0 or more)")
    return int(text)


def _cache_url(value: str) -> str:
    url = value.strip()
    if url != "locmem://" and urlsplit(url).scheme not in {"redis", "rediss"}:
        raise ConfigError("TANGGAP_CACHE_URL must be locmem:// or a redis:// URL")
    return url


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
        blob_small_bytes=_byte_count(
            e.get("TANGGAP_BLOB_SMALL_BYTES", "1048576"), "TANGGAP_BLOB_SMALL_BYTES"
        ),
        log_level=_log_level(e.get("TANGGAP_LOG_LEVEL", "INFO")),
        cache_url=_cache_url(e.get("TANGGAP_CACHE_URL", "locmem://")),
        form_limit_per_ip=parse_rate(
            e.get("TANGGAP_FORM_LIMIT_PER_IP", "5/minute"), "TANGGAP_FORM_LIMIT_PER_IP"
        ),
        form_limit_per_form=parse_rate(
            e.get("TANGGAP_FORM_LIMIT_PER_FORM", "60/hour"), "TANGGAP_FORM_LIMIT_PER_FORM"
        ),
        # Tests never reach a real mail server by accident: port 9 (discard) refuses the connection.
        smtp=parse_smtp_url(e.get("TANGGAP_SMTP_URL") or f"smtp://127.0.0.1:{9 if env == 'test' else 25}"),
        mail_domain=_mail_domain(e.get("TANGGAP_MAIL_DOMAIN", "")),
    )
