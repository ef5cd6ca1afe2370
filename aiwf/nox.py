"""nox sessions for a repository that uses aiwf: import this module in the ``noxfile.py``.

.. code-block:: python

    # noxfile.py
    import nox

    import aiwf.nox  # noqa: F401  (registers the aiwf-* sessions)

registers, for the project config found from the noxfile's directory (``aiwf.toml``, or
``[tool.aiwf]`` in ``pyproject.toml``):

================================  =======================================================
``aiwf-validate``                 ``aiwf validate`` (the configured specs)
``aiwf-check``                    ``aiwf check`` (every ``[[sdk]]`` in step; writes nothing)
``aiwf-generate``                 ``aiwf sdk`` (rewrites the SDKs; not run by plain ``nox``)
``aiwf-breaking``                 ``aiwf breaking`` (spec changes that break the SDKs'
                                  consumers, against ``[breaking] against`` or the merge
                                  base with main; run by name: it needs the git history)
``aiwf-test-<lang>``              builds and tests each ``[[sdk]]`` of that language with its
                                  own toolchain (python: pytest, and mypy when installed;
                                  go: ``go vet``, ``go test``; typescript: ``npm install``,
                                  ``npm run build``, ``npm test``)
================================  =======================================================

All but ``aiwf-generate`` and ``aiwf-breaking`` are tagged ``aiwf`` (``nox -t aiwf`` runs the gates: validate,
check and the SDK tests); the test sessions also ``aiwf-test``. The sessions
create no virtualenv (``venv_backend="none"``): they run ``python -m aiwf`` with the
interpreter nox itself runs on, so aiwf and nox must be installed in one environment, and
nothing is installed from a package index. ``nox -s aiwf-validate -- --strict`` passes
arguments through. Under GitHub Actions, validation prints workflow annotations.

:func:`register` adds the same sessions for another project config (a monorepo with several
``aiwf.toml``) under another name prefix.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import nox

from aiwf._config import ProjectConfig, SdkConfig, load_config
from aiwf._errors import AiwfError

__all__ = ["REGISTERED", "TOOLCHAINS", "register", "sessions"]


def _aiwf(session: nox.Session, config: Path | None, *args: str) -> None:
    """``python -m aiwf ARGS`` with nox's own interpreter (the aiwf installed beside nox)."""
    prefix = ["--config", str(config)] if config is not None else []
    session.run(sys.executable, "-m", "aiwf", *prefix, *args, *session.posargs, external=True)


def _test_python(session: nox.Session, out: Path) -> None:
    if importlib.util.find_spec("pytest") is None:
        session.error("aiwf-test-python needs pytest installed beside nox (pip install pytest)")
    src = str(out / "src")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    with session.chdir(out):
        # The SDK's own pyproject.toml configures pytest and mypy; it is imported from src/
        # (no install), on top of the aiwf of this environment.
        session.run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", env=env)
        if importlib.util.find_spec("mypy") is not None:
            mypy = [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull]
            session.run(*mypy, env=env)


def _test_go(session: nox.Session, out: Path) -> None:
    with session.chdir(out):
        session.run("go", "vet", "./...", external=True)
        session.run("go", "test", "./...", external=True)


def _test_typescript(session: nox.Session, out: Path) -> None:
    with session.chdir(out):
        lock = (out / "package-lock.json").is_file()
        session.run("npm", "ci" if lock else "install", "--no-audit", "--no-fund", external=True)
        session.run("npm", "run", "build", "--if-present", external=True)
        session.run("npm", "test", external=True)


#: SDK language -> how one SDK of it is built and tested (its directory is the argument).
TOOLCHAINS: dict[str, Callable[[nox.Session, Path], None]] = {
    "python": _test_python,
    "go": _test_go,
    "typescript": _test_typescript,
}


def _load(config: Path | None) -> ProjectConfig | None:
    try:
        return load_config(config)
    except AiwfError:
        # A broken config must not break the whole noxfile: the sessions still register,
        # and running one prints aiwf's own message about the config.
        return None


def sessions(config: ProjectConfig | None, prefix: str = "aiwf") -> list[str]:
    """The names :func:`register` gives its sessions for ``config``."""
    names = [f"{prefix}-validate", f"{prefix}-check", f"{prefix}-generate", f"{prefix}-breaking"]
    langs = sorted({sdk.lang for sdk in config.sdk} if config else set())
    return names + [f"{prefix}-test-{lang}" for lang in langs if lang in TOOLCHAINS]


def register(
    config: str | os.PathLike[str] | None = None,
    *,
    prefix: str = "aiwf",
    tags: Sequence[str] = ("aiwf",),
) -> list[str]:
    """Register the aiwf sessions for the project config ``config`` (default: the one found
    from the working directory, which nox sets to the noxfile's) and return their names."""
    path = Path(config) if config is not None else None
    loaded = _load(path)
    tag_list = list(tags)

    def add(
        name: str,
        doc: str,
        body: Callable[[nox.Session], None],
        *,
        extra_tags: Sequence[str] = (),
        gate: bool = True,
    ) -> None:
        body.__doc__ = doc  # what `nox -l` shows
        body.__name__ = name.replace("-", "_")
        # Only the gates run in plain `nox` and `nox -t aiwf`; generating is asked for by name.
        session_tags = [*tag_list, *extra_tags] if gate else []
        nox.session(name=name, venv_backend="none", tags=session_tags, default=gate)(body)

    def validate(session: nox.Session) -> None:
        fmt = ["--format", "github"] if os.environ.get("GITHUB_ACTIONS") == "true" else []
        _aiwf(session, path, "validate", *fmt)

    def check(session: nox.Session) -> None:
        _aiwf(session, path, "check")

    def generate(session: nox.Session) -> None:
        _aiwf(session, path, "sdk")

    def breaking(session: nox.Session) -> None:
        fmt = ["--format", "github"] if os.environ.get("GITHUB_ACTIONS") == "true" else []
        _aiwf(session, path, "breaking", *fmt)

    add(f"{prefix}-validate", "Validate the configured aiwf specs.", validate)
    add(f"{prefix}-check", "Fail when a generated SDK is out of step (aiwf check).", check)
    add(f"{prefix}-generate", "Regenerate the configured SDKs (aiwf sdk).", generate, gate=False)
    # Not a default gate: it needs the git history (a shallow CI checkout has none).
    add(
        f"{prefix}-breaking",
        "Fail on spec changes that break the SDKs' consumers (aiwf breaking).",
        breaking,
        gate=False,
    )

    for name in sessions(loaded, prefix)[4:]:
        lang = name.rsplit("-", 1)[1]
        assert loaded is not None  # test sessions come only from a loaded config
        entries = [sdk for sdk in loaded.sdk if sdk.lang == lang]
        add(
            name,
            f"Build and test the generated {lang} SDK(s) with the {lang} toolchain.",
            _tester(loaded.root, entries, TOOLCHAINS[lang], f"{prefix}-generate"),
            extra_tags=["aiwf-test"],
        )
    return sessions(loaded, prefix)


def _tester(
    root: Path,
    entries: list[SdkConfig],
    run: Callable[[nox.Session, Path], None],
    generate: str,
) -> Callable[[nox.Session], None]:
    def body(session: nox.Session) -> None:
        for entry in entries:
            out = (root / entry.out).resolve()
            if not out.is_dir():
                session.error(f"{entry.out}: no SDK there yet; run nox -s {generate}")
            run(session, out)

    return body


#: The sessions ``import aiwf.nox`` registered.
REGISTERED = register()
