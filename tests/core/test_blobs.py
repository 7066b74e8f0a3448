"""Content-addressed blob storage."""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.core.blobs import DATABASE, LocalBlobStore, default_store


def _files(folder):
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(DATABASE)]


def _in_database(folder, digest):
    with sqlite3.connect(folder / DATABASE) as db:
        return db.execute("SELECT data FROM blob WHERE sha256 = ?", (digest,)).fetchone()


def test_put_get_exists(tmp_path):
    store = LocalBlobStore(tmp_path)
    digest = store.put(b"halo")
    assert digest == hashlib.sha256(b"halo").hexdigest()
    assert store.exists(digest)
    assert store.get(digest) == b"halo"
    assert _in_database(tmp_path, digest) == (b"halo",)
    assert _files(tmp_path) == []
    assert not store.exists(hashlib.sha256(b"other").hexdigest())


def test_a_large_blob_is_a_file_named_by_its_hash(tmp_path):
    store = LocalBlobStore(tmp_path, small=10)
    small, large = store.put_many([b"kecil", b"besar sekali, lebih dari sepuluh"])
    assert (tmp_path / large[:2] / large[2:4] / large).read_bytes() == b"besar sekali, lebih dari sepuluh"
    assert _in_database(tmp_path, large) is None
    assert _in_database(tmp_path, small) == (b"kecil",)
    assert store.get(large) == b"besar sekali, lebih dari sepuluh" and store.get(small) == b"kecil"


def test_a_blob_written_as_a_file_by_an_earlier_version_is_still_read(tmp_path):
    digest = hashlib.sha256(b"lama").hexdigest()
    (tmp_path / digest[:2] / digest[2:4]).mkdir(parents=True)
    (tmp_path / digest[:2] / digest[2:4] / digest).write_bytes(b"lama")
    store = LocalBlobStore(tmp_path)
    assert store.exists(digest) and store.get(digest) == b"lama"


@pytest.mark.parametrize("small", [1024, 0])
def test_same_bytes_are_stored_once(tmp_path, small):
    store = LocalBlobStore(tmp_path, small=small)
    assert store.put(b"x" * 1000) == store.put(b"x" * 1000)
    assert store.put_many([b"x" * 1000, b"x" * 1000]) == [store.put(b"x" * 1000)] * 2
    if small:
        with sqlite3.connect(tmp_path / DATABASE) as db:
            assert db.execute("SELECT count(*) FROM blob").fetchone() == (1,)
    else:
        assert len(_files(tmp_path)) == 1


def test_a_worker_process_gets_the_store_without_its_connection(tmp_path):
    store = LocalBlobStore(tmp_path, small=100)
    digest = store.put(b"sebelum")
    copy = pickle.loads(pickle.dumps(store))  # noqa: S301 - our own bytes
    assert (copy.root, copy.small) == (tmp_path, 100)
    assert copy.get(digest) == b"sebelum"


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
    store = LocalBlobStore(tmp_path, small=0)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.put(b"halo")
    assert not store.exists(hashlib.sha256(b"halo").hexdigest())
    assert _files(tmp_path) == []


def test_a_failed_batch_of_small_blobs_stores_none_of_them(tmp_path):
    with sqlite3.connect(tmp_path / DATABASE) as db:  # a disk that refuses the second blob, say
        db.execute(
            "CREATE TABLE blob (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL CHECK (length(data) < 10))"
        )
    store = LocalBlobStore(tmp_path)
    with pytest.raises(sqlite3.IntegrityError):
        store.put_many([b"satu", b"dua puluh lima huruf"])
    assert not store.exists(hashlib.sha256(b"satu").hexdigest())
    assert store.get(store.put(b"tiga")) == b"tiga"  # the database is usable after the failure


def test_blobs_are_not_world_readable(tmp_path):
    LocalBlobStore(tmp_path).put(b"rahasia")
    digest = LocalBlobStore(tmp_path, small=0).put(b"rahasia besar")
    for path in (tmp_path / DATABASE, tmp_path / digest[:2] / digest[2:4] / digest):
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
    assert _in_database(tmp_path / "elsewhere", digest) == (b"x",)


def test_default_store_can_keep_every_blob_as_a_file(settings, tmp_path):
    settings.TANGGAP_BLOB_DIR = tmp_path / "shared"
    settings.TANGGAP_BLOB_SMALL_BYTES = 0
    digest = default_store().put(b"x")
    assert (tmp_path / "shared" / digest[:2] / digest[2:4] / digest).read_bytes() == b"x"
    assert not (tmp_path / "shared" / DATABASE).exists()


def test_threads_opening_a_new_blob_folder_together_all_store(tmp_path):
    import threading

    count = 8
    for round_ in range(40):
        folder = tmp_path / f"baru-{round_}"
        start, errors, digests = threading.Barrier(count), [], []

        def put(n, folder=folder, start=start, errors=errors, digests=digests):
            try:
                start.wait()
                digests.append(LocalBlobStore(folder).put(f"surat {n}".encode()))
            except Exception as exc:  # collected: an assert in a thread would be lost
                errors.append(exc)

        threads = [threading.Thread(target=put, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        stored = sorted(LocalBlobStore(folder).get(d) for d in digests)
        assert stored == sorted(f"surat {n}".encode() for n in range(count))
