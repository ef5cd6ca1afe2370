"""File-store-only behaviour: crash safety under SIGKILL, writers in separate processes, the
on-disk layout, sweeping leftovers, and ``file://`` URLs."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from aiwf.stores import (
    ArtifactCorrupt,
    ArtifactNotFound,
    FileStore,
    StoreError,
    UnknownStore,
    open_store,
)

WRITER = str(Path(__file__).with_name("writer_proc.py"))
KiB = 1024


def leftovers(root: Path) -> list[Path]:
    return sorted(root.rglob(".aiwf-*"))


@pytest.mark.parametrize("round_", range(6))
def test_writer_killed_mid_write_leaves_old_artifact_or_none(tmp_path: Path, round_: int) -> None:
    rng = random.Random(round_)
    root = tmp_path / "store"
    store = FileStore(root)
    old = f"old artifact {round_}".encode() * 100 if round_ % 2 == 0 else None
    if old is not None:
        store.put("runs/victim", old)
    size, chunks = 1024 * KiB, 16  # the writer reports after each 64 KiB chunk
    new = bytes([7]) * size
    kill_after = rng.randint(1, chunks - 1)  # strictly before the last chunk is written

    writer = subprocess.Popen(
        [sys.executable, WRITER, "slow", str(root), "runs/victim", str(size), "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        for number in range(1, kill_after + 1):
            assert writer.stdout.readline().strip() == f"chunk {number}"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL

    # The half-written temporary file is there, and readers never see it.
    temps = leftovers(root)
    assert len(temps) == 1
    assert temps[0].stat().st_size > 0
    if old is None:
        with pytest.raises(ArtifactNotFound):
            store.get("runs/victim")
        assert list(store.list()) == []
    else:
        assert store.get("runs/victim").data == old
        assert [i.key for i in store.list()] == ["runs/victim"]

    # A sweep with the default grace keeps temp files (a writer may still be busy) ...
    assert store.sweep() == 0
    assert leftovers(root) == temps
    # ... and once they are old enough, removes them.
    assert FileStore(root, temp_grace=0).sweep() == 0
    assert leftovers(root) == []

    # The store works normally afterwards.
    store.put("runs/victim", new)
    assert store.get("runs/victim").data == new


def test_writer_killed_at_any_point_leaves_a_whole_artifact(tmp_path: Path) -> None:
    """Kill anywhere, including after the last chunk (where the rename may or may not have
    happened): the key holds the old artifact or the new one, whole."""
    root = tmp_path / "store"
    store = FileStore(root)
    old = b"o" * 5000
    store.put("k", old)
    size = 256 * KiB  # 4 chunks
    new = bytes([9]) * size
    seen = set()
    for round_ in range(4):
        writer = subprocess.Popen(
            [sys.executable, WRITER, "slow", str(root), "k", str(size), "9"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None
            for _ in range(round_ + 1):
                writer.stdout.readline()
            writer.send_signal(signal.SIGKILL)
        finally:
            writer.kill()
            writer.wait()
            if writer.stdout is not None:
                writer.stdout.close()
        data = store.get("k").data
        assert data in (old, new)
        seen.add(data)
        store.put("k", old)
    assert old in seen
    FileStore(root, temp_grace=0).sweep()
    assert leftovers(root) == []


def test_two_processes_writing_one_key(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = FileStore(root)
    sizes = {1: 300 * KiB, 2: 200 * KiB + 7}
    payloads = {bytes([b]) * size for b, size in sizes.items()}
    writers = [
        subprocess.Popen(
            [sys.executable, WRITER, "loop", str(root), "shared/key", "40", str(size), str(b)]
        )
        for b, size in sizes.items()
    ]
    reads = 0
    try:
        while any(w.poll() is None for w in writers):
            try:
                data = store.get("shared/key").data  # sha256 checked on every read
            except ArtifactNotFound:
                continue
            assert data in payloads
            reads += 1
    finally:
        for writer in writers:
            writer.kill()
            writer.wait()
    assert [w.returncode for w in writers] == [0, 0]
    assert store.get("shared/key").data in payloads
    assert leftovers(root) == []
    assert [i.key for i in store.list()] == ["shared/key"]


def test_on_disk_layout(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    info = store.put("runs/42/out.json", b'{"a": 1}', content_type="application/json", ttl=5)
    path = tmp_path / "runs" / "42" / "out.json.aiwf"
    raw = path.read_bytes()
    magic, header, payload = raw.split(b"\n", 2)
    assert magic == b"aiwf-artifact 1"
    assert b'"sha256":"' + info.sha256.encode() + b'"' in header
    assert payload == b'{"a": 1}'
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["42", "out.json.aiwf", "runs"]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda raw: raw[:-3], "size"),
        (lambda raw: b"not-aiwf\n" + raw, "magic"),
        (lambda raw: raw.replace(b'"size":', b'"size":"x",'), "header"),
        (lambda raw: raw.split(b"\n", 1)[0] + b"\n" + b"{", "header"),
    ],
)
def test_damaged_files_are_corrupt(tmp_path: Path, damage: Any, reason: str) -> None:
    store = FileStore(tmp_path)
    store.put("k", b"payload bytes")
    path = tmp_path / "k.aiwf"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ArtifactCorrupt, match=reason) as corrupt:
        store.get("k")
    assert corrupt.value.code == "A003"


def test_foreign_files_are_ignored(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.put("mine", b"1")
    (tmp_path / "README.txt").write_text("not an artifact")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes").write_text("x")
    assert [i.key for i in store.list()] == ["mine"]
    assert store.sweep() == 0
    assert (tmp_path / "README.txt").exists()


def test_sweep_removes_stale_temp_files_and_empty_directories(tmp_path: Path) -> None:
    store = FileStore(tmp_path, temp_grace=3600)
    store.put("keep/me", b"1")
    store.put("gone/soon/x", b"2", ttl=1)
    stale = tmp_path / "keep" / ".aiwf-tmp-0123456789abcdef"
    fresh = tmp_path / "keep" / ".aiwf-tmp-fedcba9876543210"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"busy")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    clock_after_expiry = FileStore(tmp_path, clock=lambda: time.time() + 10)
    assert clock_after_expiry.sweep() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert not (tmp_path / "gone").exists()
    assert store.get("keep/me").data == b"1"


def test_sweep_spares_an_artifact_rewritten_while_it_sweeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    store = FileStore(tmp_path, clock=lambda: now[0])
    store.put("k", b"expiring", ttl=1)
    now[0] += 5
    real_rename = os.rename
    raced = []

    def rename_after_a_writer(src: Any, dst: Any) -> None:
        if not raced and str(src).endswith("k.aiwf"):
            raced.append(True)
            store.put("k", b"fresh")  # lands between sweep's check and its removal
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename_after_a_writer)
    assert store.sweep() == 0
    assert raced == [True]
    assert store.get("k").data == b"fresh"
    assert leftovers(tmp_path) == []


def test_file_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cases = {
        "file://./.aiwf/artifacts": tmp_path / ".aiwf" / "artifacts",
        "file://.aiwf/artifacts": tmp_path / ".aiwf" / "artifacts",
        "file://rel/dir": tmp_path / "rel" / "dir",
        "file://my%20dir": tmp_path / "my dir",
        "plain/path": tmp_path / "plain" / "path",
        f"file://{tmp_path}/abs": tmp_path / "abs",
        f"file://localhost{tmp_path}/abs": tmp_path / "abs",
        str(tmp_path / "abs2"): tmp_path / "abs2",
        "FILE://upper": tmp_path / "upper",
    }
    for url, expected in cases.items():
        store: Any = open_store(url)
        assert store.root == expected, url
        assert store.url == expected.as_uri()
    based: Any = open_store("file://.aiwf/artifacts", base=tmp_path / "project")
    assert based.root == tmp_path / "project" / ".aiwf" / "artifacts"
    absolute: Any = open_store(f"file://{tmp_path}/x", base=tmp_path / "project")
    assert absolute.root == tmp_path / "x"


def test_opening_a_store_creates_nothing_until_written(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "lazy"))
    assert list(store.list()) == []
    assert store.sweep() == 0
    assert not (tmp_path / "lazy").exists()
    store.put("k", b"v")
    assert (tmp_path / "lazy" / "k.aiwf").exists()


def test_bad_store_urls(tmp_path: Path) -> None:
    for url in ["ftp://host/x", "gs://bucket", "", "file://"]:
        with pytest.raises(UnknownStore) as refused:
            open_store(url)
        assert refused.value.code == "A005"
        assert refused.value.hint
        assert refused.value.exit_code == 2
    with pytest.raises(UnknownStore, match="unknown scheme 'ftp'") as unknown:
        open_store("ftp://host/x")
    assert unknown.value.hint is not None
    assert "s3://" in unknown.value.hint
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(str(tmp_path / "a-file"))


def test_write_failure_is_a_store_error_and_leaves_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    (tmp_path / "blocked").write_text("a file where a directory is needed")
    with pytest.raises(StoreError) as failed:
        store.put("blocked/k", b"v")
    assert failed.value.code == "A004"
    assert leftovers(tmp_path) == []
