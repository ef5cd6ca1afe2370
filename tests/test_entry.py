"""The console script's fast path (:mod:`aiwf._entry`): ``aiwf validate`` without click, with
exactly the output and exit status of the click command, and everything it does not read
itself handed to click."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from spec_support import BASE, write

from aiwf import _cli, _echo, _entry

UNUSED = BASE.replace(
    "workflows:\n",
    "  spare: {model: fast, instructions: Never used., input: Ticket, output: Triage}\nworkflows:\n",
)
BROKEN = BASE.replace("assistant: summarize", "assistant: nope")
CONFIG = '[environments.prod.models.fast]\nmodel = "gpt-5.4"\n'
BAD_ENV = '[environments.prod.models.fast]\nprovider = "nope"\n'


def run(main: object, argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)  # type: ignore[operator]
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path, BASE, "clean.aiwf.yaml")
    write(tmp_path, UNUSED, "unused.aiwf.yaml")
    write(tmp_path, BROKEN, "broken.aiwf.yaml")
    write(tmp_path, BASE, "specs/one.aiwf.yaml")
    write(tmp_path, CONFIG, "aiwf.toml")
    write(tmp_path, BAD_ENV, "bad-env.toml")
    write(tmp_path, "", "empty.toml")
    (tmp_path / "a-directory.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AIWF_ENV", raising=False)
    return tmp_path


#: Command lines the fast path runs itself.
FAST = [
    ["validate", "clean.aiwf.yaml"],
    ["validate", "unused.aiwf.yaml"],
    ["validate", "broken.aiwf.yaml", "unused.aiwf.yaml", "clean.aiwf.yaml"],
    ["validate", "--format", "json", "broken.aiwf.yaml"],
    ["validate", "--format=json", "clean.aiwf.yaml"],
    ["validate", "--format", "github", "unused.aiwf.yaml", "broken.aiwf.yaml"],
    ["validate", "--strict", "unused.aiwf.yaml"],
    ["validate", "unused.aiwf.yaml", "--strict", "--format", "json"],
    ["validate", "-q", "unused.aiwf.yaml", "broken.aiwf.yaml"],
    ["validate", "--quiet", "unused.aiwf.yaml"],
    ["validate", "-v", "clean.aiwf.yaml"],
    ["validate", "-vv", "--verbose", "unused.aiwf.yaml"],
    ["validate", "-q", "-v", "clean.aiwf.yaml"],
    ["validate", "-v", "-q", "clean.aiwf.yaml"],
    ["validate", "-v", "--format", "json", "clean.aiwf.yaml"],
    ["validate", "--config", "empty.toml", "clean.aiwf.yaml"],
    ["validate", "--config=bad-env.toml", "clean.aiwf.yaml"],
    ["validate", "--config", "bad-env.toml", "--env", "prod", "clean.aiwf.yaml"],
    ["validate", "--env", "prod", "--config", "bad-env.toml", "--env=dev", "clean.aiwf.yaml"],
    ["validate", "--config", "empty.toml", "--config", "bad-env.toml", "-v", "clean.aiwf.yaml"],
    ["validate", "--env", "nowhere", "clean.aiwf.yaml"],
    ["validate", "specs", "specs/one.aiwf.yaml"],
    ["validate", "missing.aiwf.yaml"],
    ["validate", "--config", "missing.toml", "clean.aiwf.yaml"],
    ["validate", "--config", "empty.toml"],
    ["validate"],
    ["-q", "validate", "unused.aiwf.yaml"],
    ["-v", "validate", "-q", "-v", "clean.aiwf.yaml"],
    ["-q", "validate", "-v", "clean.aiwf.yaml"],
    ["--config", "bad-env.toml", "--env=prod", "validate", "clean.aiwf.yaml"],
    ["--config", "bad-env.toml", "validate", "--config", "empty.toml", "clean.aiwf.yaml"],
]

#: Command lines left to click (its messages, its help).
CLICK = [
    ["validate", "--help"],
    ["validate", "-h"],
    ["validate", "--format", "yaml", "clean.aiwf.yaml"],
    ["validate", "--format"],
    ["validate", "--config", "a-directory.toml", "clean.aiwf.yaml"],
    ["validate", "--nope", "clean.aiwf.yaml"],
    ["validate", "-vq", "clean.aiwf.yaml"],
    ["validate", "--", "clean.aiwf.yaml"],
    ["validate", "-", "clean.aiwf.yaml"],
    ["validate", "", "clean.aiwf.yaml"],
    ["validate", "--strict=1", "clean.aiwf.yaml"],
    ["validate", "--env", "-v", "clean.aiwf.yaml"],
    ["--version"],
    ["-q", "--version", "validate"],
    ["-h", "validate"],
    ["-q"],
    ["schema"],
]


@pytest.mark.parametrize("argv", FAST, ids=" ".join)
def test_the_fast_path_prints_what_click_prints(project: Path, argv: list[str]) -> None:
    assert _entry.parse_validate(argv) is not None
    assert run(_entry.main, argv) == run(_cli.main, argv)


@pytest.mark.parametrize("argv", CLICK, ids=" ".join)
def test_other_command_lines_go_to_click(project: Path, argv: list[str]) -> None:
    assert _entry.parse_validate(argv) is None
    assert run(_entry.main, argv) == run(_cli.main, argv)


def test_aiwf_env_selects_the_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["validate", "--config", "bad-env.toml", "clean.aiwf.yaml"]
    monkeypatch.setenv("AIWF_ENV", "prod")
    fast = run(_entry.main, argv)
    assert fast == run(_cli.main, argv)
    assert fast[0] == 1, fast


def test_internal_errors_are_one_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aiwf._commands._spec as spec

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(spec, "compile_spec", boom)
    argv = ["validate", "clean.aiwf.yaml"]
    fast = run(_entry.main, argv)
    assert fast == run(_cli.main, argv)
    assert fast[0] == 3
    assert fast[2].startswith("error[internal]: RuntimeError: kaput")


def test_styled_text_goes_through_click(monkeypatch: pytest.MonkeyPatch) -> None:
    """click.echo strips escape sequences off a stream that is not a terminal; so does the
    fast path's echo (by handing such text to click)."""
    out = io.StringIO()
    with redirect_stdout(out):
        _echo.echo("\x1b[1mbold\x1b[0m and plain")
    assert out.getvalue() == "bold and plain\n"


