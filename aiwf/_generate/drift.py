"""``aiwf check``: is an SDK in step with its spec and with the installed templates?

The generated layer is rendered afresh in memory (plain Jinja2, never copier) and compared
byte for byte with the files on disk; the manifest tells a stale file (aiwf wrote it, but the
spec or templates changed since) from one edited by hand, and names files aiwf wrote before
but would not write now. The scaffold is checked for its template version and for conflict
leftovers of an update.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiwf._generate.jobs import SdkJob
from aiwf._generate.leftovers import find_leftovers
from aiwf._generate.manifest import MANIFEST_PATH, Manifest, sha256
from aiwf._generate.templates import TemplateTree, is_version, version_less
from aiwf._ir._dc import dataclass

if TYPE_CHECKING:
    from aiwf._generate.targets.base import Environments
    from aiwf._ir.model import Program

#: Drift kinds, with what to do about each.
FIXES = {
    "stale": "run aiwf sdk",
    "missing": "run aiwf sdk",
    "extra": "run aiwf sdk (it removes files it no longer generates) or delete it",
    "edited": "generated files are not to be edited: move the change to the spec, "
    "{extensions} or the templates, then run aiwf sdk",
    "behind": "run aiwf upgrade",
    "conflict": "resolve the conflict, delete .rej files, then commit",
    "source": "set `_src_path:` to the template repository's URL (docs/upgrading.md)",
    "version": "set `_commit:` to the release the scaffold came from (docs/upgrading.md)",
}


@dataclass(frozen=True)
class Drift:
    """One way an SDK is out of step."""

    kind: str
    path: str
    message: str
    diff: str = ""


def _diff(rel: str, old: str, new: str) -> str:
    import difflib  # only for a stale file

    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{rel}",
        tofile=f"b/{rel}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def check_scaffold(job: SdkJob, tree: TemplateTree) -> list[Drift]:
    """Template source and version of the scaffold, and merge leftovers."""
    from aiwf._generate.scaffold import ANSWERS_FILE, is_url, read_answers

    problems: list[Drift] = []
    answers = read_answers(job.out)
    if answers is not None:
        source = str(answers.get("_src_path") or "")
        if not is_url(source):
            problems.append(
                Drift(
                    "source",
                    ANSWERS_FILE,
                    f"records the template source {source or '(none)'!r}, a path on one "
                    "machine: copier update fails everywhere else",
                )
            )
        commit = str(answers.get("_commit") or "")
        if not is_version(commit):
            problems.append(
                Drift(
                    "version", ANSWERS_FILE, f"records template version {commit!r}, not a release"
                )
            )
        elif is_version(tree.version) and version_less(commit, tree.version):
            problems.append(
                Drift(
                    "behind",
                    ANSWERS_FILE,
                    f"the scaffold is at template version {commit}, aiwf's templates are at "
                    f"{tree.tag}",
                )
            )
    for rel in find_leftovers(job.out):
        what = "a rejected hunk" if rel.endswith(".rej") else "conflict markers"
        problems.append(Drift("conflict", rel, f"{what} left from an update"))
    return problems


def check_generated(
    job: SdkJob, program: Program, tree: TemplateTree, environments: Environments | None = None
) -> list[Drift]:
    """Differences between the generated files on disk and a fresh render."""
    from aiwf._generate.render import render
    from aiwf._generate.targets import get_target
    from aiwf._generate.writer import build_manifest

    target = get_target(job.lang)
    rendered = render(tree, target, program, job.package, environments)
    manifest = Manifest.read(job.out)
    on_disk = {rel: _read(job.out / rel) for rel in rendered.paths}
    if (
        manifest is not None
        and manifest.render_digest == rendered.digest
        and set(manifest.files) == rendered.paths
        and all(
            data is not None and sha256(data) == manifest.files[rel]
            for rel, data in on_disk.items()
        )
    ):
        # The same render produced exactly these bytes: formatting it again is not needed.
        files = {rel: data.decode("utf-8") for rel, data in on_disk.items() if data is not None}
    else:
        files = rendered.formatted(target)
    expected = dict(files)
    expected[MANIFEST_PATH] = build_manifest(job, program, tree, files, rendered.digest).to_json()
    problems: list[Drift] = []
    # The manifest last: it records the other files' hashes, so when they differ its diff
    # is only their new hashes and is left out (its own fields alone get a diff).
    for rel in sorted(expected, key=lambda rel: (rel == MANIFEST_PATH, rel)):
        want = expected[rel]
        data = on_disk.get(rel) if rel in on_disk else _read(job.out / rel)
        if data is None:
            problems.append(Drift("missing", rel, "not on disk"))
            continue
        if data == want.encode("utf-8"):
            continue
        text = data.decode("utf-8", errors="replace")
        recorded = manifest.files.get(rel) if manifest is not None else None
        if rel != MANIFEST_PATH and recorded is not None and sha256(data) != recorded:
            problems.append(Drift("edited", rel, "was edited by hand", _diff(rel, text, want)))
        elif rel == MANIFEST_PATH and problems:
            problems.append(Drift("stale", rel, "records the files above as they were"))
        else:
            problems.append(
                Drift(
                    "stale",
                    rel,
                    "differs from a fresh render (the spec or templates changed)",
                    _diff(rel, text, want),
                )
            )
    if manifest is not None:
        for rel in sorted(set(manifest.files) - set(expected)):
            if (job.out / rel).exists():
                problems.append(Drift("extra", rel, "is no longer generated"))
    return problems


def quick_check(job: SdkJob, tree: TemplateTree) -> list[Drift] | None:
    """The problems of an SDK whose generated layer is provably in step without rendering
    it: its inputs (:mod:`aiwf._generate.inputs`) are what the manifest recorded and every
    generated file still has its recorded bytes, so only the scaffold is left to check. None
    when that cannot be shown (then :func:`check` renders and compares)."""
    from aiwf import __version__
    from aiwf._generate.inputs import inputs_digest, trusted
    from aiwf._generate.targets import get_target
    from aiwf._generate.versions import refuse_newer

    manifest = Manifest.read(job.out)
    if manifest is None or manifest.inputs is None or not trusted(tree):
        return None
    refuse_newer(job.out, tree, manifest=manifest)
    if manifest.aiwf_version != __version__ or manifest.template_version != tree.version:
        return None
    if (manifest.lang, manifest.package) != (job.lang, job.package):
        return None
    for rel, recorded in manifest.files.items():
        data = _read(job.out / rel)
        if data is None or sha256(data) != recorded:
            return None
    if manifest.inputs != inputs_digest(job, tree, get_target(job.lang)):
        return None
    return check_scaffold(job, tree)


def check(
    job: SdkJob, program: Program, tree: TemplateTree, environments: Environments | None = None
) -> list[Drift]:
    """Every way the SDK is out of step (an empty list: it is in step). Raises when a newer
    aiwf wrote the SDK (:func:`~aiwf._generate.versions.refuse_newer`): then this aiwf's
    verdict would only say how to take it back."""
    from aiwf._generate.versions import refuse_newer

    refuse_newer(job.out, tree)
    return [*check_generated(job, program, tree, environments), *check_scaffold(job, tree)]
