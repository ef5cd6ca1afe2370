"""``aiwf upgrade``: move SDK scaffolds to the installed template version with ``copier
update`` (the consumer's edits kept, the template's migrations run), then regenerate.

Every SDK is tried, whatever happened to the ones before it, and each ends either upgraded
(possibly with conflict markers to resolve) or exactly as it was: a failed update is rolled
back, and the conflicted files of one SDK are set aside in the index while the next one
updates (copier snapshots the whole index), then marked unmerged again at the end, as copier
leaves them. The old template versions come from the history the installed aiwf carries, so
no network is needed (:class:`aiwf._generate.scaffold.TemplateSource`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Literal

from aiwf import __version__
from aiwf._errors import AiwfError
from aiwf._generate import scaffold
from aiwf._generate.jobs import SdkJob
from aiwf._generate.leftovers import find_leftovers
from aiwf._generate.repo import Repo
from aiwf._generate.targets.base import Environments
from aiwf._generate.templates import TemplateTree, parse_version
from aiwf._generate.versions import refuse_newer
from aiwf._generate.writer import WriteReport, write_generated
from aiwf._ir._dc import dataclass
from aiwf._ir.model import Program

Status = Literal["upgraded", "current", "conflicts", "failed"]


@dataclass
class SdkUpgrade:
    """What ``aiwf upgrade`` did to one SDK."""

    job: SdkJob
    status: Status
    from_version: str = ""
    to_version: str = ""
    generated: WriteReport | None = None
    #: Files left with conflict markers or ``.rej`` files (relative to the SDK).
    conflicts: list[str] = field(default_factory=list)
    #: Why the SDK was left as it was (``status == "failed"``).
    error: AiwfError | None = None


def upgrade_all(
    jobs: Sequence[tuple[SdkJob, Program, Environments]],
    tree: TemplateTree,
    *,
    configured_source: str | None = None,
    on_result: Callable[[SdkUpgrade], None] | None = None,
) -> list[SdkUpgrade]:
    """Upgrade every SDK of ``jobs`` (see the module docstring); ``on_result`` hears about
    each as it is done."""
    results: list[SdkUpgrade] = []
    parked: list[tuple[Repo, list[str]]] = []
    urls = [scaffold.default_source(configured_source), *_recorded_sources(jobs)]
    source = _LazySource(scaffold.TemplateSource(tree, urls))
    try:
        for job, program, environments in jobs:
            result = _upgrade_one(
                job, program, environments, tree, configured_source, source, parked
            )
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        for repo, entries in parked:
            repo.restore_unmerged(entries)
        source.close()
    return results


class _LazySource:
    """The template repository, built the first time an SDK needs copier."""

    def __init__(self, source: scaffold.TemplateSource) -> None:
        self._source = source
        self._open = False

    def get(self) -> scaffold.TemplateSource:
        if not self._open:
            self._source.__enter__()
            self._open = True
        return self._source

    def close(self) -> None:
        if self._open:
            self._source.__exit__(None, None, None)


def _recorded_sources(jobs: Sequence[tuple[SdkJob, Program, Environments]]) -> list[str]:
    """The template sources the SDKs record (a mirror configured since, say)."""
    found: list[str] = []
    for job, _, _ in jobs:
        answers = scaffold.read_answers(job.out) or {}
        src = str(answers.get("_src_path") or "")
        if src and scaffold.is_url(src):
            found.append(src)
    return found


def _answers_error(job: SdkJob, message: str, *, code: str, hint: str | None = None) -> AiwfError:
    """An error about the scaffold's copier answers (it points at the answers file)."""
    return AiwfError(message, code=code, file=str(job.out / scaffold.ANSWERS_FILE), hint=hint)


