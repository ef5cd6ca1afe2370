"""``aiwf sdk --bump-version REF``: write the version the spec's changes call for into an
existing SDK's package metadata.

The last version is the one the SDK had at ``REF`` (read with ``git show``), so running the
command again writes the same version (it never bumps twice); a version already higher in
the working tree is kept. Python SDKs carry it in ``pyproject.toml`` (``[project] version``),
TypeScript SDKs in ``package.json`` (and the root entries of ``package-lock.json``). A Go
module's version is a git tag (``sdk/go/v1.4.0`` for a module in ``sdk/go``): nothing is
written, the tag to make is reported. Only the version line changes; the rest of each file
stays as the consumer left it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from aiwf._breaking.changelog import Bump, next_version, parse_version
from aiwf._breaking.source import Git
from aiwf._errors import AiwfError

_PYPROJECT_VERSION = re.compile(r'^(version\s*=\s*)(["\'])([^"\']*)\2', re.MULTILINE)
_JSON_VERSION = re.compile(r'^(  "version":\s*")([^"]*)(")', re.MULTILINE)
_LOCK_ROOT_VERSION = re.compile(r'^(    "":\s*\{\n(?:      .*\n)*?      "version":\s*")([^"]*)(")',
                                re.MULTILINE)  # fmt: skip


@dataclass
class VersionBump:
    """What :func:`bump_sdk` did for one SDK."""

    sdk: Path
    lang: str
    bump: Bump | None
    #: The version at the ref (None when the SDK did not exist there).
    previous: str | None
    #: The version the changes call for (None: nothing to do).
    version: str | None
    #: Files rewritten (relative to the SDK).
    written: list[str]
    #: For Go: the tag to make.
    tag: str | None = None
    note: str | None = None


def _pyproject_section(text: str) -> tuple[int, int]:
    """The span of the ``[project]`` table in a pyproject.toml."""
    start = re.search(r"^\[project\]\s*$", text, re.MULTILINE)
    if start is None:
        raise AiwfError("pyproject.toml has no [project] table", code="G070")
    end = re.search(r"^\[", text[start.end() :], re.MULTILINE)
    return start.end(), start.end() + end.start() if end else len(text)


def read_version(lang: str, text: str) -> str | None:
    """The version in an SDK's metadata file (``pyproject.toml`` or ``package.json``)."""
    if lang == "python":
        start, end = _pyproject_section(text)
        match = _PYPROJECT_VERSION.search(text, start, end)
        return match.group(3) if match else None
    version = json.loads(text).get("version")
    return version if isinstance(version, str) else None


def write_version(lang: str, text: str, version: str) -> str:
    """``text`` (the metadata file) with its version set to ``version``."""
    if lang == "python":
        start, end = _pyproject_section(text)
        match = _PYPROJECT_VERSION.search(text, start, end)
        if match is None:
            raise AiwfError("pyproject.toml has no version in [project]", code="G070",
                            hint='add version = "0.1.0" under [project]')  # fmt: skip
        return text[: match.start(3)] + version + text[match.end(3) :]
    if _JSON_VERSION.search(text) is None:
        raise AiwfError("package.json has no top-level version", code="G070",
                        hint='add "version": "0.1.0"')  # fmt: skip
    return _JSON_VERSION.sub(lambda m: m.group(1) + version + m.group(3), text, count=1)


def _write_lock(text: str, version: str) -> str:
    text = _JSON_VERSION.sub(lambda m: m.group(1) + version + m.group(3), text, count=1)
    return _LOCK_ROOT_VERSION.sub(lambda m: m.group(1) + version + m.group(3), text, count=1)


METADATA = {"python": "pyproject.toml", "typescript": "package.json"}


def _newer(version: str, than: str) -> bool:
    return parse_version(version) > parse_version(than)


def bump_sdk(sdk: Path, lang: str, ref: str, bump: Bump | None) -> VersionBump:
    """Write into the SDK in ``sdk`` the version after its version at ``ref`` for ``bump``."""
    if lang == "go":
        return _go_tag(sdk, ref, bump)
    if lang not in METADATA:
        return VersionBump(sdk, lang, bump, None, None, [], note=f"no version metadata for {lang}")
    metadata = sdk / METADATA[lang]
    if not metadata.is_file():
        raise AiwfError(f"{metadata} not found: --bump-version needs an existing SDK",
                        code="G070", hint="run aiwf sdk once without --bump-version")  # fmt: skip
    git = Git(sdk)
    sha = git.commit(ref)
    old = git.run("show", f"{sha}:{git.relative(metadata)}", check=False)
    current_text = metadata.read_text(encoding="utf-8")
    current = read_version(lang, current_text)
    if old.returncode != 0:
        return VersionBump(sdk, lang, bump, None, None, [],
                           note=f"the SDK is new since {ref}: its version {current} is kept")  # fmt: skip
    previous = read_version(lang, old.stdout.decode("utf-8"))
    if previous is None or bump is None:
        return VersionBump(sdk, lang, bump, previous, None, [])
    version = next_version(previous, bump)
    if current is not None and not _newer(version, current):
        return VersionBump(sdk, lang, bump, previous, version, [])
    written = [METADATA[lang]]
    metadata.write_text(write_version(lang, current_text, version), encoding="utf-8")
    lock = sdk / "package-lock.json"
    if lang == "typescript" and lock.is_file():
        lock.write_text(_write_lock(lock.read_text(encoding="utf-8"), version), encoding="utf-8")
        written.append(lock.name)
    return VersionBump(sdk, lang, bump, previous, version, written)


def _go_tag(sdk: Path, ref: str, bump: Bump | None) -> VersionBump:
    git = Git(sdk)
    sha = git.commit(ref)
    rel = git.relative(sdk)
    prefix = "" if rel in ("", ".") else rel + "/"
    tags = git.run("tag", "--list", f"{prefix}v*", "--merged", sha).stdout.decode().split()
    versions = sorted(
        (t[len(prefix) + 1 :] for t in tags if _valid(t[len(prefix) + 1 :])), key=parse_version
    )
    if not versions:
        return VersionBump(sdk, "go", bump, None, None, [],
                           note=f"no {prefix}vX.Y.Z tag at {ref}: tag the first release "
                                f"{prefix}v0.1.0")  # fmt: skip
    previous = versions[-1]
    if bump is None:
        return VersionBump(sdk, "go", bump, previous, None, [])
    version = next_version(previous, bump)
    note = None
    if parse_version(version)[0] >= 2:
        note = (f"a Go module at v{version} needs the /v{parse_version(version)[0]} suffix in "
                "its module path, which aiwf sdk does not write yet")  # fmt: skip
    return VersionBump(sdk, "go", bump, previous, version, [], tag=f"{prefix}v{version}", note=note)


def _valid(text: str) -> bool:
    try:
        parse_version(text)
    except AiwfError:
        return False
    return True


__all__ = ["METADATA", "VersionBump", "bump_sdk", "read_version", "write_version"]
