"""The manifest of a generated SDK (``.aiwf/manifest.json``): what aiwf wrote, from what.

It lets ``aiwf check`` tell a stale file (the spec or templates changed) from one edited by
hand (its bytes differ from what aiwf wrote), and find files aiwf wrote before but would not
write now. It holds no timestamp and no absolute path, so it is byte-identical for the same
inputs on any machine.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import field
from pathlib import Path
from typing import Any

from aiwf._errors import AiwfError
from aiwf._ir._dc import dataclass

MANIFEST_PATH = ".aiwf/manifest.json"
MANIFEST_VERSION = 1


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def render_digest(files: dict[str, str]) -> str:
    """Digest of a render before formatting (paths and texts, sorted)."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return "sha256:" + h.hexdigest()


@dataclass(frozen=True)
class Manifest:
    lang: str
    package: str
    aiwf_version: str
    template_version: str
    ir_digest: str
    #: The spec, relative to the SDK directory (POSIX separators).
    spec: str
    #: Digest of the unformatted render; equal digests give equal formatted files.
    render_digest: str
    #: Generated file (relative path) -> sha256 of its bytes.
    files: dict[str, str] = field(default_factory=dict)
    #: What the files were made from (:mod:`aiwf._generate.inputs`); None in older manifests.
    inputs: str | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            "generator": "aiwf",
            "aiwf_version": self.aiwf_version,
            "template_version": self.template_version,
            "lang": self.lang,
            "package": self.package,
            "spec": self.spec,
            "ir_digest": self.ir_digest,
            "render_digest": self.render_digest,
            "inputs": self.inputs,
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, sdk_dir: Path) -> Manifest | None:
        """The manifest of the SDK in ``sdk_dir``; None when there is none."""
        path = sdk_dir / MANIFEST_PATH
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                lang=data["lang"],
                package=data["package"],
                aiwf_version=data["aiwf_version"],
                template_version=data["template_version"],
                ir_digest=data["ir_digest"],
                spec=data["spec"],
                render_digest=data["render_digest"],
                files=dict(data["files"]),
                inputs=data.get("inputs"),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AiwfError(
                f"unreadable SDK manifest: {exc}",
                code="G020",
                file=str(path),
                hint="run aiwf sdk to write it again",
            ) from None
