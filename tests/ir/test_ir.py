"""The IR: compile output, determinism, round trips, and the format schema in sync."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from spec_support import BASE, run_cli, write

from aiwf._ir.compiler import compile_files
from aiwf._ir.model import IR_VERSION, load_ir
from aiwf._ir.routes import Retry, Route
from aiwf._spec import load_spec
from aiwf._spec.format_schema import generate_schema, read_schema_text

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "presets" / "workflows").glob("*.aiwf.yaml"))


def compile_text(tmp: Path, text: str):  # type: ignore[no-untyped-def]
    loaded = load_spec(write(tmp, text))
    result = compile_files(loaded.files)
    assert result.program is not None, result.diagnostics
    return result.program


def test_shipped_format_schema_matches_the_models() -> None:
    assert json.loads(read_schema_text()) == generate_schema(), (
        "aiwf/_spec/aiwf.schema.json is stale: run python -m aiwf._spec.format_schema"
    )


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_presets_validate_against_the_format_schema(preset: Path) -> None:
    data = yaml.safe_load(preset.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(read_schema_text())).validate(data)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_presets_validate_cleanly(preset: Path) -> None:
    run = run_cli("validate", "--strict", str(preset))
    assert (run.code, run.out) == (0, "")


def test_compile_is_deterministic_and_relative(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "deeper" / "two"
    write(one, BASE)
    write(two, BASE)
    out_one, out_two = tmp_path / "a.json", tmp_path / "b.json"
    assert run_cli("compile", str(one / "spec.aiwf.yaml"), "-o", str(out_one)).code == 0
    assert run_cli("compile", str(two / "spec.aiwf.yaml"), "-o", str(out_two)).code == 0
    assert out_one.read_bytes() == out_two.read_bytes()
    assert str(tmp_path) not in out_one.read_text()
    data = json.loads(out_one.read_text())
    assert data["ir_version"] == IR_VERSION
    assert data["sources"] == ["spec.aiwf.yaml"]


def test_ir_round_trips(tmp_path: Path) -> None:
    program = compile_text(tmp_path, BASE)
    again = load_ir(program.to_json())
    assert again == program
    assert again.to_json() == program.to_json()
    assert again.digest() == program.digest()


def test_load_ir_refuses_other_versions() -> None:
    from aiwf._errors import AiwfError

    with pytest.raises(AiwfError, match="IR version 99 is not supported"):
        load_ir('{"ir_version": 99}')


def test_steps_in_execution_order_with_edges(tmp_path: Path) -> None:
    text = BASE.replace(
        "      - id: classify\n",
        "      - id: late\n        assistant: summarize\n        input: ${steps.digest.output.headline}\n        needs: [classify]\n      - id: classify\n",
    ).replace("input: ${prev.output}", "input: ${steps.classify.output}")
    text = text.replace(
        'summarize:\n    model: fast\n    instructions: Summarise.\n    input: {type: array, items: {$ref: "#/schemas/Triage"}}',
        "summarize:\n    model: fast\n    instructions: Summarise.\n    input: true",
    )
    program = compile_text(tmp_path, text)
    flow = program.workflows["triage"]
    assert [s.id for s in flow.steps] == ["classify", "digest", "late"]
    assert flow.edges == (("classify", "digest"), ("classify", "late"), ("digest", "late"))
    late = flow.steps[2]
    assert late.depends_on == ("classify", "digest")
    assert late.needs == ("classify",)


def test_contracts_and_json_schema(tmp_path: Path) -> None:
    program = compile_text(tmp_path, BASE)
    assert sorted(program.contracts) == [
        "SummarizeInput", "SummarizeOutput", "Ticket", "Triage", "TriageInput", "TriageOutput",
    ]  # fmt: skip
    schema = program.json_schema("TriageOutput")
    assert set(schema["$defs"]) == {"SummarizeOutput", "Triage"}
    validator = jsonschema.Draft202012Validator(schema)
    good = {"digest": {"headline": "h"}, "triaged": [{"ticket_id": "1", "category": "bug"}]}
    assert not list(validator.iter_errors(good))
    bad = {"digest": {"headline": "h"}, "triaged": [{"ticket_id": "1", "category": "nope"}]}
    assert list(validator.iter_errors(bad))


def test_local_defs_are_hoisted_and_recursive_refs_work(tmp_path: Path) -> None:
    text = BASE.replace(
        "assistants:\n",
        "  Node:\n    type: object\n    required: [name]\n    properties:\n      name: {type: string}\n"
        "      children: {type: array, items: {$ref: '#'}}\n      meta: {$ref: '#/$defs/meta'}\n"
        "    $defs:\n      meta: {type: object, properties: {owner: {type: string}}}\n"
        "assistants:\n  tree: {model: fast, instructions: x, input: Node, output: Node}\n",
    )
    program = compile_text(tmp_path, text)
    assert program.contracts["NodeMeta"].origin == "defs"
    schema = program.json_schema("Node")
    assert set(schema["$defs"]) == {"Node", "NodeMeta"}
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(
        validator.iter_errors(
            {"name": "a", "children": [{"name": "b", "children": []}], "meta": {"owner": "x"}}
        )
    )
    assert list(validator.iter_errors({"name": "a", "children": [{"nam": "b"}]}))


def test_environment_overrides_apply_to_routes(tmp_path: Path) -> None:
    write(tmp_path, BASE, "specs/spec.aiwf.yaml")
    (tmp_path / "aiwf.toml").write_text(
        'spec = "specs"\n[environments.prod.models.fast]\nmodel = "gpt-5.4"\ntemperature = 0.1\n',
        encoding="utf-8",
    )
    out = tmp_path / "ir.json"
    run = run_cli(
        "--config",
        str(tmp_path / "aiwf.toml"),
        "compile",
        "--env",
        "prod",
        str(tmp_path / "specs"),
        "-o",
        str(out),
    )
    assert run.code == 0, run.err
    route = json.loads(out.read_text())["models"]["fast"]
    assert (route["model"], route["temperature"], route["provider"]) == ("gpt-5.4", 0.1, "openai")
    shutil.rmtree(tmp_path / "specs")


def test_integral_floats_are_integers_in_the_ir(tmp_path: Path) -> None:
    """JSON Schema counts 8.0 as an integer, and so does the structure check; the IR holds
    the integer."""
    text = (
        BASE.replace(
            "scatter: ${input.tickets}", "scatter: ${input.tickets}\n        concurrency: 8.0"
        )
        .replace("model: gpt-5.4-mini}", "model: gpt-5.4-mini, max_tokens: 1024.0}")
        .replace("    input: Ticket\n", "    input: Ticket\n    retry: {max_attempts: 2.0}\n")
    )
    program = compile_text(tmp_path, text)
    scatter = program.workflows["triage"].steps[0].scatter
    assert scatter is not None
    assert (scatter.concurrency, type(scatter.concurrency)) == (8, int)
    assert program.models["fast"].max_tokens.__class__ is int
    assert program.assistants["classify"].retry.max_attempts.__class__ is int


def test_route_maps_keep_their_entries(tmp_path: Path) -> None:
    """Filling in defaults keeps what a map of free keys (headers) holds."""
    text = BASE.replace(
        "model: gpt-5.4-mini}",
        "model: gpt-5.4-mini, headers: {X-Team: support}, retry: {max_attempts: 4}}",
    )
    route = compile_text(tmp_path, text).models["fast"]
    assert route.headers == {"X-Team": "support"}
    assert route.retry == Retry(max_attempts=4)  # the other fields: defaults, filled in
    assert route.to_dict()["retry"]["repair_attempts"] == 1


def test_routes_and_retries_are_typed_and_keep_the_ir_json(tmp_path: Path) -> None:
    """The IR's routes are frozen Route values (nothing re-parses them at run time), and its
    JSON keeps every route field, null ones included, and reads back to the same program."""
    text = BASE.replace(
        "model: gpt-5.4-mini}",
        "model: gpt-5.4-mini, fallback: [fast2], timeout: 30, retry: {deadline: 1, max_delay: 2}}",
    ).replace("models:\n", "models:\n  fast2: {provider: openai, model: gpt-5.4}\n")
    program = compile_text(tmp_path, text)
    route = program.models["fast"]
    assert isinstance(route, Route)
    assert route.fallback == ("fast2",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        route.model = "other"  # type: ignore[misc]
    data = json.loads(program.to_json())
    assert data["models"]["fast"]["base_url"] is None
    assert data["models"]["fast"]["fallback"] == ["fast2"]
    assert data["assistants"]["classify"]["retry"] == data["models"]["fast"]["retry"]  # inherited
    assert data["models"]["fast2"]["base_url"] is None
    assert data["models"]["fast"]["timeout"] == 30
    assert data["models"]["fast"]["retry"]["deadline"] == 1
    again = load_ir(program.to_json())
    assert again.models == program.models
    assert again.digest() == program.digest()
    assert again.to_json() == program.to_json()
