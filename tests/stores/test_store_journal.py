"""Journals (ArtifactStore.open_journal): appended records, group commits, what a kill or a
torn line leaves, and how journals look to listing, TTLs and sweep, on every store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_support import Backend

from aiwf.stores import ArtifactNotFound, InvalidArtifact, open_store
from aiwf.stores._base import decode_records, encode_record

HERE = Path(__file__).parent


def records_under(store: object, prefix: str) -> list[bytes]:
    out: list[bytes] = []
    for info in store.list(prefix):  # type: ignore[attr-defined]
        out.extend(store.read_records(info.key))  # type: ignore[attr-defined]
    return out


def test_records_round_trip_in_order(backend: Backend) -> None:
    store = backend.store
    records = [b'{"i": %d, "text": "h\\u00e9llo\\tx"}' % i for i in range(25)]
    with store.open_journal("runs/1/journal/a", ttl=3600, metadata={"run_id": "1"}) as journal:
        for number, record in enumerate(records):
            journal.append(record)
            if number % 10 == 9:
                journal.commit()
    assert records_under(store, "runs/1/journal/") == records
    infos = list(store.list("runs/1/journal/"))
    for info in infos:
        assert info.content_type == "application/jsonl"
        assert info.metadata == {"run_id": "1"}
        assert info.expires == pytest.approx(backend.clock.now + 3600)
        data, got = store.get(info.key)
        assert got.size == len(data) == info.size
        assert data.endswith(b"\n")
    whole = b"".join(store.get(info.key).data for info in infos)
    assert whole == b"".join(r + b"\n" for r in records)


def test_object_count_follows_commits(backend: Backend) -> None:
    """The file store keeps a journal as one file whatever the commits; a store without
    appends writes one object per commit that has records, never one per record."""
    store = backend.store
    journal = store.open_journal("runs/2/journal/a")
    for batch in range(7):
        for i in range(30):
            journal.append(b'{"i": %d}' % (batch * 30 + i))
        journal.commit()
        journal.commit()  # nothing new: no object
    journal.close()
    count = len(list(store.list("runs/2/journal/")))
    assert count == (1 if backend.name == "file" else 7)
    assert len(records_under(store, "runs/2/journal/")) == 210
    assert journal.kill_safe is (backend.name == "file")


def test_a_record_may_not_hold_a_newline(backend: Backend) -> None:
    journal = backend.store.open_journal("runs/3/journal/a")
    with pytest.raises(InvalidArtifact):
        journal.append(b"two\nlines")
    journal.close()
    with pytest.raises(Exception, match="closed"):
        journal.append(b"late")


def test_journals_expire_and_sweep(backend: Backend) -> None:
    store = backend.store
    with store.open_journal("runs/4/journal/a", ttl=60) as journal:
        journal.append(b"{}")
    with store.open_journal("runs/4/journal/b") as forever:
        forever.append(b"{}")
    assert len(list(store.list("runs/4/"))) == 2
    backend.clock.advance(61)
    keys = [info.key for info in store.list("runs/4/")]
    assert keys == ["runs/4/journal/b" + ("" if backend.name == "file" else "/000000")]
    first = "runs/4/journal/a" + ("" if backend.name == "file" else "/000000")
    with pytest.raises(ArtifactNotFound):
        store.get(first)
    with pytest.raises(ArtifactNotFound):
        store.read_records(first)
    assert store.sweep() == 1
    assert [info.key for info in store.list("runs/4/")] == keys
    store.delete(keys[0])
    assert list(store.list("runs/4/")) == []


def test_records_decode_skips_torn_and_damaged_lines() -> None:
    good = [b'{"i": 1}', b'{"i": 2}', b"{}"]
    lines = [encode_record(r) for r in good]
    damaged = bytearray(lines[1])
    damaged[12] ^= 0x01
    data = lines[0] + bytes(damaged) + b"garbage\n" + b"\n" + lines[2] + lines[0][:7]
    assert decode_records(data) == [good[0], good[2]]
    assert decode_records(b"") == []
    assert decode_records(b"\0" * 40) == []  # what a crash can leave after an unsynced append


def test_file_journal_ignores_a_torn_last_line(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    with store.open_journal("j/a") as journal:
        journal.append(b'{"i": 0}')
        journal.append(b'{"i": 1}')
    path = store._path("j/a")  # type: ignore[attr-defined]
    with open(path, "ab") as fh:
        fh.write(encode_record(b'{"i": 2, "output": "long"}')[:15])  # killed mid-write
    assert store.read_records("j/a") == [b'{"i": 0}', b'{"i": 1}']
    assert store.get("j/a").data == b'{"i": 0}\n{"i": 1}\n'
    info = store.head("j/a")
    assert info.size == len(b'{"i": 0}\n{"i": 1}\n')
    assert [i.key for i in store.list("j/")] == ["j/a"]


def test_file_journal_records_survive_sigkill_before_any_commit(tmp_path: Path) -> None:
    """A process killed with SIGKILL after appending (no commit, no fsync) leaves every
    appended record readable: the kernel has the bytes."""
    root = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "writer_proc.py"), "journal", str(root), "j/a", "100000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    appended = 0
    for line in proc.stdout:
        appended = int(line.split()[1])
        if appended >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    records = open_store(str(root)).read_records("j/a")
    assert len(records) >= appended  # everything reported appended, maybe a few more
    assert records == [b'{"i": %d}' % i for i in range(len(records))]


def test_artifacts_command_on_a_journal(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aiwf._cli import cli
    from aiwf.stores import FileStore

    store = FileStore(tmp_path / "s")
    with store.open_journal("runs/9/steps/each/journal/b", ttl=3600) as journal:
        journal.append(b"{}")
    with store.open_journal("runs/9/steps/each/journal/a") as journal:
        journal.append(b'{"i": 0}')
        journal.append(b'{"i": 1}')
    url = store.url
    runner = CliRunner()
    listed = runner.invoke(cli, ["artifacts", "ls", "-l", "runs/9/", "--store", url])
    assert listed.exit_code == 0, listed.output
    row = listed.stdout.splitlines()[0].split("\t")
    assert row[:3] == ["runs/9/steps/each/journal/a", "18", "application/jsonl"]
    got = runner.invoke(cli, ["artifacts", "get", "runs/9/steps/each/journal/a", "--store", url])
    assert got.exit_code == 0, got.output
    assert got.stdout == '{"i": 0}\n{"i": 1}\n'
    later = FileStore(tmp_path / "s", clock=lambda: time.time() + 3601)
    assert later.sweep() == 1  # the journal with a TTL
    removed = runner.invoke(cli, ["artifacts", "rm", "runs/9/steps/each/journal/a", "--store", url])
    assert removed.exit_code == 0, removed.output
    listed = runner.invoke(cli, ["artifacts", "ls", "runs/", "--store", url])
    assert listed.stdout == ""


RECORDS = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20)


@given(RECORDS, st.data())
def test_decode_records_gives_back_a_prefix_of_any_cut(
    records: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(encode_record(r) for r in records)
    assert decode_records(stream) == records
    cut = data.draw(st.integers(min_value=0, max_value=len(stream)))
    got = decode_records(stream[:cut])
    assert got == records[: len(got)]
    assert len(got) == stream[:cut].count(b"\n")  # every whole line, nothing else
