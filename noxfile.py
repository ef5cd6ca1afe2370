"""Developer and CI sessions. ``nox`` with no arguments runs what CI runs (``.ci/run`` calls
``nox --no-venv`` inside the project's one virtualenv; plain ``nox`` makes a virtualenv per
session)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "presets", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PRESETS = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "presets" / "workflows").glob("*.aiwf.yaml")
)


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


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite."""
    install(session, "-e", ".[test]")
    session.run("pytest", *session.posargs)
