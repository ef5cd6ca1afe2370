"""The artifact store contract, run against every store (see conftest.BACKENDS)."""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from store_support import Backend

from aiwf._errors import AiwfError
from aiwf.stores import (
    Artifact,
    ArtifactCorrupt,
    ArtifactInfo,
    ArtifactNotFound,
    ArtifactStore,
    InvalidArtifact,
    InvalidKey,
)

MiB = 1024 * 1024

BAD_KEYS = [
    "",
    "/abs/key",
    "a//b",
    "a/",
    "./a",
    "a/./b",
    "../escape",
    "a/../../b",
    "a\\b",
    "a\x00b",
    "a\nb",
    "tab\there",
    "del\x7f",
    "c1\x85",
    "x" * 513,
    "/".join(["y" * 100] * 6),
    "s" * 201,
    "out.aiwf",
    "dir.AIWF/x",
    ".aiwf-tmp-1234",
    "a/.aiwf-sweep-x/b",
    "bad\ud800surrogate",
]


def test_bytes_round_trip(store: ArtifactStore, backend: Backend) -> None:
    data = bytes(range(256)) * 3
    written = store.put(
        "runs/1/out.bin",
        data,
        content_type="application/x-test",
        metadata={"Step": "classify", "note": "héllo wörld"},
    )
    data_back, info = store.get("runs/1/out.bin")
    assert data_back == data
    assert info == written
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.content_type == "application/x-test"
    assert info.created == backend.clock.now
    assert info.expires is None
    # Metadata keys keep their case and values keep non-ASCII characters, even on S3.
    assert dict(info.metadata) == {"Step": "classify", "note": "héllo wörld"}


def test_empty_payload(store: ArtifactStore) -> None:
    store.put("empty", b"")
    assert store.get("empty").data == b""
    assert store.head("empty").size == 0


def test_json_round_trip(store: ArtifactStore) -> None:
    value = {"ticket": "T-1", "score": 4, "tags": ["é", "☃"], "nested": {"ok": True}}
    info = store.put_json("runs/1/result.json", value)
    assert info.content_type == "application/json"
    assert store.get_json("runs/1/result.json") == value
    artifact = store.get("runs/1/result.json")
    assert isinstance(artifact, Artifact)
    assert artifact.json() == value


def test_json_errors_are_clear(store: ArtifactStore) -> None:
    with pytest.raises(InvalidArtifact, match="not JSON-serialisable"):
        store.put_json("bad.json", {"x": object()})
    store.put("text", b"not json {")
    with pytest.raises(InvalidArtifact, match="is not JSON") as info:
        store.get_json("text")
    assert info.value.code == "A006"
    assert not store.exists("bad.json")


def test_put_rejects_non_bytes_and_bad_arguments(store: ArtifactStore) -> None:
    with pytest.raises(InvalidArtifact, match="must be bytes"):
        store.put("k", "text")  # type: ignore[arg-type]
    with pytest.raises(InvalidArtifact, match="ttl"):
        store.put("k", b"x", ttl=0)
    with pytest.raises(InvalidArtifact, match="ttl"):
        store.put("k", b"x", ttl=float("nan"))
    with pytest.raises(InvalidArtifact, match="content type"):
        store.put("k", b"x", content_type="text/plain\r\nX-Evil: 1")
    with pytest.raises(InvalidArtifact, match="metadata"):
        store.put("k", b"x", metadata={"k": "v" * 4000})
    with pytest.raises(InvalidArtifact, match="metadata"):
        store.put("k", b"x", metadata={"k": 1})  # type: ignore[dict-item]
    assert list(store.list()) == []


def test_head_exists_delete(store: ArtifactStore) -> None:
    assert not store.exists("a/b")
    with pytest.raises(ArtifactNotFound) as missing:
        store.head("a/b")
    assert missing.value.code == "A002"
    assert missing.value.hint
    info = store.put("a/b", b"payload")
    assert store.exists("a/b")
    assert store.head("a/b") == info
    store.delete("a/b")
    assert not store.exists("a/b")
    with pytest.raises(ArtifactNotFound):
        store.get("a/b")
    with pytest.raises(ArtifactNotFound):
        store.delete("a/b")
    store.delete("a/b", missing_ok=True)


def test_overwrite_last_writer_wins(store: ArtifactStore, backend: Backend) -> None:
    store.put("k", b"first", metadata={"v": "1"})
    backend.clock.advance(5)
    second = store.put("k", b"second and longer", content_type="text/plain")
    data, info = store.get("k")
    assert data == b"second and longer"
    assert info == second
    assert info.metadata == {}
    assert [i.key for i in store.list()] == ["k"]


def test_key_and_directory_prefix_coexist(store: ArtifactStore) -> None:
    # "a" and "a/b" are both keys: on disk "a" must not block the directory "a/".
    store.put("a", b"1")
    store.put("a/b", b"2")
    store.put("a-c", b"3")
    assert store.get("a").data == b"1"
    assert store.get("a/b").data == b"2"
    assert [i.key for i in store.list()] == ["a", "a-c", "a/b"]
    assert [i.key for i in store.list("a/")] == ["a/b"]
    assert [i.key for i in store.list("a")] == ["a", "a-c", "a/b"]


def test_list_by_prefix(store: ArtifactStore) -> None:
    for key in ["runs/1/a", "runs/1/b", "runs/10/a", "runs/2/a", "other/x", "unicode/é"]:
        store.put(key, key.encode())
    assert [i.key for i in store.list("runs/1/")] == ["runs/1/a", "runs/1/b"]
    assert [i.key for i in store.list("runs/1")] == ["runs/1/a", "runs/1/b", "runs/10/a"]
    assert [i.key for i in store.list("nothing/")] == []
    assert [i.key for i in store.list("unicode/")] == ["unicode/é"]
    listed = next(iter(store.list("other/")))
    assert isinstance(listed, ArtifactInfo)
    assert listed.size == len(b"other/x")
    with pytest.raises(InvalidKey):
        list(store.list("../"))


