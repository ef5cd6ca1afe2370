"""aiwf's pre-commit hooks as a consumer's ``.pre-commit-config.yaml`` pins them.

The hooks run the aiwf that their ``rev`` names, so after ``aiwf upgrade`` the ``rev`` must
move too: at an older ``rev``, ``aiwf-check`` and ``aiwf-sdk`` refuse SDKs that a newer aiwf
wrote (:mod:`aiwf._generate.versions`).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from aiwf._generate.repo import Repo
from aiwf._generate.templates import parse_version

CONFIG = ".pre-commit-config.yaml"
#: The hook ids of .pre-commit-hooks.yaml.
HOOK_IDS = frozenset({"aiwf-validate", "aiwf-check", "aiwf-sdk", "aiwf-breaking"})


def hook_revs(config: Path) -> list[str]:
    """The ``rev`` of every repository entry in ``config`` that provides an aiwf hook."""
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    repos = data.get("repos") if isinstance(data, dict) else None
    revs: list[str] = []
    for entry in repos if isinstance(repos, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("rev"), str):
            continue
        hooks = entry.get("hooks")
        if isinstance(hooks, list) and any(
            isinstance(h, dict) and h.get("id") in HOOK_IDS for h in hooks
        ):
            revs.append(entry["rev"])
    return revs


def stale_hook_revs(sdk_dirs: list[Path], version: str) -> list[tuple[Path, str]]:
    """``(config, rev)`` for each pre-commit config of the SDKs' repositories that pins
    aiwf's hooks at a version older than ``version``."""
    want = parse_version(version)
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for sdk in sdk_dirs:
        repo = Repo.containing(sdk)
        if repo is None or repo.top in seen:
            continue
        seen.add(repo.top)
        config = repo.top / CONFIG
        for rev in hook_revs(config):
            have = parse_version(rev)
            if have is not None and want is not None and have < want:
                found.append((config, rev))
    return found
