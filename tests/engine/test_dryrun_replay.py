"""The dry-run model's values, and record/replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_support import compile_text
from jsonschema import Draft202012Validator, FormatChecker

from aiwf._errors import AiwfError
from aiwf._ir.formats import check_format
from aiwf._ir.routes import Route
from aiwf.engine import DryRunClient, Engine, Recorder, ReplayClient, ReplayMiss, make_value
from aiwf.engine._dryrun import sample_input
from aiwf.runtime._types import ModelRequest

RICH: dict[str, Any] = {
    "type": "object",
    "required": ["id", "kind", "score", "tags", "when", "code", "node", "choice", "both", "k"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "kind": {"enum": ["a", "b", 3]},
        "k": {"const": {"fixed": True}},
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "count": {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 5},
        "tags": {
            "type": "array",
            "items": {"type": "string", "minLength": 3, "maxLength": 5},
            "minItems": 2,
            "maxItems": 4,
            "uniqueItems": True,
        },
        "when": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "format": "email"},
        "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{2,4}$"},
        "maybe": {"type": ["string", "null"]},
        "node": {"$ref": "#/$defs/Node"},
        "choice": {
            "oneOf": [{"type": "integer", "minimum": 100}, {"type": "string", "maxLength": 3}]
        },
        "both": {
            "allOf": [
                {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}},
                {"required": ["y"], "properties": {"y": {"type": "boolean"}}},
            ]
        },
    },
    "$defs": {
        "Node": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            },
        }
    },
}


@pytest.mark.parametrize("seed", range(40))
def test_made_up_values_are_valid(seed: int) -> None:
    value = make_value(RICH, seed=seed)
    validator = Draft202012Validator(RICH, format_checker=FormatChecker())
    assert list(validator.iter_errors(value)) == []
    assert check_format("uuid", value["id"])
    assert check_format("date-time", value["when"])


def test_values_are_deterministic_per_seed() -> None:
    assert make_value(RICH, seed=7) == make_value(RICH, seed=7)
    assert len({json.dumps(make_value(RICH, seed=s), sort_keys=True) for s in range(10)}) > 5


def _request(value: Any) -> ModelRequest:
    route = Route(provider="openai-compatible", model="m", base_url="http://127.0.0.1:9")
    return ModelRequest(route=route, instructions="x", input=value, output_schema=RICH)


async def test_dry_run_client_answers_per_request_and_seed() -> None:
    client = DryRunClient(seed=1)
    a1 = await client.complete(_request({"q": 1}))
    a2 = await client.complete(_request({"q": 1}))
    b = await client.complete(_request({"q": 2}))
    other = await DryRunClient(seed=2).complete(_request({"q": 1}))
    assert a1.output == a2.output
    assert a1.output != b.output or a1.output != other.output
    assert json.loads(a1.text) == a1.output
    assert a1.provider == "dry-run"
    assert a1.usage.input_tokens > 0
    assert client.calls == 3


WORKFLOW = """
aiwf: 1
name: t
models:
  m: {provider: openai, model: gpt-x}
schemas:
  Ticket: {type: object, required: [id, body], properties: {id: {type: string, pattern: "^T-[0-9]{3}$"}, body: {type: string}}}
  Triage:
    type: object
    required: [id, urgency, labels]
    properties:
      id: {type: string}
      urgency: {type: integer, minimum: 1, maximum: 5}
      labels: {type: array, items: {enum: [a, b, c]}, uniqueItems: true}
assistants:
  classify: {model: m, instructions: Classify., input: Ticket, output: Triage}
workflows:
  triage:
    input: {type: object, required: [tickets], properties: {tickets: {type: array, items: {$ref: "#/schemas/Ticket"}, minItems: 2}}}
    steps:
      - {id: classify, assistant: classify, scatter: "${input.tickets}", input: "${item}"}
    output: {triaged: "${steps.classify.output}"}
"""


async def test_dry_run_a_workflow_with_a_sample_input(tmp_path: Path) -> None:
    program = compile_text(tmp_path, WORKFLOW)
    value = sample_input(program, "triage", seed=4)
    assert len(value["tickets"]) >= 2
    assert all(t["id"].startswith("T-") for t in value["tickets"])
    assert sample_input(program, "triage", seed=4) == value
    result = await Engine(program, DryRunClient(4)).run("triage", value)
    again = await Engine(program, DryRunClient(4)).run("triage", value)
    assert result.output == again.output
    assert len(result.output["triaged"]) == len(value["tickets"])


async def test_record_then_replay(tmp_path: Path) -> None:
    program = compile_text(tmp_path, WORKFLOW)
    value = sample_input(program, "triage", seed=1)
    path = tmp_path / "run.replay.jsonl"
    with Recorder(DryRunClient(9), path, header={"spec": "t"}) as recorder:
        recorded = await Engine(program, recorder).run("triage", value)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"aiwf_replay": 2, "spec": "t"}
    assert len(lines) == 1 + len(value["tickets"])
    entry = json.loads(lines[1])
    assert entry["fingerprint"].startswith("sha256:")
    assert entry["step"] == "classify"

    replay = ReplayClient(path)
    replayed = await Engine(program, replay).run("triage", value)
    assert replayed.output == recorded.output
    assert replay.calls == len(value["tickets"])

    changed = {"tickets": [{**t, "body": t["body"] + "!"} for t in value["tickets"]]}
    with pytest.raises(AiwfError) as info:
        await Engine(program, ReplayClient(path)).run("triage", changed)
    assert isinstance(info.value.__cause__, ReplayMiss) or "no recorded answer" in str(info.value)


def test_replay_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "replay"}\n')
    with pytest.raises(AiwfError, match="not an aiwf replay file"):
        ReplayClient(bad)
    with pytest.raises(AiwfError, match="cannot read the replay file"):
        ReplayClient(tmp_path / "missing.jsonl")
