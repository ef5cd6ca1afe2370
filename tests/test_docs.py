"""The Python in the README and docs/ imports what aiwf really exports, and only public names.

A reader copies these snippets: an import of a name that moved, or of a private module
(``aiwf.engine._walk``), is a broken promise. Each ``from aiwf... import`` in a ``python``
code block is resolved against the installed package.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _imports() -> list[tuple[str, int, str, str]]:
    found = []
    for page in PAGES:
        for block in _BLOCK.finditer(page.read_text(encoding="utf-8")):
            try:
                tree = ast.parse(block.group(1))
            except SyntaxError:  # a snippet with elisions (``...`` lines) still names imports
                tree = ast.parse(
                    "\n".join(line for line in block.group(1).splitlines() if "import" in line)
                )
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aiwf"):
                    for alias in node.names:
                        found.append((page.name, node.lineno, node.module or "", alias.name))
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith("aiwf"):
                            found.append((page.name, node.lineno, alias.name, ""))
    return found


IMPORTS = _imports()


def test_the_docs_have_python_imports_to_check() -> None:
    assert len(IMPORTS) >= 10


@pytest.mark.parametrize(
    ("page", "line", "module", "name"), IMPORTS, ids=[f"{p}:{m}:{n}" for p, _, m, n in IMPORTS]
)
def test_a_documented_import_is_public_and_resolves(
    page: str, line: int, module: str, name: str
) -> None:
    assert not any(part.startswith("_") for part in module.split(".")), (
        f"{page} imports the private module {module}"
    )
    imported = importlib.import_module(module)
    if name:
        assert not name.startswith("_"), f"{page} imports the private name {module}.{name}"
        assert hasattr(imported, name), f"{page}: {module} has no {name}"
