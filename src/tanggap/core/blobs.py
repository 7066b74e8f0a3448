"""Content-addressed blob storage behind a small interface (local folder by default).

Blobs are named by the SHA-256 of their bytes, so storing the same attachment twice stores it once.
An S3-compatible store is the scale-out path; it implements the same methods.

The local store keeps blobs up to ``SMALL_BLOB`` bytes (nearly every mail, most attachments) in one
SQLite database in its folder, ``blobs.sqlite3``, and larger ones as files named by their hash.
Creating a file per mail cost more than parsing it; a batch of small blobs is one transaction and
one flush to disk. Blobs written as files by earlier versions are still read from their files.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

SMALL_BLOB = 1024 * 1024
BUSY_SECONDS = 60.0  # how long a writer waits for another to finish with the blob database
DATABASE = "blobs.sqlite3"
_OPEN_PER_THREAD = 8  # blob databases a thread keeps open (tests use many folders)
_local = threading.local()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_many(self, items: Sequence[bytes]) -> list[str]: ...
    def get(self, sha256: str) -> bytes: ...
    def exists(self, sha256: str) -> bool: ...


def _valid(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256


class LocalBlobStore:
    """Blobs in a local folder: small ones in its SQLite database, large ones as files."""

    def __init__(self, root: Path, *, small: int = SMALL_BLOB) -> None:
        self.root = root
        self.small = small

    def __getstate__(self) -> dict[str, Any]:  # sent to a worker process: no connection with it
        return {"root": self.root, "small": self.small}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.root, self.small = state["root"], state["small"]

    def _path(self, sha256: str) -> Path:
        sha256 = _valid(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _database(self) -> sqlite3.Connection:
        """This thread's connection to the folder's blob database, opened once per thread, process
        and folder (a worker process opens its own)."""
        key = (os.getpid(), os.fspath(self.root))
        connections = getattr(_local, "connections", None)
        if connections is None:
            connections = _local.connections = OrderedDict()
        db: sqlite3.Connection | None = connections.get(key)
        if db is not None:
            connections.move_to_end(key)
            return db
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / DATABASE
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))  # not world-readable
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        _prepare(db)
        connections[key] = db
        while len(connections) > _OPEN_PER_THREAD:
            connections.popitem(last=False)[1].close()
        return db

    def _put_small(self, items: list[tuple[str, bytes]]) -> None:
        db = self._database()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO blob (sha256, data) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", items
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _get_small(self, sha256: str) -> bytes | None:
        if not (self.root / DATABASE).exists():
            return None
        row = self._database().execute("SELECT data FROM blob WHERE sha256 = ?", (sha256,)).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, data: bytes) -> str:
        return self.put_many([data])[0]

    def put_many(self, items: Sequence[bytes]) -> list[str]:
        """Store many blobs, durable on return: the small ones in one transaction of the blob
        database, the large ones as files with one flush to disk for all (``syncfs``) instead of one
        per file. A batch of received mail is on disk before the rows naming it are committed."""
        names, written, folders = [], [], set()
        small: dict[str, bytes] = {}
        for data in items:
            sha256 = hashlib.sha256(data).hexdigest()
            names.append(sha256)
            if len(data) <= self.small:
                small[sha256] = data
                continue
            path = self._path(sha256)
            if path.exists():
                continue
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            # A temporary file renamed into place: a crash never leaves a half-written blob.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(path)
        # Several files: one flush of the file system; one file (or no syncfs): flush it alone.
        if len(written) == 1 or (written and not _syncfs(self.root)):
            for path in written:
                with path.open("rb") as fh:
                    os.fsync(fh.fileno())
        if small:
            self._put_small(list(small.items()))
        return names

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        data = self._get_small(sha256)
        return data if data is not None else path.read_bytes()  # FileNotFoundError: nowhere

    def exists(self, sha256: str) -> bool:
        path = self._path(sha256)
        return self._get_small(sha256) is not None or path.exists()


def _prepare(db: sqlite3.Connection) -> None:
    """WAL, full sync, the table. Switching a new file to WAL takes an exclusive lock, and SQLite
    answers "locked" at once instead of waiting when other connections are opening it too (several
    threads storing the first mails of a new folder): try again until the busy timeout."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the rows naming it exist
            db.execute("CREATE TABLE IF NOT EXISTS blob (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL)")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _syncfs(root: Path) -> bool:
    """Flush the file system holding ``root`` to disk (Linux ``syncfs``); False where unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(root, os.O_RDONLY)
    except (OSError, AttributeError):
        return False
    try:
        return bool(hasattr(libc, "syncfs") and libc.syncfs(fd) == 0)
    finally:
        os.close(fd)


def default_store() -> BlobStore:
    from django.conf import settings

    return LocalBlobStore(Path(settings.TANGGAP_BLOB_DIR), small=settings.TANGGAP_BLOB_SMALL_BYTES)
