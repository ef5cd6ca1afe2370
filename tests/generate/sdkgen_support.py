"""Helpers for the SDK generation tests: template repositories, SDKs and their venvs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from aiwf._cli import cli
from aiwf._errors import AiwfError
from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import TemplateTree
from aiwf._generate.writer import expected_files
from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program
from aiwf._spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "presets" / "workflows").glob("*.aiwf.yaml"))
SPECS = Path(__file__).resolve().parent / "specs"
GOLDEN = Path(__file__).resolve().parent / "golden"
#: Small specs of edge cases new users hit (optional raw and nullable properties, None in
#: literal unions, contracts without assistants or workflows): every target builds them like
#: the presets, with the language's own tools.
EDGE_SPECS = [SPECS / "edges.aiwf.yaml", SPECS / "contracts-only.aiwf.yaml"]
#: Every spec the per-language tests build, lint and test.
BUILT_SPECS = [*PRESETS, *EDGE_SPECS]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "aiwf tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "aiwf tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def require(tool: str) -> str:
    """The path of ``tool``; fails (never skips) when it is missing."""
    found = shutil.which(tool)
    assert found, f"{tool} is required by these tests and was not found on PATH"
    return found


def git(cwd: Path, *args: str) -> str:
    require("git")
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    if tag:
        git(repo, "tag", tag)


def compile_path(path: Path) -> Program:
    loaded = load_spec(path)
    assert not loaded.diagnostics, [str(d) for d in loaded.diagnostics]
    result = compile_files(loaded.files)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


@dataclass
class CliResult:
    exit_code: int
    output: str


def run_cli(args: list[str], cwd: Path) -> CliResult:
    """``aiwf ARGS`` in-process, in ``cwd``; an :class:`AiwfError` becomes its exit code and
    rendered line, as at the CLI boundary."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result: Result = runner.invoke(cli, args, standalone_mode=False)
    finally:
        os.chdir(old)
    if isinstance(result.exception, AiwfError):
        return CliResult(result.exception.exit_code, result.output + result.exception.render())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.output)


def golden_files(spec: Path, package: str, tree: TemplateTree, scratch: Path) -> dict[str, str]:
    """The generated layer of ``spec`` laid out as the goldens are (spec at
    ``specs/NAME``, SDK at ``sdk/python``, so the manifest's spec path is stable)."""
    (scratch / "specs").mkdir(parents=True, exist_ok=True)
    local = scratch / "specs" / spec.name
    shutil.copy2(spec, local)
    job = SdkJob("python", scratch / "sdk" / "python", package, local)
    return expected_files(job, compile_path(local), tree)


def read_tree(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return out


@dataclass
class SdkEnv:
    """A fresh venv that sees the project's packages (aiwf, pydantic, mypy, pytest) through
    a .pth, with one SDK installed editable into it."""

    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args], cwd=cwd, capture_output=True, text=True, check=False
        )


def make_sdk_env(venv: Path, sdk: Path) -> SdkEnv:
    import site

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_dirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
    lib = next((venv / "lib").glob("python3*")) / "site-packages"
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in site_dirs)
    (lib / "_aiwf_project.pth").write_text(lines, encoding="utf-8")
    env = SdkEnv(venv)
    try:
        import hatchling  # noqa: F401
    except ImportError as exc:  # fail loudly: the SDK's build backend must be importable
        raise AssertionError("hatchling is needed to install the SDK offline") from exc
    proc = env.run(
        "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-e",
        str(sdk), cwd=sdk,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return env


def readme_example(sdk: Path, fence: str) -> str:
    """The first ``fence`` code block of the SDK's README (what a new user copies first)."""
    text = (sdk / "README.md").read_text(encoding="utf-8")
    start = text.index(f"```{fence}\n") + len(fence) + 4
    return text[start : text.index("```", start)]
