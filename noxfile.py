"""Developer and CI sessions. ``nox`` with no arguments runs what CI runs (``.ci/run`` calls
``nox --no-venv`` inside the project's one virtualenv; plain ``nox`` makes a virtualenv per
session).

``nox -s examples`` regenerates ``examples/`` (one SDK per preset and registered target);
``examples-check`` (run by CI) fails when they are out of step. ``sdk-LANG`` builds and tests
the generated SDKs of one language (the tests of ``tests/generate`` for it).
"""

from __future__ import annotations

import json
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "presets", "examples-check", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PRESETS = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "presets" / "workflows").glob("*.aiwf.yaml")
)
EXAMPLES = ROOT / "examples"
EXAMPLES_CONFIG = EXAMPLES / "aiwf.toml"

#: Prints [[preset, lang, package], ...]: every preset for every target registered in
#: aiwf.generate.targets.TARGETS, with a package name the target accepts. Run in the session's
#: interpreter, so that the noxfile itself never imports aiwf.
_EXAMPLE_JOBS = """
import json, sys
from aiwf.generate.targets import TARGETS, get_target
jobs = []
for preset in sys.argv[1:]:
    stem = preset.rsplit("/", 1)[-1].split(".")[0]
    for lang in sorted(TARGETS):
        target = get_target(lang)
        names = [stem.replace("-", "_"), stem.replace("-", ""), stem]
        package = next((n for n in names if not target.check_package(n)), None)
        jobs.append([stem, lang, package])
print(json.dumps(jobs))
"""


def install(session: nox.Session, *args: str) -> None:
    """Install into the session's virtualenv; with ``--no-venv`` the environment is ready."""
    if session.venv_backend != "none":
        session.install(*args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    install(session, "ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    install(session, "-e", ".[dev]")
    session.run("mypy")


@nox.session
def presets(session: nox.Session) -> None:
    """Every preset validates (warnings are errors) and compiles."""
    install(session, "-e", ".")
    for preset in PRESETS:
        session.run("aiwf", "validate", "--strict", preset)
        session.run(
            "aiwf",
            "compile",
            preset,
            "-o",
            str(Path(session.create_tmp()) / "ir.json"),
            silent=True,
        )


def examples_config(session: nox.Session) -> str:
    """The text of examples/aiwf.toml for the presets and the targets registered now."""
    session.log("listing the registered SDK targets")
    out = session.run("python", "-c", _EXAMPLE_JOBS, *PRESETS, silent=True, log=False)
    assert isinstance(out, str)
    jobs = json.loads(out.strip().splitlines()[-1])
    lines = [
        "# Written by `nox -s examples` (one SDK per preset and registered target); checked by",
        "# `nox -s examples-check` (aiwf check). Regenerate, do not edit.",
        "spec = [",
        *(f'  "../{preset}",' for preset in PRESETS),
        "]",
    ]
    for stem, lang, package in jobs:
        preset = next(p for p in PRESETS if Path(p).name.split(".")[0] == stem)
        lines += ["", "[[sdk]]", f'lang = "{lang}"', f'out = "{stem}/{lang}"']
        if package:
            lines.append(f'package = "{package}"')
        lines.append(f'spec = "../{preset}"')
    return "\n".join(lines) + "\n"


@nox.session
def examples(session: nox.Session) -> None:
    """Regenerate examples/: an SDK per preset and per registered target (aiwf sdk)."""
    install(session, "-e", ".")
    EXAMPLES_CONFIG.parent.mkdir(exist_ok=True)
    EXAMPLES_CONFIG.write_text(examples_config(session), encoding="utf-8")
    with session.chdir(EXAMPLES):
        # A new scaffold's copier source is this checkout, recorded as the relative `..`
        # (never a machine's absolute path); existing scaffolds are left as they are.
        session.run("aiwf", "sdk", "--template", "..")


@nox.session(name="examples-check")
def examples_check(session: nox.Session) -> None:
    """examples/ is in step: one SDK per preset and registered target, each current."""
    install(session, "-e", ".")
    try:
        current = EXAMPLES_CONFIG.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = ""
    if current != examples_config(session):
        session.error(
            "examples/aiwf.toml does not list every preset for every registered target: "
            "run nox -s examples"
        )
    with session.chdir(EXAMPLES):
        session.run("aiwf", "check")


def _sdk_session(lang: str) -> None:
    def body(session: nox.Session) -> None:
        install(session, "-e", ".[dev]")
        paths = sorted(
            str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "generate").glob(f"test_{lang}*.py")
        )
        if not paths:
            session.skip(f"no tests/generate/test_{lang}*.py yet")
        session.run("pytest", *paths, *session.posargs)

    body.__doc__ = (
        f"Build and test the generated {lang} SDKs with the {lang} toolchain "
        "(tests/generate; CI runs them within `tests`)."
    )
    nox.session(name=f"sdk-{lang}", default=False)(body)


for _lang in ("python", "go", "typescript"):
    _sdk_session(_lang)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite."""
    install(session, "-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def contracts(session: nox.Session) -> None:
    """Contract fidelity: the JSON-Schema-Test-Suite through the IR validator and the
    generated Python, Go and TypeScript SDKs; prints the per-keyword report (the same
    checks run as tests/jsonschema_suite in the default test run)."""
    install(session, "-e", ".[dev]")
    session.run("python", "-m", "tests.jsonschema_suite.report", *session.posargs)
