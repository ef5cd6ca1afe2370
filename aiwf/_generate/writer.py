"""``aiwf sdk``: write an SDK's generated layer (and create its scaffold the first time)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import field
from pathlib import Path

from aiwf import __version__
from aiwf._errors import AiwfError
from aiwf._generate.jobs import SdkJob
from aiwf._generate.manifest import MANIFEST_PATH, Manifest, sha256
from aiwf._generate.render import render
from aiwf._generate.targets import get_target
from aiwf._generate.targets.base import Environments
from aiwf._generate.templates import TemplateTree
from aiwf._ir._dc import dataclass
from aiwf._ir.model import Program


@dataclass
class WriteReport:
    """What one ``aiwf sdk`` run changed in one SDK."""

    scaffolded: bool = False
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Files aiwf no longer generates but left in place because they were edited.
    kept: list[str] = field(default_factory=list)
    #: Files copier wrote when it created the scaffold (relative paths).
    scaffold: list[str] = field(default_factory=list)


def expected_files(
    job: SdkJob, program: Program, tree: TemplateTree, environments: Environments | None = None
) -> dict[str, str]:
    """Every generated file of the SDK, the manifest included, as aiwf would write it."""
    target = get_target(job.lang)
    rendered = render(tree, target, program, job.package, environments)
    files = rendered.formatted(target)
    manifest = build_manifest(job, program, tree, files, rendered.digest)
    files[MANIFEST_PATH] = manifest.to_json()
    return files


def build_manifest(
    job: SdkJob, program: Program, tree: TemplateTree, files: dict[str, str], digest: str
) -> Manifest:
    from aiwf._generate.inputs import inputs_digest

    return Manifest(
        lang=job.lang,
        package=job.package,
        aiwf_version=__version__,
        template_version=tree.version,
        ir_digest=program.digest(),
        spec=job.spec_from_out,
        render_digest=digest,
        files={path: sha256(text.encode("utf-8")) for path, text in files.items()},
        inputs=inputs_digest(job, tree, get_target(job.lang)),
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; generated code is not secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_generated(
    job: SdkJob, program: Program, tree: TemplateTree, environments: Environments | None = None
) -> WriteReport:
    """Bring the generated layer of the SDK in step with ``program``; files that did not
    change are not touched, files no longer generated are removed (unless edited)."""
    report = WriteReport()
    old = Manifest.read(job.out)
    files = expected_files(job, program, tree, environments)
    for rel, text in sorted(files.items()):
        path = job.out / rel
        data = text.encode("utf-8")
        try:
            if path.read_bytes() == data:
                continue
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise AiwfError(f"cannot read {path}: {exc}", code="G040") from None
        write_atomic(path, data)
        report.written.append(rel)
    if old is not None:
        for rel in sorted(set(old.files) - set(files)):
            path = job.out / rel
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                continue
            if sha256(current) == old.files[rel]:
                path.unlink()
                report.removed.append(rel)
            else:
                report.kept.append(rel)
    return report


def generate(
    job: SdkJob,
    program: Program,
    tree: TemplateTree,
    *,
    environments: Environments | None = None,
    source: str | None = None,
) -> WriteReport:
    """Write the SDK: the scaffold through copier when the directory has none yet (recording
    ``source``, else the project's public URL, as its template source), then the generated
    layer. Refuses an SDK that a newer aiwf has written."""
    from aiwf._generate import scaffold
    from aiwf._generate.versions import refuse_newer

    answers = scaffold.read_answers(job.out)
    refuse_newer(job.out, tree, answers=answers)
    created = False
    scaffold_files: list[str] = []
    if answers is None:
        before = _files_under(job.out)
        url = scaffold.default_source(source)
        with scaffold.TemplateSource(tree, [url]) as templates:
            scaffold.copy(
                job.out,
                templates=templates,
                source=url,
                ref=tree.tag,
                data={"lang": job.lang, "package": job.package},
            )
        created = True
        scaffold_files = sorted(_files_under(job.out) - before)
    report = write_generated(job, program, tree, environments)
    report.scaffolded = created
    report.scaffold = [rel for rel in scaffold_files if rel not in report.written]
    return report


def _files_under(root: Path) -> set[str]:
    """The files below ``root`` (relative POSIX paths), a ``.git`` directory left out."""
    if not root.is_dir():
        return set()
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }
