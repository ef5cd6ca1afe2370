"""Which template version an SDK is at, and the rule that two aiwf versions never fight over
it: an aiwf never takes an SDK back to an older template version (``aiwf sdk``, ``aiwf check``
and ``aiwf upgrade`` all refuse, naming the version to move to instead)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiwf import __version__
from aiwf._errors import AiwfError
from aiwf._generate.manifest import MANIFEST_PATH, Manifest
from aiwf._generate.templates import TemplateTree, is_version, version_less

#: Code of the refusal (the SDK is newer than this aiwf's templates).
NEWER = "G037"


def recorded_versions(
    sdk_dir: Path, answers: dict[str, Any] | None, manifest: Manifest | None
) -> list[tuple[str, str]]:
    """``(file, version)`` for each place the SDK records a template version: the scaffold's
    ``_commit`` and the manifest's ``template_version``."""
    from aiwf._generate.scaffold import ANSWERS_FILE

    found: list[tuple[str, str]] = []
    if answers is not None and answers.get("_commit"):
        found.append((ANSWERS_FILE, str(answers["_commit"])))
    if manifest is not None:
        found.append((MANIFEST_PATH, manifest.template_version))
    return found


def refuse_newer(
    sdk_dir: Path,
    tree: TemplateTree,
    *,
    answers: dict[str, Any] | None = None,
    manifest: Manifest | None = None,
) -> None:
    """Raise when the SDK in ``sdk_dir`` was made or upgraded by a newer aiwf than this one:
    writing it now would take it back to older templates."""
    from aiwf._generate.scaffold import read_answers

    if answers is None:
        answers = read_answers(sdk_dir)
    if manifest is None:
        manifest = Manifest.read(sdk_dir)
    mine = tree.version
    assert is_version(mine), mine
    for rel, text in recorded_versions(sdk_dir, answers, manifest):
        if is_version(text) and version_less(mine, text):
            tag = text if text.startswith("v") else f"v{text}"
            raise AiwfError(
                f"this SDK was upgraded to templates {tag} by a newer aiwf; this is aiwf "
                f"{__version__} (templates {tree.tag}), which would take it back",
                code=NEWER,
                file=str(sdk_dir / rel),
                hint=f"bump `rev` in .pre-commit-config.yaml to {tag} (and use aiwf {tag} "
                "wherever this SDK is generated or checked)",
            )
