"""``aiwf upgrade``: move an SDK's scaffold to the installed template version with
``copier update`` (the consumer's edits kept, the template's migrations run), regenerate
the generated layer, and fail when the merge left conflicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiwf.errors import AiwfError
from aiwf.generate import scaffold
from aiwf.generate.jobs import SdkJob
from aiwf.generate.leftovers import find_leftovers
from aiwf.generate.templates import TemplateTree, parse_version
from aiwf.generate.writer import WriteReport, write_generated
from aiwf.ir.model import Program


@dataclass
class UpgradeReport:
    from_version: str
    to_version: str
    updated: bool
    generated: WriteReport
    conflicts: list[str] = field(default_factory=list)


def upgrade(job: SdkJob, program: Program, tree: TemplateTree) -> UpgradeReport:
    """Upgrade one SDK; see the module docstring. Conflicts are reported, not raised, so the
    caller can name them all."""
    answers = scaffold.read_answers(job.out)
    if answers is None:
        raise AiwfError(
            f"{job.out} has no {scaffold.ANSWERS_FILE}: its scaffold was not made by copier",
            code="G033",
            hint="run aiwf sdk to create the SDK",
        )
    before = str(answers.get("_commit") or "")
    have, want = parse_version(before), parse_version(tree.version)
    updated = False
    if have is None or want is None or have < want:
        source = str(answers.get("_src_path") or "")
        scaffold.update(job.out, ref=scaffold.version_ref(source, tree.tag))
        updated = True
    after = scaffold.read_answers(job.out) or {}
    generated = write_generated(job, program, tree)
    return UpgradeReport(
        from_version=before,
        to_version=str(after.get("_commit") or ""),
        updated=updated,
        generated=generated,
        conflicts=find_leftovers(job.out),
    )
