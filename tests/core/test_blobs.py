"""Content-addressed blob storage."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.core.blobs import LocalBlobStore, default_store


def test_put_get_exists(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest = store.put(b"halo")
    assert digest == hashlib.sha256(b"halo").hexdigest()
    assert store.exists(digest)
    assert store.get(digest) == b"halo"
    assert (tmp_path / digest[:2] / digest[2:4] / digest).read_bytes() == b"halo"
    assert not store.exists(hashlib.sha256(b"other").hexdigest())


def test_same_bytes_are_stored_once(tmp_path):
    store = LocalBlobStore(tmp_path)
    assert store.put(b"x" * 1000) == store.put(b"x" * 1000)
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_empty_blob(tmp_path):
    store = LocalBlobStore(tmp_path)
    assert store.get(store.put(b"")) == b""


@pytest.mark.parametrize(
    "digest",
    [
        "",
        "abc",
        "../" * 30,
        "A" * 64,
        "g" * 64,
        "0" * 63,
        "0" * 65,
        "../../etc/passwd".ljust(64, "0"),
        "0" * 62 + "/x",
    ],
)
def test_invalid_digests_are_refused(tmp_path, digest):
    store = LocalBlobStore(tmp_path)
    with pytest.raises(ValueError):
        store.get(digest)
    with pytest.raises(ValueError):
        store.exists(digest)


def test_missing_blob(tmp_path):
    with pytest.raises(FileNotFoundError):
        LocalBlobStore(tmp_path).get("0" * 64)


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.put(b"halo")
    assert not store.exists(hashlib.sha256(b"halo").hexdigest())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_blobs_are_not_world_readable(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest = store.put(b"rahasia")
    path = tmp_path / digest[:2] / digest[2:4] / digest
    assert not stat.S_IMODE(path.stat().st_mode) & stat.S_IROTH


@settings(max_examples=50)
@given(data=st.binary(max_size=2048))
def test_round_trip(tmp_path_factory, data):
    store = LocalBlobStore(tmp_path_factory.mktemp("blobs"))
    digest = store.put(data)
    assert store.get(digest) == data
    assert store.put(data) == digest


def test_default_store_uses_the_setting(settings, tmp_path):
    settings.TANGGAP_BLOB_DIR = tmp_path / "elsewhere"
    digest = default_store().put(b"x")
    assert (tmp_path / "elsewhere" / digest[:2] / digest[2:4] / digest).exists()
