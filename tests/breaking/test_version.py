"""``aiwf sdk --bump-version REF``: the version the spec's changes since REF call for,
written into existing SDKs made by ``aiwf sdk`` (Python pyproject.toml, TypeScript
package.json and its lock) or reported as the tag to make (Go); idempotent; and the
``[breaking] bump_version`` config switch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from breaking_support import commit, git
from sdkgen_support import run_cli
from test_gate import BASE

from aiwf._breaking.version import read_version, write_version

SDKS = [
    ["--lang", "python", "--out", "sdk/python", "--package", "quiet_ai"],
    ["--lang", "typescript", "--out", "sdk/ts", "--package", "quiet-ai"],
    ["--lang", "go", "--out", "sdk/go", "--module", "example.com/quiet"],
]
BREAK = ("      score: {type: number}\n", "")  # an output property removed: an error


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with the spec and its three SDKs committed (the Go one tagged v1.2.0)."""
    root = tmp_path_factory.mktemp("bump") / "repo"
    root.mkdir()
    (root / "quiet.aiwf.yaml").write_text(BASE, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    for args in SDKS:
        made = run_cli(["sdk", "quiet.aiwf.yaml", *args], root)
        assert made.exit_code == 0, made.output
    commit(root, "release")
    git(root, "tag", "sdk/go/v1.2.0")
    return root


@pytest.fixture
def repo(released: Path, tmp_path: Path) -> Path:
    clone = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(released), str(clone))
    return clone


def sdk(repo: Path, *args: str) -> str:
    out = run_cli(["sdk", "quiet.aiwf.yaml", *args], repo)
    assert out.exit_code == 0, out.output
    return out.output


def version(repo: Path, lang: str) -> str | None:
    path = repo / ("sdk/python/pyproject.toml" if lang == "python" else "sdk/ts/package.json")
    return read_version(lang, path.read_text(encoding="utf-8"))


def test_breaking_change_bumps_minor_below_1_and_is_idempotent(repo: Path) -> None:
    spec = repo / "quiet.aiwf.yaml"
    spec.write_text(BASE.replace(*BREAK), encoding="utf-8")
    for args in SDKS[:2]:
        out = sdk(repo, *args, "--bump-version", "HEAD")
        assert re.search(r": version 0\.1\.0 -> 0\.2\.0 \(major change since HEAD\)", out), out
    assert version(repo, "python") == version(repo, "typescript") == "0.2.0"
    lock = json.loads((repo / "sdk/ts/package-lock.json").read_text(encoding="utf-8"))
    assert lock["version"] == lock["packages"][""]["version"] == "0.2.0"
    assert lock["packages"]["node_modules/typescript"]["version"] != "0.2.0"
    # Again: the last version is the one at HEAD, so nothing moves.
    before = {p: p.read_bytes() for p in (repo / "sdk").rglob("*") if p.is_file()}
    for args in SDKS[:2]:
        out = sdk(repo, *args, "--bump-version", "HEAD")
        assert "version" not in out, out
    assert before == {p: p.read_bytes() for p in (repo / "sdk").rglob("*") if p.is_file()}


def test_go_gets_the_tag_to_make(repo: Path) -> None:
    (repo / "quiet.aiwf.yaml").write_text(BASE.replace(*BREAK), encoding="utf-8")
    out = run_cli(["sdk", "quiet.aiwf.yaml", *SDKS[2], "--bump-version", "HEAD"], repo)  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "sdk/go: major change since HEAD: tag the Go module: git tag sdk/go/v2.0.0" in out.output
    assert "needs the /v2 suffix in its module path" in out.output
    # A Go module carries no version in a file: only the regenerated code changed.
    assert "go.mod" not in git(repo, "status", "--porcelain", "sdk/go")
    assert "sdk/go/contracts.go" in git(repo, "status", "--porcelain", "sdk/go")


@pytest.mark.parametrize(
    ("edit", "at_ref", "expected"),
    [
        (BREAK, "1.4.2", "2.0.0"),
        (("      score: {type: number}\n", "      score: {type: number}\n      n: {type: integer}\n"),
         "1.4.2", "1.5.0"),
        (("Answer the ticket.", "Answer the ticket, briefly."), "1.4.2", "1.4.3"),
    ],
)  # fmt: skip
def test_bump_follows_the_changes(
    repo: Path, edit: tuple[str, str], at_ref: str, expected: str
) -> None:
    pyproject = repo / "sdk/python/pyproject.toml"
    pyproject.write_text(write_version("python", pyproject.read_text(), at_ref), encoding="utf-8")
    commit(repo, f"release {at_ref}")
    (repo / "quiet.aiwf.yaml").write_text(BASE.replace(*edit), encoding="utf-8")
    sdk(repo, *SDKS[0], "--bump-version", "HEAD")
    assert version(repo, "python") == expected


def test_config_switch_bumps_every_configured_sdk(repo: Path) -> None:
    (repo / "aiwf.toml").write_text(
        'spec = "quiet.aiwf.yaml"\n[breaking]\nagainst = "HEAD"\nbump_version = true\n\n'
        '[[sdk]]\nlang = "python"\nout = "sdk/python"\npackage = "quiet_ai"\n\n'
        '[[sdk]]\nlang = "typescript"\nout = "sdk/ts"\npackage = "quiet-ai"\n',
        encoding="utf-8",
    )
    (repo / "quiet.aiwf.yaml").write_text(BASE.replace(*BREAK), encoding="utf-8")
    out = run_cli(["sdk", "--exit-code"], repo)
    assert out.exit_code == 1
    assert "regenerated 2 SDK(s)" in out.output
    assert version(repo, "python") == version(repo, "typescript") == "0.2.0"


def test_version_lines_change_and_nothing_else() -> None:
    text = (
        '[build-system]\nrequires = ["hatchling"]\n\n[project]\nname = "x"\n'
        'version = "0.1.0"  # ours\ndescription = "d"\n\n[tool.other]\nversion = "9.9.9"\n'
    )
    assert read_version("python", text) == "0.1.0"
    assert write_version("python", text, "1.0.0") == text.replace('"0.1.0"', '"1.0.0"')
    package = '{\n  "name": "x",\n  "version": "0.1.0",\n  "devDependencies": {\n    "a": "1.0.0"\n  }\n}\n'
    assert read_version("typescript", package) == "0.1.0"
    assert write_version("typescript", package, "0.2.0") == package.replace('"0.1.0"', '"0.2.0"')
