"""Generated Python SDKs import only aiwf's public, documented names (``aiwf.sdk.__all__``):
the SDK's code runs on aiwf's engine, never on its internals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sdkgen_support import BUILT_SPECS, golden_files

import aiwf.sdk
from aiwf._generate.templates import locate

PUBLIC = set(aiwf.sdk.__all__)


def aiwf_names(source: str) -> list[str]:
    """Every aiwf name a module uses: ``module`` or ``module:name``."""
    tree = ast.parse(source)
    used: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used += [alias.name for alias in node.names if alias.name.split(".")[0] == "aiwf"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "aiwf":
                used += [f"{node.module}:{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            inner = node.value
            if isinstance(inner.value, ast.Name) and inner.value.id == "aiwf":
                used.append(f"aiwf.{inner.attr}:{node.attr}")
    return used


@pytest.mark.parametrize("spec", BUILT_SPECS, ids=[p.name for p in BUILT_SPECS])
def test_generated_code_uses_only_aiwf_sdk(spec: Path, tmp_path: Path) -> None:
    files = golden_files(spec, "probe_sdk", locate(), tmp_path)
    checked = 0
    for rel, text in files.items():
        if not rel.endswith(".py"):
            continue
        for name in aiwf_names(text):
            module, _, attr = name.partition(":")
            assert module == "aiwf.sdk", f"{rel} uses {name}: only aiwf.sdk is public"
            assert not attr or attr in PUBLIC, f"{rel} uses aiwf.sdk.{attr}, not in __all__"
            checked += 1
    assert checked, "the SDK uses aiwf.sdk"


def test_every_public_name_is_documented() -> None:
    for name in PUBLIC:
        value = getattr(aiwf.sdk, name)
        if callable(value) or isinstance(value, type):
            assert (value.__doc__ or "").strip(), f"aiwf.sdk.{name} has no docstring"
