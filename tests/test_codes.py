"""The registry of diagnostic codes (aiwf/_codes.py) against the code that raises them and
the docs that list them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from aiwf import _codes as codes

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "aiwf"
#: Families of codes registered in aiwf/_codes.py (letter and first digit).
REGISTERED = {"E0", "W0", "C0"}
#: Families documented on their own pages and not (yet) in the registry; a code of any other
#: family fails the test, so that a new family is registered, or listed here, on purpose.
ELSEWHERE = {
    "E5": "docs/running.md",
    "R0": "docs/providers.md",
    "A0": "docs/artifacts.md",
    "B0": "docs/breaking.md",
    "G0": "generation and upgrade errors",
}
#: Modules that raise spec and config diagnostics: they name codes through the registry.
THROUGH_REGISTRY = ["_ir", "_spec", "_config.py", "_structure.py", "_diagnostics.py", "_errors.py"]
_CODE = re.compile(r"[A-Z][0-9]{3}")


def _literals(path: Path) -> list[tuple[str, int]]:
    """Every string constant of ``path`` that is a code, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.value, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _CODE.fullmatch(node.value)
    ]


def _raised() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "_codes.py":
            continue
        for code, line in _literals(path):
            found.setdefault(code, []).append(f"{path.relative_to(REPO)}:{line}")
    return found


def _table(doc: str, heading: str) -> dict[str, str]:
    """The ``| CODE | what |`` rows of the table under ``heading`` in ``doc``."""
    text = (REPO / doc).read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and _CODE.fullmatch(cells[0]):
            rows[cells[0]] = cells[1]
    return rows


def test_every_code_raised_anywhere_is_registered_or_of_a_known_family() -> None:
    raised = _raised()
    assert raised, "no code found: the scan is broken"
    unregistered = {
        code: where
        for code, where in raised.items()
        if code[:2] in REGISTERED and codes.lookup(code) is None
    }
    assert not unregistered, f"codes raised but not in aiwf/_codes.py: {unregistered}"
    unknown_family = {c: w for c, w in raised.items() if c[:2] not in REGISTERED | set(ELSEWHERE)}
    assert not unknown_family, f"codes of a family neither registered nor known: {unknown_family}"


def test_spec_and_config_code_name_codes_through_the_registry() -> None:
    bare = []
    for part in THROUGH_REGISTRY:
        target = PACKAGE / part
        for path in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
            bare += [f"{path.relative_to(REPO)}:{line}: {code}" for code, line in _literals(path)]
    assert not bare, "bare code literals (use aiwf._codes): " + ", ".join(bare)


def test_every_registered_code_is_raised() -> None:
    used = set(_raised())
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "_codes.py":
            continue
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"codes\.([A-Z][0-9]{3})\b", text))
    assert set(codes.REGISTRY) - used == set()


@pytest.mark.parametrize(
    ("doc", "heading", "anchor"),
    [
        ("docs/spec.md", "## Diagnostics", codes.SPEC_DOCS),
        ("docs/configuration.md", "## Errors", codes.CONFIG_DOCS),
    ],
)
def test_the_docs_list_exactly_the_registered_codes(doc: str, heading: str, anchor: str) -> None:
    rows = _table(doc, heading)
    registered = {c: e for c, e in codes.REGISTRY.items() if e.docs == anchor}
    assert rows, f"no table of codes under {heading} in {doc}"
    assert sorted(rows) == sorted(registered), (
        f"in {doc} only: {sorted(set(rows) - set(registered))}; "
        f"registered only: {sorted(set(registered) - set(rows))}"
    )
    for code, entry in registered.items():  # the summary is the docs' own words
        assert rows[code] == entry.summary, code


def test_docs_anchors_exist() -> None:
    for entry in codes.REGISTRY.values():
        page, anchor = entry.docs.split("#")
        headings = [
            re.sub(r"[^a-z0-9 _-]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            for line in (REPO / page).read_text(encoding="utf-8").splitlines()
            if line.startswith("#")
        ]
        assert anchor in headings, entry.docs


def test_the_attributes_are_the_table() -> None:
    declared = {name for name in codes.__annotations__ if _CODE.fullmatch(name)}
    assert declared == set(codes.REGISTRY)
    assert all(getattr(codes, code) is entry for code, entry in codes.REGISTRY.items())


def test_a_code_is_its_string_and_carries_its_entry() -> None:
    assert codes.E045 == "E045"
    assert codes.lookup("E045") is codes.E045
    assert codes.W002.severity == "warning"
    assert codes.E045.severity == "error"
    assert codes.E045.hint == "change the expression, or the assistant's input contract"
    assert codes.lookup("E999") is None
