"""Typed configuration from the environment (pure: no database)."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from tanggap.config import ConfigError, load, parse_database_url


@pytest.mark.parametrize(
    "url,name",
    [
        ("sqlite:///var/tanggap.sqlite3", "var/tanggap.sqlite3"),  # three slashes: relative
        ("sqlite:////srv/tanggap/db.sqlite3", "/srv/tanggap/db.sqlite3"),  # four: absolute
        ("sqlite://var/db.sqlite3", "var/db.sqlite3"),
        ("SQLITE:///data/My%20Data.sqlite3", "data/My Data.sqlite3"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls(url, name):
    db = parse_database_url(url)
    assert db.is_sqlite and db.engine == "sqlite"
    assert db.name == name


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///", "postgresql://host/", "mysql://u@h/db", "", "nonsense"]
)
def test_unusable_urls(url):
    with pytest.raises(ConfigError):
        parse_database_url(url)


def test_postgres_url_with_everything():
    db = parse_database_url(
        "postgresql://tanggap:s%40cr%2Ft@db.internal:6432/tanggap_prod?sslmode=require&application_name=web"
    )
    assert (db.engine, db.name, db.user, db.password, db.host, db.port) == (
        "postgresql",
        "tanggap_prod",
        "tanggap",
        "s@cr/t",
        "db.internal",
        "6432",
    )
    assert db.options == {"sslmode": "require", "application_name": "web"}
    assert not db.is_sqlite
    assert "s@cr/t" not in repr(db)


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
def test_postgres_url_minimal(scheme):
    db = parse_database_url(f"{scheme}://localhost/tanggap")
    assert (db.name, db.user, db.password, db.host, db.port, db.options) == (
        "tanggap",
        "",
        "",
        "localhost",
        "",
        {},
    )


def test_postgres_unix_socket_hosts():
    assert parse_database_url("postgresql://%2Frun%2Fpostgresql/tanggap").host == "/run/postgresql"
    db = parse_database_url("postgresql:///tanggap?host=/run/postgresql&sslmode=disable")
    assert (db.host, db.options) == ("/run/postgresql", {"sslmode": "disable"})


def test_postgres_ipv6_host():
    assert parse_database_url("postgresql://u@[::1]:5432/t").host == "::1"


def test_postgres_bad_port_is_a_config_error():
    with pytest.raises(ConfigError):
        parse_database_url("postgresql://u@host:notaport/db")


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TANGGAP_DATA_DIR": str(tmp_path / "data"), **extra}


def test_defaults(tmp_path):
    cfg = load(env(tmp_path))
    assert cfg.env == "development" and cfg.debug
    assert cfg.database.is_sqlite
    assert cfg.database.name == str((tmp_path / "data" / "tanggap.sqlite3").resolve())
    assert cfg.time_zone == "Asia/Jakarta"
    assert cfg.language_code == "id"
    assert cfg.queue == "sqlite"
    assert cfg.blob_dir == (tmp_path / "data" / "blobs").resolve()
    assert cfg.allowed_hosts == ("127.0.0.1", "localhost", "[::1]")
    assert cfg.log_level == "INFO"
    assert "secret_key" not in repr(cfg) or cfg.secret_key not in repr(cfg)


def test_test_env_queues_inline_and_postgres_defaults_to_postgres_queue(tmp_path):
    assert load(env(tmp_path, TANGGAP_ENV="test")).queue == "immediate"
    cfg = load(env(tmp_path, TANGGAP_DATABASE_URL="postgresql://u@h/db"))
    assert cfg.queue == "postgres"


def test_production_needs_a_secret_key(tmp_path):
    with pytest.raises(ConfigError):
        load(env(tmp_path, TANGGAP_ENV="production"))
    with pytest.raises(ConfigError):
        load(env(tmp_path, TANGGAP_ENV="production", TANGGAP_SECRET_KEY="   "))
    assert not (tmp_path / "data" / "secret_key").exists()
    cfg = load(env(tmp_path, TANGGAP_ENV="production", TANGGAP_SECRET_KEY="k" * 60))
    assert cfg.secret_key == "k" * 60
    assert cfg.is_production and not cfg.debug


def test_secret_key_is_generated_once_privately_and_reused(tmp_path):
    first = load(env(tmp_path)).secret_key
    key_file = tmp_path / "data" / "secret_key"
    assert len(first) >= 50
    assert key_file.read_text() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load(env(tmp_path)).secret_key == first
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret_key"]  # no temporary files left


def test_an_empty_secret_key_file_is_replaced(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text("\n")
    key = load(env(tmp_path)).secret_key
    assert key and (tmp_path / "data" / "secret_key").read_text() == key


def test_processes_starting_together_agree_on_one_key(tmp_path):
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def start():
        barrier.wait()
        keys.append(load(env(tmp_path)).secret_key)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1
    assert (tmp_path / "data" / "secret_key").read_text() == keys[0]


@pytest.mark.parametrize(
    "name,value",
    [
        ("TANGGAP_ENV", "staging"),
        ("TANGGAP_LANGUAGE", "ms"),
        ("TANGGAP_QUEUE", "rabbitmq"),
        ("TANGGAP_QUEUE", "postgres"),  # with a SQLite database
        ("TANGGAP_TIME_ZONE", "Asia/Bandung"),
        ("TANGGAP_TIME_ZONE", "../../etc/passwd"),
        ("TANGGAP_LOG_LEVEL", "LOUD"),
        ("TANGGAP_DATABASE_URL", "mongodb://x/y"),
    ],
)
def test_bad_values_raise(tmp_path, name, value):
    with pytest.raises(ConfigError):
        load(env(tmp_path, **{name: value}))


def test_values_are_read(tmp_path):
    cfg = load(
        env(
            tmp_path,
            TANGGAP_ENV=" Production ",
            TANGGAP_SECRET_KEY="x" * 50,
            TANGGAP_LANGUAGE="EN",
            TANGGAP_ALLOWED_HOSTS="help.toko.example, ,admin.toko.example",
            TANGGAP_CSRF_TRUSTED_ORIGINS="https://help.toko.example",
            TANGGAP_TIME_ZONE="Asia/Makassar",
            TANGGAP_QUEUE="redis",
            TANGGAP_REDIS_URL="redis://cache:6379/2",
            TANGGAP_WORKER_IN_PROCESS="no",
            TANGGAP_DEBUG="0",
            TANGGAP_LOG_LEVEL="warning",
            TANGGAP_BLOB_DIR=str(tmp_path / "blobs"),
        )
    )
    assert cfg.is_production and not cfg.debug
    assert cfg.language_code == "en"
    assert cfg.allowed_hosts == ("help.toko.example", "admin.toko.example")
    assert cfg.csrf_trusted_origins == ("https://help.toko.example",)
    assert cfg.time_zone == "Asia/Makassar"
    assert (cfg.queue, cfg.redis_url) == ("redis", "redis://cache:6379/2")
    assert not cfg.worker_in_process
    assert cfg.log_level == "WARNING"
    assert cfg.blob_dir == (tmp_path / "blobs").resolve()


def test_blob_small_bytes(tmp_path):
    base = {"TANGGAP_DATA_DIR": str(tmp_path)}
    assert load(base).blob_small_bytes == 1024 * 1024
    assert load({**base, "TANGGAP_BLOB_SMALL_BYTES": "0"}).blob_small_bytes == 0
    with pytest.raises(ConfigError, match="TANGGAP_BLOB_SMALL_BYTES"):
        load({**base, "TANGGAP_BLOB_SMALL_BYTES": "-1"})
