"""``aiwf artifacts ls/get/rm/sweep`` through click's runner and as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from aiwf._cli import cli
from aiwf.stores import ArtifactNotFound, FileStore, InvalidKey, UnknownStore, open_store


@pytest.fixture
def filled(tmp_path: Path) -> tuple[FileStore, str]:
    store = FileStore(tmp_path / "store")
    store.put("runs/1/a.json", b'{"a": 1}', content_type="application/json")
    store.put("runs/1/b.bin", bytes(range(256)))
    store.put("runs/2/c.txt", b"c", ttl=3600)
    store.put("other/d", b"d")
    return store, store.url


def test_ls(filled: tuple[FileStore, str]) -> None:
    _, url = filled
    result = CliRunner().invoke(cli, ["artifacts", "ls", "--store", url])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "other/d",
        "runs/1/a.json",
        "runs/1/b.bin",
        "runs/2/c.txt",
    ]
    result = CliRunner().invoke(cli, ["artifacts", "ls", "runs/1/", "--store", url])
    assert result.stdout.splitlines() == ["runs/1/a.json", "runs/1/b.bin"]
    # --artifacts, as on aiwf run, names the same option
    result = CliRunner().invoke(cli, ["artifacts", "ls", "runs/1/", "--artifacts", url])
    assert result.stdout.splitlines() == ["runs/1/a.json", "runs/1/b.bin"]
    result = CliRunner().invoke(cli, ["artifacts", "ls", "-l", "runs/", "--store", url])
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[:3] for r in rows] == [
        ["runs/1/a.json", "8", "application/json"],
        ["runs/1/b.bin", "256", "application/octet-stream"],
        ["runs/2/c.txt", "1", "application/octet-stream"],
    ]
    assert rows[0][4] == "-"
    assert rows[2][4].endswith("Z")


def test_ls_bad_prefix_is_an_error(filled: tuple[FileStore, str]) -> None:
    _, url = filled
    result = CliRunner().invoke(cli, ["artifacts", "ls", "../x", "--store", url])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidKey)


def test_get_to_stdout_and_to_file(filled: tuple[FileStore, str], tmp_path: Path) -> None:
    _, url = filled
    result = CliRunner().invoke(cli, ["artifacts", "get", "runs/1/b.bin", "--store", url])
    assert result.exit_code == 0
    assert result.stdout_bytes == bytes(range(256))
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli, ["artifacts", "get", "runs/1/a.json", "-o", str(out), "--store", url]
    )
    assert result.exit_code == 0
    assert result.stdout_bytes == b""
    assert out.read_bytes() == b'{"a": 1}'


def test_get_missing_is_a_clear_error(filled: tuple[FileStore, str]) -> None:
    _, url = filled
    result = CliRunner().invoke(cli, ["artifacts", "get", "nope", "--store", url])
    assert result.exit_code != 0
    assert isinstance(result.exception, ArtifactNotFound)


def test_rm(filled: tuple[FileStore, str]) -> None:
    store, url = filled
    result = CliRunner().invoke(cli, ["artifacts", "rm", "other/d", "--store", url])
    assert result.exit_code == 0
    assert not store.exists("other/d")
    result = CliRunner().invoke(cli, ["artifacts", "rm", "other/d", "--store", url])
    assert isinstance(result.exception, ArtifactNotFound)
    result = CliRunner().invoke(cli, ["artifacts", "rm", "-f", "other/d", "--store", url])
    assert result.exit_code == 0


def test_sweep(tmp_path: Path) -> None:
    in_the_past = FileStore(tmp_path, clock=lambda: time.time() - 100)
    in_the_past.put("old", b"expired 90 s ago", ttl=10)
    in_the_past.put("kept", b"no ttl")
    result = CliRunner().invoke(cli, ["artifacts", "sweep", "--store", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("removed 1 expired artifact from file://")
    assert [i.key for i in in_the_past.list()] == ["kept"]
    result = CliRunner().invoke(cli, ["artifacts", "sweep", "-q", "--store", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout == ""


def test_unknown_store_scheme() -> None:
    result = CliRunner().invoke(cli, ["artifacts", "ls", "--store", "ftp://x/y"])
    assert isinstance(result.exception, UnknownStore)


def test_default_store_is_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_store("file://.aiwf/artifacts").put("here", b"1")
    result = CliRunner().invoke(cli, ["artifacts", "ls"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["here"]


def test_configured_store_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "aiwf.toml").write_text('store = "file://shared-artifacts"\n')
    FileStore(tmp_path / "shared-artifacts").put("from/config", b"1")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = CliRunner().invoke(cli, ["artifacts", "ls"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["from/config"]
    # --store wins over the config.
    FileStore(tmp_path / "sub" / "cli").put("from/option", b"2")
    result = CliRunner().invoke(cli, ["artifacts", "ls", "--store", "cli"])
    assert result.stdout.splitlines() == ["from/option"]


def test_python_dash_m_aiwf_artifacts(filled: tuple[FileStore, str]) -> None:
    _, url = filled
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    listed = subprocess.run(
        [sys.executable, "-m", "aiwf", "artifacts", "ls", "runs/", "--store", url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["runs/1/a.json", "runs/1/b.bin", "runs/2/c.txt"]
    missing = subprocess.run(
        [sys.executable, "-m", "aiwf", "artifacts", "get", "runs/9", "--store", url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("error[A002]: artifact 'runs/9' not found")
    assert "hint:" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_python_dash_m_aiwf_artifacts_against_s3_over_http(s3_server: str) -> None:
    # s3_server put AWS_ENDPOINT_URL (the moto server on 127.0.0.1) and fake keys in the env.
    open_store(f"s3://{s3_server}/team").put("runs/1/out.json", b"{}")
    base = [sys.executable, "-m", "aiwf", "artifacts"]
    store = ["--store", f"s3://{s3_server}/team"]
    listed = subprocess.run(
        [*base, "ls", *store], capture_output=True, text=True, timeout=60, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["runs/1/out.json"]
    removed = subprocess.run(
        [*base, "rm", "runs/1/out.json", *store],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert removed.returncode == 0, removed.stderr
    assert list(open_store(f"s3://{s3_server}/team").list()) == []
