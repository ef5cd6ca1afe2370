"""One table of providers (aiwf/_ir/providers.py): every layer and every runtime agrees with it."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from spec_support import BASE, write

from aiwf._ir.compiler import compile_files
from aiwf._ir.providers import PROVIDERS, Provider, StructuredOutput
from aiwf._ir.routes import Route
from aiwf._spec import load_spec
from aiwf._spec.format_schema import generate_schema
from aiwf.runtime._providers import PROVIDERS as REGISTRY

REPO = Path(__file__).resolve().parents[1]
GO = (REPO / "runtimes/go/providers.go").read_text(encoding="utf-8")
TS = (REPO / "runtimes/typescript/src/providers.ts").read_text(encoding="utf-8")


def test_the_table_names_every_provider_of_the_format_and_the_python_runtime() -> None:
    assert tuple(PROVIDERS) == typing.get_args(Provider)
    assert set(REGISTRY) == set(PROVIDERS)
    route = generate_schema()["$defs"]["ModelRoute"]["properties"]
    assert route["provider"]["enum"] == list(PROVIDERS)
    modes = set(typing.get_args(StructuredOutput))
    assert set(route["structured_output"]["enum"]) == modes
    assert all(
        set(facts.modes) <= modes and facts.auto in facts.modes for facts in PROVIDERS.values()
    )


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_the_python_runtime_reads_auto_and_the_key_from_the_table(name: Provider) -> None:
    provider = REGISTRY[name]()
    route = Route(provider=name, model="m", base_url="http://127.0.0.1:9/v1")
    assert provider.resolve_mode(route) == PROVIDERS[name].auto
    assert provider.key_env == PROVIDERS[name].key_env


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_the_compiler_accepts_exactly_the_tables_modes(tmp_path: Path, name: Provider) -> None:
    for mode in typing.get_args(StructuredOutput):
        route = f"provider: {name}, model: m, base_url: 'http://127.0.0.1:9/v1', structured_output: {mode}"
        text = BASE.replace("provider: openai, model: gpt-5.4-mini", route)
        result = compile_files(load_spec(write(tmp_path, text)).files)
        if mode in PROVIDERS[name].modes:
            assert result.program is not None, result.diagnostics
            assert result.program.models["fast"].structured_output == mode
        else:
            assert [d.code for d in result.diagnostics if d.is_error] == ["E052"], mode


def test_the_go_and_typescript_runtimes_have_the_tables_providers_and_keys() -> None:
    go_registry = re.search(
        r"func newProviders\(\) map\[string\]provider \{\s*return map\[string\]provider\{(.*?)\}\n",
        GO,
        re.S,
    )
    assert go_registry is not None
    assert re.findall(r'"([a-z-]+)":', go_registry.group(1)) == list(PROVIDERS)
    go_keys = dict(
        re.findall(r'func \(\*?(\w+)\) keyEnv\(\) string\s*\{ return "([A-Z_]*)" \}', GO)
    )
    go_names = dict(re.findall(r'func \(\*?(\w+)\) name\(\) string\s*\{ return "([a-z-]+)" \}', GO))
    assert {go_names[t]: go_keys[t] or None for t in go_names} == {
        n: f.key_env for n, f in PROVIDERS.items()
    }
    ts_registry = re.search(
        r"export const PROVIDERS: Record<string, \(\) => Provider> = \{(.*?)\};", TS, re.S
    )
    assert ts_registry is not None
    assert [
        k.strip('"') for k in re.findall(r'^\s*("?[a-z-]+"?):', ts_registry.group(1), re.M)
    ] == list(PROVIDERS)
    ts_keys = dict(
        re.findall(
            r'readonly name = "([a-z-]+)";\s*(?:protected override keyEnv: string \| null = "([A-Z_]+)";)?',
            TS,
        )
    )
    assert {n: k or None for n, k in ts_keys.items()} == {
        n: f.key_env for n, f in PROVIDERS.items()
    }