def _upgrade_one(
    job: SdkJob,
    program: Program,
    environments: Environments,
    tree: TemplateTree,
    configured_source: str | None,
    templates: _LazySource,
    parked: list[tuple[Repo, list[str]]],
) -> SdkUpgrade:
    try:
        answers = scaffold.read_answers(job.out)
        if answers is None:
            raise AiwfError(
                f"{job.out} has no {scaffold.ANSWERS_FILE}: its scaffold was not made by copier",
                code="G033",
                hint="run aiwf sdk to create the SDK",
            )
        refuse_newer(job.out, tree, answers=answers)
        recorded = str(answers.get("_commit") or "")
        have, want = parse_version(recorded), parse_version(tree.version)
        assert want is not None
        if have is None:
            raise _answers_error(
                job,
                f"the scaffold records template version {recorded or '(none)'!r}, which is "
                "not a release (a development checkout of aiwf made it)",
                code="G035",
                hint="set `_commit:` to the release the scaffold was made from (vX.Y.Z), "
                "commit, and run aiwf upgrade again",
            )
    except AiwfError as exc:
        return SdkUpgrade(job, "failed", error=exc)
    if have == want:
        try:
            generated = write_generated(job, program, tree, environments)
        except AiwfError as exc:
            return SdkUpgrade(job, "failed", recorded, recorded, error=exc)
        return SdkUpgrade(job, "current", recorded, recorded, generated)
    try:
        scaffold.check_source(str(answers.get("_src_path") or ""), configured_source, job.out)
        repo = _clean_repo(job)
        source = templates.get()
        old = recorded[1:] if recorded.startswith("v") else recorded
        if not source.has(old):
            known = ", ".join(f"v{v}" for v in source.versions) or "none"
            raise _answers_error(
                job,
                f"template version {recorded} is not in this aiwf's template history "
                f"(aiwf {__version__} carries {known}), so the scaffold cannot be re-rendered "
                "to merge your edits",
                code="G036",
                hint="an SDK made by a development build of aiwf cannot be upgraded; upgrade "
                "it with that build, or set `_commit:` to the release it came from",
            )
    except AiwfError as exc:
        return SdkUpgrade(job, "failed", recorded, error=exc)
    ignored = repo.ignored(job.out)
    try:
        scaffold.update(job.out, templates=source, ref=tree.tag)
        after = str((scaffold.read_answers(job.out) or {}).get("_commit") or "")
        if after != tree.tag:
            raise _answers_error(
                job,
                f"copier left the scaffold at {after or '(no version)'}, not {tree.tag}",
                code="G032",
            )
        generated = write_generated(job, program, tree, environments)
    except BaseException as exc:
        repo.restore(job.out, ignored)
        if isinstance(exc, AiwfError):
            return SdkUpgrade(job, "failed", recorded, error=exc)
        raise
    parked.append((repo, repo.park_unmerged(job.out)))
    conflicts = find_leftovers(job.out)
    status: Status = "conflicts" if conflicts else "upgraded"
    return SdkUpgrade(job, status, recorded, tree.tag, generated, conflicts)


def _clean_repo(job: SdkJob) -> Repo:
    """The repository of the SDK, which copier can merge in: the SDK committed, and no
    unmerged file left from something else (copier snapshots the whole index)."""
    repo = Repo.containing(job.out)
    if repo is None:
        raise AiwfError(
            f"{job.out} is not in a git repository",
            code="G032",
            hint="copier merges against git: commit the SDK to a git repository first",
        )
    changes = repo.changes(job.out)
    if changes:
        shown = ", ".join(line[3:] for line in changes[:3]) + (" ..." if len(changes) > 3 else "")
        raise AiwfError(
            f"the SDK has uncommitted changes ({shown})",
            code="G032",
            file=str(job.out),
            hint="commit (or stash) them first: copier merges your edits from git",
        )
    if repo.unmerged():
        raise AiwfError(
            "the repository has unmerged files (an unfinished merge)",
            code="G032",
            file=str(repo.top),
            hint="finish or abort that merge first (git status lists the files)",
        )
    return repo
