"""Developer and CI sessions. ``nox`` with no arguments runs what CI runs (``.ci/run`` calls
``nox --no-venv`` inside the project's one virtualenv; plain ``nox`` makes a virtualenv per
session).

``nox -s examples`` regenerates ``examples/`` (one SDK per preset and registered target);
``examples-check`` (run by CI) fails when they are out of step. ``sdk-LANG`` builds and tests
the generated SDKs of one language (the tests of ``tests/generate`` for it).
"""

from __future__ import annotations

import json
import re
import shutil
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
#: aiwf._generate.targets.TARGETS, with a package name the target accepts. Run in the session's
#: interpreter, so that the noxfile itself never imports aiwf.
_EXAMPLE_JOBS = """
import json, sys
from aiwf._generate.targets import TARGETS, get_target
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
        # New scaffolds record the project's public URL and this version; existing ones are
        # left as they are (aiwf upgrade moves them).
        session.run("aiwf", "sdk")


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


@nox.session(default=False)
def conformance(session: nox.Session) -> None:
    """The conformance vectors on every runner (the engine, aiwf run, the Python, Go and
    TypeScript SDKs): the vectors x runners table (tests/conformance runs the same checks)."""
    install(session, "-e", ".[dev]")
    session.run("python", "-m", "tests.conformance.report", *session.posargs)


@nox.session
def contracts(session: nox.Session) -> None:
    """Contract fidelity: the JSON-Schema-Test-Suite through the IR validator and the
    generated Python, Go and TypeScript SDKs; prints the per-keyword report (the same
    checks run as tests/jsonschema_suite in the default test run)."""
    install(session, "-e", ".[dev]")
    session.run("python", "-m", "tests.jsonschema_suite.report", *session.posargs)


# -- releases (docs/releasing.md) ------------------------------------------------------------

VERSION_FILE = ROOT / "aiwf" / "_version.py"
CHANGELOG = ROOT / "CHANGELOG.md"
FRAGMENTS = ROOT / "changelog.d"
_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")
_VERSION_LINE = re.compile(r'^__version__ = "[^"]*"$', re.MULTILINE)
#: What every wheel must hold for SDK upgrades to work on any machine.
WHEEL_HISTORY = "aiwf/_templates/copier-templates/history/"


def _git(session: nox.Session, *args: str) -> str:
    out = session.run("git", *args, external=True, silent=True, log=False)
    assert isinstance(out, str)
    return out.strip()


def _fragments() -> list[Path]:
    return sorted(
        p for p in FRAGMENTS.iterdir() if p.is_file() and p.name not in ("README.md", ".gitignore")
    )


def release_notes(version: str, text: str) -> str:
    """The CHANGELOG section of ``version`` (without its heading)."""
    match = re.search(rf"^## {re.escape(version)} \(.*?\)\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() + "\n" if match else ""


@nox.session(default=False)
def release(session: nox.Session) -> None:
    """Cut a release: nox -s release -- X.Y.Z (checks, version, changelog, template history,
    sdist and wheel, their checks, commit and tag; docs/releasing.md)."""
    install(session, "-e", ".[dev]")
    if len(session.posargs) != 1 or not _RELEASE.match(session.posargs[0]):
        session.error("usage: nox -s release -- X.Y.Z")
    version = session.posargs[0]
    tag = f"v{version}"

    session.log("checking the tree")
    if _git(session, "status", "--porcelain"):
        session.error("the work tree has uncommitted changes: commit or stash them first")
    branch = _git(session, "rev-parse", "--abbrev-ref", "HEAD")
    if branch != "main":
        session.error(f"releases are cut from main, not {branch!r}")
    if _git(session, "tag", "--list", tag):
        session.error(f"tag {tag} exists already")
    released = session.run("python", "-m", "aiwf._generate.history", "list", silent=True, log=False)
    assert isinstance(released, str)
    versions = [line.split()[0][1:] for line in released.splitlines() if line.startswith("v")]
    if versions and _key(version) <= _key(versions[-1]):
        session.error(f"{version} is not newer than the last release {versions[-1]}")
    if not _fragments():
        session.error("changelog.d/ has no fragments: a release needs release notes")

    session.log(f"writing version {version} (aiwf/_version.py, the one place it lives)")
    text = VERSION_FILE.read_text(encoding="utf-8")
    VERSION_FILE.write_text(_VERSION_LINE.sub(f'__version__ = "{version}"', text), "utf-8")
    session.run("towncrier", "build", "--version", version, "--yes")
    notes = release_notes(version, CHANGELOG.read_text(encoding="utf-8"))
    if not notes:
        session.error(f"CHANGELOG.md has no section for {version} after towncrier")
    session.run("python", "-m", "aiwf._generate.history", "record", version)

    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--no-isolation", "--outdir", str(dist), ".")
    wheel = dist / f"aiwf-{version}-py3-none-any.whl"
    sdist = dist / f"aiwf-{version}.tar.gz"
    for artefact in (wheel, sdist):
        if not artefact.is_file():
            session.error(f"the build did not make {artefact.name}")
    session.run("twine", "check", "--strict", str(wheel), str(sdist))
    _check_artefacts(session, wheel, sdist, [*versions, version])
    _smoke(session, wheel, version)

    session.log("committing and tagging")
    session.run("git", "add", "-A", external=True)
    session.run("git", "commit", "-q", "-m", f"Release {version}", external=True)
    message = f"aiwf {version}\n\n{notes}"
    session.run("git", "tag", "-a", "--cleanup=verbatim", tag, "-m", message, external=True)
    session.log(
        f"released {tag}: push it with `git push origin main {tag}`; the release workflow "
        "builds, tests and publishes it"
    )


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("+")[0].split(".")[:3])


def _check_artefacts(session: nox.Session, wheel: Path, sdist: Path, versions: list[str]) -> None:
    """The wheel carries the templates and the history of every release; the sdist can
    build it again."""
    import tarfile
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for needed in (WHEEL_HISTORY + "templates.bundle", WHEEL_HISTORY + "index.json",
                       "aiwf/_templates/copier.yml"):  # fmt: skip
            if needed not in names:
                session.error(f"{wheel.name} lacks {needed}")
        index = json.loads(zf.read(WHEEL_HISTORY + "index.json"))
    carried = [r["version"] for r in index["releases"]]
    if carried != versions:
        session.error(f"{wheel.name} carries the templates of {carried}, not of {versions}")
    with tarfile.open(sdist) as tf:
        members = {m.split("/", 1)[1] for m in tf.getnames() if "/" in m}
    for needed in ("hatch_build.py", "copier-templates/history/templates.bundle"):
        if needed not in members:
            session.error(f"{sdist.name} lacks {needed}")
    session.log(f"{wheel.name}: templates of {', '.join(carried)}")


def _smoke(session: nox.Session, wheel: Path, version: str) -> None:
    """The wheel installs into a fresh virtualenv (with its dependencies) and runs the
    README's first commands, in an empty HOME, outside this checkout."""
    tmp = Path(session.create_tmp()).resolve() / "smoke"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "home").mkdir(parents=True)
    (tmp / "work").mkdir()
    session.run("python", "-m", "venv", str(tmp / "venv"))
    session.run(str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel),
                external=True)  # fmt: skip
    aiwf = str(tmp / "venv" / "bin" / "aiwf")
    env = {"HOME": str(tmp / "home"), "XDG_CACHE_HOME": str(tmp / "home" / ".cache")}
    preset = str(ROOT / "presets" / "workflows" / "ticket-triage.aiwf.yaml")
    with session.chdir(tmp / "work"):
        shown = session.run(aiwf, "--version", external=True, env=env, silent=True)
        assert isinstance(shown, str)
        if shown.splitlines()[0] != f"aiwf {version}":
            session.error(f"the installed wheel says {shown.splitlines()[0]!r}")
        session.run(aiwf, "validate", preset, external=True, env=env)
        session.run(aiwf, "dry-run", preset, "--seed", "1", external=True, env=env, silent=True)
        session.run(aiwf, "sdk", preset, "--lang", "python", "--out", "support-sdk",
                    "--package", "support_ai", external=True, env=env)  # fmt: skip
    answers = (tmp / "work" / "support-sdk" / ".copier-answers.yml").read_text(encoding="utf-8")
    if f"_commit: v{version}" not in answers:
        session.error(f"the SDK made by the wheel is not at template version v{version}")


@nox.session(name="release-notes", default=False)
def release_notes_session(session: nox.Session) -> None:
    """Print the CHANGELOG section of a version: nox -s release-notes -- X.Y.Z (the GitHub
    release's text)."""
    if len(session.posargs) != 1:
        session.error("usage: nox -s release-notes -- X.Y.Z")
    notes = release_notes(session.posargs[0], CHANGELOG.read_text(encoding="utf-8"))
    if not notes:
        session.error(f"CHANGELOG.md has no section for {session.posargs[0]}")
    print(notes, end="")