@pytest.mark.parametrize("how", ["-m", "script"])
def test_the_installed_command_validates_without_click(project: Path, how: str) -> None:
    """``python -m aiwf validate`` and the ``aiwf`` script import neither click nor any heavy
    dependency, also when they print warnings."""
    entry = "import runpy; runpy.run_module('aiwf', run_name='__main__')"
    if how == "script":
        entry = "from aiwf._entry import main; main()"
    code = (
        "import atexit, sys\n"
        "def report():\n"
        "    heavy = ('click', 'pydantic', 'jinja2', 'httpx', 'aiohttp', 'httptools', 'copier',"
        " 'jsonschema')\n"
        "    print('loaded:', sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
        "atexit.register(report)\n"
        "sys.argv = ['aiwf', 'validate', 'unused.aiwf.yaml', 'clean.aiwf.yaml']\n"
        f"{entry}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning[W002]" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "loaded: []", proc.stderr


def test_a_blank_config_file_is_an_empty_config_read_without_the_toml_parser(
    project: Path,
) -> None:
    (project / "blank.toml").write_text(" \r\n\t\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from aiwf._entry import main\n"
        "try:\n    main(['validate', '--config', 'blank.toml', 'clean.aiwf.yaml'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "assert 'tomllib' not in sys.modules and 'tomli' not in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (project / "form-feed.toml").write_text("\f", encoding="utf-8")  # not TOML whitespace
    status, _out, err = run(_entry.main, ["validate", "--config", "form-feed.toml"])
    assert status == 1
    assert "error[C002]: invalid TOML" in err


# -- aiwf sdk ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sdk_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a Python SDK made by the click command (its scaffold through copier)."""
    import shutil

    root = tmp_path_factory.mktemp("sdk-project")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    write(root, BASE, "spec.aiwf.yaml")
    write(root, BROKEN, "broken.aiwf.yaml")
    write(root, "", "a-file.txt")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        status, out, err = run(
            _cli.main, ["sdk", "spec.aiwf.yaml", "--out", "sdk", "--package", "p"]
        )
    finally:
        os.chdir(cwd)
    assert status == 0, out + err
    shutil.rmtree(root / ".git")
    return root


#: aiwf sdk command lines the fast path runs itself (after an edit of the spec).
SDK_FAST = [
    ["sdk", "spec.aiwf.yaml", "--out", "sdk", "--package", "p"],
    ["sdk", "--out=sdk", "spec.aiwf.yaml", "--package=p", "-q"],
    ["sdk", "spec.aiwf.yaml", "--out", "sdk", "--package", "p", "--exit-code"],
    ["sdk", "spec.aiwf.yaml", "--out", "sdk", "--module", "p", "-v"],
    ["sdk", "spec.aiwf.yaml", "--out", "sdk", "--module", "a", "--package", "b"],
    ["sdk", "spec.aiwf.yaml", "--out", "sdk", "--lang", "cobol"],
    ["sdk", "broken.aiwf.yaml", "--out", "sdk", "--package", "p"],
    ["sdk", "--lang", "python"],
    ["sdk"],
    ["-q", "sdk", "spec.aiwf.yaml", "--out", "sdk", "--package", "p"],
    ["-v", "sdk", "spec.aiwf.yaml", "--out", "sdk", "--package", "p", "-q", "-v"],
]

#: aiwf sdk command lines left to click.
SDK_CLICK = [
    ["sdk", "--help"],
    ["sdk", "spec.aiwf.yaml", "broken.aiwf.yaml"],
    ["sdk", "spec.aiwf.yaml", "--out", "a-file.txt"],
    ["sdk", "spec.aiwf.yaml", "--out"],
    ["sdk", "spec.aiwf.yaml", "--nope"],
]


def run_in_copy(
    project: Path, to: Path, main: object, argv: list[str]
) -> tuple[tuple[int, str, str], dict[str, bytes]]:
    import shutil

    shutil.copytree(project, to)
    spec = to / "spec.aiwf.yaml"
    spec.write_text(spec.read_text().replace("Classify the ticket.", "Sort it."))
    cwd = Path.cwd()
    os.chdir(to)
    try:
        result = run(main, argv)
    finally:
        os.chdir(cwd)
    tree = {p.relative_to(to).as_posix(): p.read_bytes() for p in to.rglob("*") if p.is_file()}
    return result, tree


@pytest.mark.parametrize("argv", SDK_FAST + SDK_CLICK, ids=" ".join)
def test_aiwf_sdk_prints_and_writes_what_click_does(
    sdk_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.delenv("AIWF_ENV", raising=False)
    with monkeypatch.context() as local:
        local.chdir(sdk_project)
        assert (_entry.parse(argv) is not None) == (argv in SDK_FAST)
    fast = run_in_copy(sdk_project, tmp_path / "fast", _entry.main, argv)
    slow = run_in_copy(sdk_project, tmp_path / "click", _cli.main, argv)
    assert fast == slow


def test_aiwf_sdk_runs_without_click(sdk_project: Path, tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "project"
    shutil.copytree(sdk_project, project)
    code = (
        "import sys\n"
        "from aiwf._entry import main\n"
        "try:\n    main(['sdk', 'spec.aiwf.yaml', '--out', 'sdk', '--package', 'p'])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "assert 'click' not in sys.modules, 'click imported by aiwf sdk'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "sdk: python SDK p is up to date" in proc.stdout


@pytest.mark.parametrize("name", sorted(_entry._COMMANDS))
def test_the_fast_path_knows_every_option_of_the_click_command(name: str) -> None:
    """An option added to the click command but not to the fast path's table would still
    work (the fast path hands unknown options to click), but plain command lines would
    stop taking the fast path without anyone noticing; and an option the table knows that
    click dropped would be accepted only by the fast path."""
    import click

    command = _cli.cli.get_command(click.Context(_cli.cli), name)
    assert command is not None
    spellings = {
        spelling
        for param in command.params
        if isinstance(param, click.Option)
        for spelling in (*param.opts, *param.secondary_opts)
    } - {"-h", "--help"}
    syntax = _entry._COMMANDS[name]
    known = set(syntax.flags) | set(syntax.valued)
    verbose = {"-v", "--verbose"}  # -v, -vv ... are read as a count, not from the table
    assert spellings - verbose == known - verbose