def test_pagination_past_1000_keys(backend: Backend) -> None:
    store = backend.reopen(**({"fsync": False} if backend.name == "file" else {}))
    keys = [f"many/{n:05d}" for n in range(1005)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: store.put(key, key.encode()), keys))
    store.put("many-not/x", b"outside the prefix")

    first = store.list_page("many/")
    assert [i.key for i in first.items] == keys[:1000]
    assert first.next_token is not None
    second = store.list_page("many/", token=first.next_token)
    assert [i.key for i in second.items] == keys[1000:]
    assert second.next_token is None

    # The iterator pages internally (S3 returns at most 1,000 keys per request).
    assert [i.key for i in store.list("many/")] == keys


def test_paginated_listing_with_limit_and_token(store: ArtifactStore, backend: Backend) -> None:
    keys = [f"p/{n}" for n in range(7)]
    for key in keys:
        store.put(key, b"x", ttl=100 if key == "p/3" else None)
    backend.clock.advance(100)  # p/3 has expired: pages skip it and stay full
    live = [k for k in keys if k != "p/3"]
    seen: list[str] = []
    sizes: list[int] = []
    token = None
    while True:
        page = store.list_page("p/", limit=2, token=token)
        seen.extend(i.key for i in page.items)
        sizes.append(len(page.items))
        if page.next_token is None:
            break
        token = page.next_token
    assert seen == live
    assert sizes == [2, 2, 2]
    with pytest.raises(ValueError, match="limit"):
        store.list_page("p/", limit=0)


def test_ttl_expiry_with_controllable_clock(store: ArtifactStore, backend: Backend) -> None:
    clock = backend.clock
    start = clock.now
    info = store.put("tmp/short", b"short-lived", ttl=60)
    store.put("tmp/long", b"long-lived", ttl=3600)
    store.put("tmp/forever", b"kept")
    assert info.expires == start + 60

    clock.advance(59.5)
    assert store.get("tmp/short").data == b"short-lived"
    assert store.sweep() == 0

    clock.advance(0.5)  # expiry is inclusive: at start + 60 it is gone
    assert not store.exists("tmp/short")
    with pytest.raises(ArtifactNotFound, match="expired") as expired:
        store.get("tmp/short")
    assert expired.value.expired_at == start + 60
    with pytest.raises(ArtifactNotFound):
        store.head("tmp/short")
    assert [i.key for i in store.list("tmp/")] == ["tmp/forever", "tmp/long"]
    assert backend.physically_present("tmp/short")  # gone for readers, not yet swept

    assert store.sweep() == 1
    assert not backend.physically_present("tmp/short")
    assert store.get("tmp/long").data == b"long-lived"

    clock.advance(10**9)
    assert store.sweep() == 1
    assert [i.key for i in store.list()] == ["tmp/forever"]


def test_rewriting_an_expired_key_revives_it(store: ArtifactStore, backend: Backend) -> None:
    store.put("k", b"old", ttl=1)
    backend.clock.advance(2)
    assert not store.exists("k")
    store.put("k", b"new")
    assert store.sweep() == 0
    assert store.get("k").data == b"new"


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_bad_keys_are_refused_and_nothing_is_written(
    store: ArtifactStore, backend: Backend, bad: str
) -> None:
    with pytest.raises(InvalidKey) as refused:
        store.put(bad, b"data")
    assert refused.value.code == "A001"
    assert refused.value.hint
    assert isinstance(refused.value, AiwfError)
    for call in (
        store.get,
        store.head,
        store.exists,
        store.delete,
        store.read_records,
        store.open_journal,
    ):
        with pytest.raises(InvalidKey):
            call(bad)
    assert list(store.list()) == []
    if backend.name == "file":
        root = backend.store.root
        assert not root.exists() or not any(root.rglob("*"))


def test_large_artifact(store: ArtifactStore) -> None:
    data = os.urandom(17 * MiB)
    info = store.put("big/blob", data)
    assert info.size == 17 * MiB
    assert store.head("big/blob").sha256 == hashlib.sha256(data).hexdigest()
    assert store.get("big/blob").data == data


def test_concurrent_writers_on_one_key_threads(store: ArtifactStore, backend: Backend) -> None:
    payloads = [bytes([n]) * (64 * 1024 + n) for n in range(6)]
    torn: list[bytes] = []
    done = threading.Event()

    def write(payload: bytes) -> None:
        for _ in range(4):
            store.put("shared", payload)

    def read() -> None:
        while not done.is_set():
            try:
                data = store.get("shared").data  # checksum verified by the store
            except ArtifactNotFound:
                continue
            if data not in payloads:
                torn.append(data)

    if backend.name == "s3-mock":
        pytest.skip(
            "moto's in-process backend is not thread-safe when writes race on one key (it "
            "closes the old object's buffer under other threads); the s3-server variant runs "
            "this race over HTTP"
        )
    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
            list(pool.map(write, payloads))
    finally:
        done.set()
        reader.join()
    assert torn == []
    assert store.get("shared").data in payloads
    assert [i.key for i in store.list()] == ["shared"]


def test_checksum_mismatch_is_detected(store: ArtifactStore, backend: Backend) -> None:
    store.put("victim", b"the original bytes")
    store.put("bystander", b"fine")
    backend.corrupt("victim")
    with pytest.raises(ArtifactCorrupt) as corrupt:
        store.get("victim")
    assert corrupt.value.code == "A003"
    assert "sha256" in corrupt.value.message
    assert store.get("bystander").data == b"fine"
