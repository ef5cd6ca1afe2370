"""The format cache: ruff's output kept by its input, never a different byte.

Each golden is generated with an empty cache (ruff formats every file), with a cache that
holds some of its files (ruff formats the others, in the same layout), and with a full cache
(no ruff process at all); all three must be the golden itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sdkgen_support import GOLDEN, PRESETS, golden_files, read_tree

from aiwf._generate import formatting
from aiwf._generate.cache import FORMAT_DIR, FormatCache
from aiwf._generate.templates import locate


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIWF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / FORMAT_DIR


def runs_of_ruff(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(command: list[str], *args: object, **kwargs: object) -> object:
        calls.append(command)
        return real(command, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting)
    return calls


def golden(stem: str) -> dict[str, str]:
    return {rel.removesuffix(".golden"): text for rel, text in read_tree(GOLDEN / stem).items()}


@pytest.mark.parametrize("spec", PRESETS, ids=lambda p: p.name.split(".")[0])
def test_cold_partial_and_warm_caches_give_the_golden_bytes(
    spec: Path, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stem = spec.name.split(".")[0]
    want = golden(stem)
    calls = runs_of_ruff(monkeypatch)

    def generate(scratch: str) -> dict[str, str]:
        calls.clear()
        return golden_files(spec, stem.replace("-", "_"), locate(), tmp_path / scratch)

    assert generate("cold") == want
    assert len(calls) == 2  # import fixes, then formatting
    entries = sorted(cache.iterdir())
    assert len(entries) == sum(rel.endswith(".py") for rel in want)

    for entry in entries[::2]:  # forget every other file
        entry.unlink()
    assert generate("partial") == want
    assert len(calls) == 2

    assert generate("warm") == want
    assert calls == []  # every file from the cache: no ruff


def test_a_corrupt_or_torn_entry_is_ignored_and_rewritten(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"pkg/a.py": "import sys\nimport os\nx=1\n", "pkg/b.py": "y  =  2\n"}
    want = formatting.ruff_format(files)
    assert want == {"pkg/a.py": "x = 1\n", "pkg/b.py": "y = 2\n"}
    entries = sorted(cache.iterdir())
    entries[0].write_bytes(entries[0].read_bytes()[:-3] + b"zz\n")  # same length, other bytes
    entries[1].write_bytes(entries[1].read_bytes()[:20])  # torn
    calls = runs_of_ruff(monkeypatch)
    assert formatting.ruff_format(files) == want
    assert len(calls) == 2
    calls.clear()
    assert formatting.ruff_format(files) == want  # rewritten
    assert calls == []


def test_the_key_holds_the_tool_the_layout_the_path_and_the_text(tmp_path: Path) -> None:
    one = FormatCache(tmp_path, "ruff 1", ["a.py", "b.py"])
    assert one.key("a.py", "x") == FormatCache(tmp_path, "ruff 1", ["b.py", "a.py"]).key(
        "a.py", "x"
    )
    others = {
        FormatCache(tmp_path, "ruff 2", ["a.py", "b.py"]).key("a.py", "x"),
        FormatCache(tmp_path, "ruff 1", ["a.py", "c.py"]).key("a.py", "x"),
        one.key("b.py", "x"),
        one.key("a.py", "x "),
    }
    assert one.key("a.py", "x") not in others
    assert len(others) == 4


def test_the_cache_is_pruned_to_its_limit_least_recently_used_first(tmp_path: Path) -> None:
    import os

    small = FormatCache(tmp_path, "tool", ["a.py"], max_bytes=3000)
    for i in range(5):
        small.put({("a.py", str(i)): "x" * 900})
        entry = tmp_path / small.key("a.py", str(i))
        os.utime(entry, ns=(i * 10**9, i * 10**9))
    small.put({("a.py", "last"): "x" * 900})
    kept = {text for text in [*map(str, range(5)), "last"] if small.get("a.py", text)}
    assert "last" in kept
    assert sum((tmp_path / small.key("a.py", t)).stat().st_size for t in kept) <= 3000
    assert "0" not in kept
    assert "4" in kept


def test_an_unwritable_cache_only_costs_the_speed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("AIWF_CACHE_DIR", str(blocker))
    assert formatting.ruff_format({"a.py": "x=1\n"}) == {"a.py": "x = 1\n"}
