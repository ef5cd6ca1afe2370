"""``aiwf breaking --against`` with real git repositories: a branch, a tag, HEAD~1, the
default merge base, a spec directory, a spec new since the ref, and a shallow clone (the
fetch-depth hint); the text, JSON and GitHub formats; fingerprints stable across runs,
checkouts and processes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from breaking_support import breaking, breaking_json, commit, git

ROOT = Path(__file__).resolve().parents[2]
PRESET = (ROOT / "presets" / "workflows" / "ticket-triage.aiwf.yaml").read_text(encoding="utf-8")
SPEC = "specs/support.aiwf.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """main: the preset (tagged v1.0.0); feature: HEAD~1 changes the classify instructions
    (info), HEAD adds a required input property (error) and removes an optional one
    (warning)."""
    root = tmp_path_factory.mktemp("git") / "repo"
    (root / "specs").mkdir(parents=True)
    (root / SPEC).write_text(PRESET, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    commit(root, "v1")
    git(root, "tag", "v1.0.0")
    git(root, "checkout", "-q", "-b", "feature")
    edit(root / SPEC, "Classify the support ticket", "Classify the customer's ticket")
    commit(root, "reword the instructions")
    edit(root / SPEC, "required: [id, subject, body]", "required: [id, subject, body, priority]")
    edit(root / SPEC, "      customer_tier: {enum: [free, pro, enterprise]}\n",
         "      priority: {type: integer}\n")  # fmt: skip
    commit(root, "priority instead of customer_tier")
    return root


def rules(findings: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return sorted(f["rule"] for f in findings)


@pytest.mark.parametrize("ref", ["main", "v1.0.0", "HEAD~2"])
def test_against_a_branch_a_tag_and_a_commit(
    repo: Path, ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    code, findings = breaking_json("--spec", SPEC, "--against", ref)
    assert code == 1
    assert rules(findings) == [
        "assistant-instructions-changed", "input-property-removed",
        "input-required-property-added",
    ]  # fmt: skip
    removed = next(f for f in findings if f["rule"] == "input-property-removed")
    # A removal points into the old spec, named REF:path (git show's spelling).
    assert removed["file"] == f"{ref}:{SPEC}"
    assert removed["line"] == PRESET.splitlines().index(
        "      customer_tier: {enum: [free, pro, enterprise]}") + 1  # fmt: skip
    added = next(f for f in findings if f["rule"] == "input-required-property-added")
    assert added["file"] == SPEC
    assert added["subject"] == "Ticket.priority"
    assert {f["against"] for f in findings} == {ref}


def test_against_head_1_sees_only_the_last_commit(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    code, findings = breaking_json("--spec", SPEC, "--against", "HEAD~1")
    assert code == 1
    assert rules(findings) == ["input-property-removed", "input-required-property-added"]


def test_text_output_and_summary(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    run = breaking("--spec", SPEC, "--against", "main")
    assert run.code == 1
    assert (
        run.out.rstrip().splitlines()[-1] == "3 changes: 1 error, 1 warning, 1 info (against main)"
    )
    line = next(x for x in run.out.splitlines() if "input-required-property-added" in x)
    assert line.startswith(f"{SPEC}:")
    assert ": error[input-required-property-added]: Ticket.priority: " in line
    assert "  affects: wire, python, typescript" in run.out
    assert "  names: python Ticket.priority; typescript Ticket.priority" in run.out
    assert "  fingerprint: " in run.out
    assert "Traceback" not in run.out + run.err
    # Only errors fail by default; --fail-on error passes once they are accepted (below).
    assert (
        breaking(
            "--spec", SPEC, "--against", "HEAD~2", "--skip", "input-required-property-added"
        ).code
        == 0
    )
    assert breaking("--spec", SPEC, "--against", "HEAD~2", "--skip", "input-required-property-added",
                    "--fail-on", "warning").code == 1  # fmt: skip


def test_github_annotations(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    run = breaking("--spec", SPEC, "--against", "main", "--format", "github")
    assert run.code == 1
    lines = run.out.splitlines()
    assert len(lines) == 3
    error = next(x for x in lines if x.startswith("::error "))
    assert error.startswith(f"::error file={SPEC},line=")
    assert "title=aiwf input-required-property-added::Ticket.priority: required property" in error
    assert "%0Ahint: " in error
    assert "%0Afingerprint: " in error
    assert any(x.startswith("::warning file=main%3Aspecs/support.aiwf.yaml,line=") for x in lines)
    assert any(x.startswith("::notice ") for x in lines)
    assert "3 changes: 1 error, 1 warning, 1 info" in run.err


def test_default_against_is_the_merge_base_with_main(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    base = git(repo, "merge-base", "HEAD", "main").strip()
    code, findings = breaking_json("--spec", SPEC)
    assert code == 1
    assert len(findings) == 3
    assert {f["against"] for f in findings} == {base[:12]}


def test_against_from_the_project_config(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    config = tmp_path / "aiwf.toml"
    config.write_text(f'spec = "{repo / SPEC}"\n[breaking]\nagainst = "HEAD~1"\n', encoding="utf-8")
    code, findings = breaking_json("--config", str(config))
    assert code == 1
    assert len(findings) == 2


def test_fingerprints_are_stable_across_runs_checkouts_and_processes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    _, first = breaking_json("--spec", SPEC, "--against", "main")
    _, again = breaking_json("--spec", SPEC, "--against", "main")
    clone = tmp_path / "elsewhere" / "checkout"
    git(tmp_path, "clone", "-q", "--branch", "feature", f"file://{repo}", str(clone))
    git(clone, "branch", "-q", "main", "origin/main")
    proc = subprocess.run(
        [sys.executable, "-m", "aiwf", "breaking", "--format", "json", "--spec", SPEC,
         "--against", "main"],
        cwd=clone, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    other = json.loads(proc.stdout)

    def prints(findings: list[dict]) -> dict[str, str]:  # type: ignore[type-arg]
        return {f["rule"]: f["fingerprint"] for f in findings}

    assert prints(first) == prints(again) == prints(other)
    # The documented recipe: sha256 of [rule, subject, old, new, context] as canonical JSON.
    added = next(f for f in first if f["rule"] == "input-required-property-added")
    data = ["input-required-property-added", "Ticket.priority", None, "priority", ""]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert added["fingerprint"] == hashlib.sha256(text.encode()).hexdigest()[:16]


def test_shallow_clone_gets_the_fetch_depth_hint(repo: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}",
        str(shallow))  # fmt: skip
    # Like actions/checkout: the one commit of the branch, no origin/HEAD.
    git(shallow, "remote", "set-head", "origin", "-d")
    monkeypatch.chdir(shallow)
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    for args in (["--against", first], ["--against", "HEAD~1"], ["--against", "main"], []):
        run = breaking("--spec", SPEC, *args)
        assert run.code == 1, run.out + run.err
        assert "error[B002]" in run.err, run.err
        assert "shallow" in run.err, run.err
        assert "fetch-depth: 0" in run.err, run.err
        assert "Traceback" not in run.err


def test_unknown_ref_outside_a_shallow_clone(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    run = breaking("--spec", SPEC, "--against", "no-such-branch")
    assert run.code == 1
    assert "error[B002]: unknown git ref 'no-such-branch'" in run.err
    assert "fetch-depth" not in run.err


def test_spec_directory_at_a_ref_and_a_spec_new_since_the_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "contracts.aiwf.yaml").write_text(
        "aiwf: 1\nschemas:\n  In: {type: object, properties: {a: {type: string}}}\n",
        encoding="utf-8",
    )
    (root / "specs" / "main.aiwf.yaml").write_text(
        "aiwf: 1\nname: dir\nmodels:\n  m: {provider: openai, model: x}\nassistants:\n"
        "  go: {model: m, instructions: go, input: In, output: {type: string}}\n",
        encoding="utf-8",
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "dir spec")
    edit(root / "specs" / "contracts.aiwf.yaml", "{a: {type: string}}", "{a: {type: integer}}")
    monkeypatch.chdir(root)
    code, findings = breaking_json("--spec", "specs", "--against", "HEAD")
    assert code == 1
    assert rules(findings) == ["input-type-changed"]
    assert findings[0]["file"] == "specs/contracts.aiwf.yaml"
    # A spec that did not exist at the ref: everything is an addition; nothing to report.
    (root / "new.aiwf.yaml").write_text(PRESET, encoding="utf-8")
    run = breaking("--spec", "new.aiwf.yaml", "--against", "HEAD")
    assert (run.code, run.out.strip()) == (0, "no changes (against HEAD)")


def test_against_a_directory_or_file_outside_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old"
    (old / "specs").mkdir(parents=True)
    (old / SPEC).write_text(PRESET, encoding="utf-8")
    new = tmp_path / "new"
    (new / "specs").mkdir(parents=True)
    (new / SPEC).write_text(PRESET.replace("maxLength: 200", "maxLength: 100"), encoding="utf-8")
    monkeypatch.chdir(new)
    for against in (str(old / SPEC), str(old / "specs")):
        code, findings = breaking_json("--spec", SPEC, "--against", against)
        assert code == 1
        assert rules(findings) == ["input-bounds-tightened"]
    run = breaking("--spec", SPEC, "--against", "HEAD")
    assert run.code == 2
    assert "not in a git repository" in run.err
