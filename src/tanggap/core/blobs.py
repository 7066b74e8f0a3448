"""Content-addressed blob storage behind a small interface (local folder by default).

Blobs are named by the SHA-256 of their bytes, so storing the same attachment twice stores it once.
An S3-compatible store is the scale-out path; it implements the same methods.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


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
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        sha256 = _valid(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if path.exists():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file and rename, so a crash never leaves a half-written blob.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256

    def put_many(self, items: Sequence[bytes]) -> list[str]:
        """``put`` for many blobs with one flush to disk for all of them (``syncfs``) instead of one
        per file: a batch of received mail is durable before the rows naming it are committed."""
        names, written, folders = [], [], set()
        for data in items:
            sha256 = hashlib.sha256(data).hexdigest()
            names.append(sha256)
            path = self._path(sha256)
            if path.exists():
                continue
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(path)
        if written and not _syncfs(self.root):
            for path in written:
                with path.open("rb") as fh:
                    os.fsync(fh.fileno())
        return names

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()


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

    return LocalBlobStore(Path(settings.TANGGAP_BLOB_DIR))
