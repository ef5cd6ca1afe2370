"""Helpers for the build-integration tests: a git repository of this project's files (what
``pre-commit`` installs hooks from), consumer repositories, and running real tools in them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRESET = ROOT / "presets" / "workflows" / "ticket-triage.aiwf.yaml"
#: The tools of the project's environment (aiwf, pre-commit, nox) come first on PATH.
BIN = Path(sys.executable).parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "aiwf tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "aiwf tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
#: Variables of the outer environment that would change what the tools under test do.
_DROP = ("AIWF_ENV", "AIWF_CACHE_DIR", "SKIP", "GITHUB_ACTIONS")


def require(tool: str) -> str:
    """The path of ``tool``; fails (never skips) when it is missing."""
    found = shutil.which(tool, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    assert found, f"{tool} is required by these tests and was not found on PATH"
    return found


def tool_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env.update(GIT_ENV)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PRE_COMMIT_COLOR"] = "never"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


@dataclass
class Run:
    code: int
    out: str

    def __str__(self) -> str:
        return f"exit {self.code}\n{self.out}"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> Run:
    """Run ``cmd`` (stdout and stderr together, as a terminal shows them)."""
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env or tool_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout)


def git(cwd: Path, *args: str) -> str:
    result = run([require("git"), *args], cwd)
    assert result.code == 0, f"git {' '.join(args)}: {result}"
    return result.out


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def project_files() -> list[str]:
    """The project's files as a clone would have them, plus new files not yet committed (the
    working tree is what is under test), minus ignored ones."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return sorted({p for p in out.decode().split("\0") if p and (ROOT / p).is_file()})


def make_project_repo(dest: Path) -> Path:
    """A git repository of this project's files, committed, with no tags (like a fresh
    clone of a development branch): what ``pre-commit`` installs the hooks from."""
    for rel in project_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "aiwf")
    return dest


def split_preset(specs: Path) -> None:
    """The ticket-triage preset as a two-file spec directory: the contracts and models in one
    file, the assistants and workflows in the other (neither compiles alone)."""
    data = yaml.safe_load(PRESET.read_text(encoding="utf-8"))
    specs.mkdir(parents=True)
    contracts = {"aiwf": 1, "models": data["models"], "schemas": data["schemas"]}
    rest = {k: v for k, v in data.items() if k not in ("models", "schemas")}
    for name, part in (("contracts", contracts), ("support", rest)):
        text = yaml.safe_dump(part, sort_keys=False, allow_unicode=True, width=100)
        (specs / f"{name}.aiwf.yaml").write_text(text, encoding="utf-8")


AIWF_TOML = """\
spec = "specs/"

[[sdk]]
lang = "python"
out = "sdk/python"
package = "support_ai"
"""


def make_consumer(dest: Path, hooks: str = "") -> Path:
    """A consumer repository: a two-file spec in specs/, an aiwf.toml, its Python SDK
    generated with ``aiwf sdk``, and a pre-commit config ``hooks`` (YAML text), all
    committed."""
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main")
    split_preset(dest / "specs")
    (dest / "aiwf.toml").write_text(AIWF_TOML, encoding="utf-8")
    if hooks:
        (dest / ".pre-commit-config.yaml").write_text(hooks, encoding="utf-8")
    made = run([require("aiwf"), "sdk"], dest)
    assert made.code == 0, str(made)
    commit_all(dest, "support spec and its SDK")
    return dest
