"""What the scaffold writes into a consumer's repository points at real places: every link
to aiwf in a scaffold file is the project's repository (aiwf._version.REPOSITORY)."""

from __future__ import annotations

import re

from sdkgen_support import ROOT

from aiwf._version import REPOSITORY

SCAFFOLDS = sorted((ROOT / "copier-templates").glob("*/scaffold"))


def test_every_language_has_a_scaffold() -> None:
    assert [p.parent.name for p in SCAFFOLDS] == ["go", "python", "typescript"]


def test_scaffold_links_to_aiwf_are_the_repository() -> None:
    links = []
    for scaffold in SCAFFOLDS:
        for path in sorted(p for p in scaffold.rglob("*") if p.is_file()):
            text = path.read_text(encoding="utf-8")
            links += [
                (path, url) for url in re.findall(r"https?://[^\s)\"'>]*aiwf[^\s)\"'>]*", text)
            ]
    assert links, "no scaffold file links to aiwf"
    wrong = [f"{p.relative_to(ROOT)}: {url}" for p, url in links if not url.startswith(REPOSITORY)]
    assert not wrong, wrong
