"""The engine on hand-written DAGs compiled by the real compiler."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from engine_support import ScriptedModel, compile_text

from aiwf._errors import AiwfError
from aiwf.engine import Checkpoints, Engine, RunFailed
from aiwf.runtime import BadRequest
from aiwf.runtime._types import ModelRequest
from aiwf.stores import open_store

HEAD = """
aiwf: 1
name: t
models:
  m: {provider: openai-compatible, base_url: "http://127.0.0.1:9/v1", model: test}
schemas:
  Num: {type: object, required: [n], properties: {n: {type: integer}}}
  Pair:
    type: object
    required: [a, b]
    properties: {a: {$ref: "#/schemas/Num"}, b: {$ref: "#/schemas/Num"}}
  Nums: {type: object, required: [items], properties: {items: {type: array, items: {$ref: "#/schemas/Num"}}}}
  Text: {type: object, required: [text], properties: {text: {type: string}}}
#SCHEMAS#
assistants:
  inc: {model: m, instructions: inc, input: Num, output: Num}
  add: {model: m, instructions: add, input: Pair, output: Num}
  total: {model: m, instructions: total, input: {type: array, items: {$ref: "#/schemas/Num"}}, output: Num}
  nullable_total:
    model: m
    instructions: total
    input: {type: array, items: {anyOf: [{$ref: "#/schemas/Num"}, {type: "null"}]}}
    output: Num
  echo: {model: m, instructions: echo, input: {}, output: Text}
"""


def arithmetic(request: ModelRequest) -> Any:
    """inc: n+1; add: a.n+b.n; total: sum of n (nulls count 0); echo: the input as text."""
    value = request.input
    if request.instructions == "inc":
        if value["n"] < 0:
            raise BadRequest("negative numbers are refused", provider="scripted", status=400)
        return {"n": value["n"] + 1}
    if request.instructions == "add":
        return {"n": value["a"]["n"] + value["b"]["n"]}
    if request.instructions == "total":
        return {"n": sum(v["n"] for v in value if v is not None)}
    import json

    return {"text": value if isinstance(value, str) else json.dumps(value, sort_keys=True)}


DIAMOND = (
    HEAD.replace("#SCHEMAS#", "")
    + """
workflows:
  diamond:
    input: Num
    steps:
      - {id: a, assistant: inc, input: "${input}"}
      - {id: b, assistant: inc, input: "${steps.a.output}"}
      - {id: c, assistant: inc, input: {n: "${steps.a.output.n}"}}
      - {id: d, assistant: add, input: {a: "${steps.b.output}", b: "${steps.c.output}"}}
    output:
      sum: ${steps.d.output.n}
      parts: ["${steps.b.output.n}", "${steps.c.output.n}"]
"""
)


async def test_diamond_runs_branches_in_parallel(tmp_path: Path) -> None:
    program = compile_text(tmp_path, DIAMOND)
    model = ScriptedModel(arithmetic)
    result = await Engine(program, model).run("diamond", {"n": 1})
    assert result.output == {"sum": 6, "parts": [3, 3]}
    assert [c.step for c in model.calls] == ["a", "b", "c", "d"]
    # b and c were in flight together; d started only after both ended.
    assert model.max_in_flight == 2
    order = [(kind, step) for kind, step in model.events]
    assert order.index(("start", "c")) < order.index(("end", "b"))
    assert order.index(("start", "d")) > max(order.index(("end", "b")), order.index(("end", "c")))
    totals = result.trace.totals()
    assert totals["calls"] == 4
    assert totals["input_tokens"] == 40
    assert totals["output_tokens"] == 20
    assert result.trace.status == "succeeded"


SCATTER = (
    HEAD.replace("#SCHEMAS#", "")
    + """
workflows:
  wide:
    input: Nums
    steps:
      - id: each
        assistant: inc
        scatter: ${input.items}
        input: ${item}
        concurrency: 4
      - id: reduce
        assistant: total
        input: ${prev.output}
    output:
      each: ${steps.each.output}
      total: ${steps.reduce.output.n}
"""
)


async def test_wide_scatter_keeps_input_order_and_bounds_concurrency(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SCATTER)
    model = ScriptedModel(arithmetic)
    # Later items finish first: item i yields (50 - i) times before answering.
    model.yields = lambda call: 0 if call.index is None else 50 - call.index
    items = [{"n": i} for i in range(50)]
    result = await Engine(program, model).run("wide", {"items": items})
    assert result.output["each"] == [{"n": i + 1} for i in range(50)]
    assert result.output["total"] == sum(range(1, 51))
    assert model.max_in_flight == 4
    ends = [c.index for c in model.calls if c.step == "each"]
    assert ends != sorted(ends)  # they did finish out of order
    span = result.trace.steps["each"]
    assert (span.items_total, span.items_done, span.calls) == (50, 50, 50)
    assert [item.index for item in span.items] == list(range(50))
    assert all(item.status == "ok" for item in span.items)


async def test_global_cap_bounds_every_scatter(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SCATTER)
    model = ScriptedModel(arithmetic)
    model.yields = lambda call: 3
    await Engine(program, model, max_concurrency=2).run(
        "wide", {"items": [{"n": i} for i in range(10)]}
    )
    assert model.max_in_flight == 2


async def test_empty_scatter_gives_an_empty_list(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SCATTER)
    model = ScriptedModel(arithmetic)
    result = await Engine(program, model).run("wide", {"items": []})
    assert result.output == {"each": [], "total": 0}
    assert [c.step for c in model.calls] == ["reduce"]


CHAIN = (
    HEAD.replace("#SCHEMAS#", "")
    + """
workflows:
  chain:
    input: Num
    steps:
      - {id: s1, assistant: inc, input: "${input}"}
      - {id: s2, assistant: inc, input: "${prev.output}"}
      - {id: s3, assistant: inc, input: "${prev.output}"}
      - {id: s4, assistant: inc, input: "${prev.output}"}
      - {id: s5, assistant: inc, input: "${prev.output}"}
    output: {n: "${steps.s5.output.n}", first: "${steps.s1.output.n}"}
"""
)


async def test_prev_chain(tmp_path: Path) -> None:
    program = compile_text(tmp_path, CHAIN)
    model = ScriptedModel(arithmetic)
    result = await Engine(program, model).run("chain", {"n": 10})
    assert result.output == {"n": 15, "first": 11}
    assert [c.input["n"] for c in model.calls] == [10, 11, 12, 13, 14]


NESTED = (
    HEAD.replace(
        "#SCHEMAS#",
        """
  Order:
    type: object
    required: [customer, lines]
    properties:
      customer: {type: object, required: [name], properties: {name: {type: string}, tier: {type: string}}}
      lines:
        type: array
        items: {type: object, required: [sku, qty], properties: {sku: {type: string}, qty: {type: integer}}}
""",
    )
    + """
workflows:
  nested:
    input: Order
    steps:
      - id: first
        assistant: echo
        input: "${input.customer.name}"
      - id: lines
        assistant: echo
        scatter: ${input.lines}
        input:
          label: "line ${index} of ${input.customer.name}: ${item}"
          sku: ${item.sku}
          fixed: [1, "two", {three: 3}]
          tier: ${input.customer.tier}
      - id: again
        assistant: echo
        input: {texts: "${steps.lines.output}", who: "${steps.first.output.text}"}
    output:
      first: ${steps.first.output.text}
      lines: ${steps.lines.output}
      second_sku: ${input.lines[1].sku}
      first_text: ${steps.lines.output[0].text}
      again: ${steps.again.output.text}
"""
)


async def test_nested_paths_templates_and_literals(tmp_path: Path) -> None:
    program = compile_text(tmp_path, NESTED)
    model = ScriptedModel(arithmetic)
    order = {
        "customer": {"name": "Ada"},
        "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}],
    }
    result = await Engine(program, model).run("nested", order)
    assert result.output["first"] == "Ada"
    assert result.output["second_sku"] == "B-2"
    sent = [c.input for c in model.calls if c.step == "lines"]
    sent.sort(key=lambda v: v["sku"])
    # Non-string values are canonical JSON in templates (members sorted); a missing optional
    # key is left out.
    assert sent[0] == {
        "label": 'line 0 of Ada: {"qty":2,"sku":"A-1"}',
        "sku": "A-1",
        "fixed": [1, "two", {"three": 3}],
    }
    assert sent[1]["label"] == 'line 1 of Ada: {"qty":1,"sku":"B-2"}'
    assert result.output["first_text"] == result.output["lines"][0]["text"]
    again = [c.input for c in model.calls if c.step == "again"]
    assert again == [{"texts": result.output["lines"], "who": "Ada"}]


async def test_failure_in_the_middle_stops_the_chain(tmp_path: Path) -> None:
    program = compile_text(tmp_path, CHAIN)

    def answer(request: ModelRequest) -> Any:
        if request.metadata.step == "s3":
            raise BadRequest("the model refused", provider="scripted", status=400)
        return arithmetic(request)

    model = ScriptedModel(answer)
    with pytest.raises(RunFailed) as info:
        await Engine(program, model).run("chain", {"n": 0})
    error = info.value
    assert (error.step, error.index) == ("s3", None)
    assert isinstance(error.cause, BadRequest)
    assert "step s3 failed" in error.message
    assert "the model refused" in error.message
    assert [c.step for c in model.calls] == ["s1", "s2"]
    assert [c.step for c in model.started] == ["s1", "s2", "s3"]


async def test_failed_step_cancels_running_siblings(tmp_path: Path) -> None:
    program = compile_text(tmp_path, DIAMOND)

    def answer(request: ModelRequest) -> Any:
        if request.metadata.step == "b":
            raise BadRequest("b is broken", provider="scripted", status=400)
        return arithmetic(request)

    model = ScriptedModel(answer)
    model.gate = asyncio.Event()
    model.held = lambda call: call.step == "c"  # c waits forever
    with pytest.raises(RunFailed) as info:
        await Engine(program, model).run("diamond", {"n": 1})
    assert info.value.step == "b"
    assert model.cancelled == 1  # c was cancelled cleanly
    assert "d" not in [c.step for c in model.started]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_failed_scatter_item_names_its_index(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SCATTER)
    model = ScriptedModel(arithmetic)
    items = [{"n": 1}, {"n": 2}, {"n": -1}, {"n": 4}]
    with pytest.raises(RunFailed) as info:
        await Engine(program, model).run("wide", {"items": items})
    assert (info.value.step, info.value.index) == ("each", 2)
    assert "step each item 2 failed" in info.value.message
    assert "reduce" not in [c.step for c in model.started]


async def test_on_error_skip_turns_a_failed_item_into_null(tmp_path: Path) -> None:
    text = SCATTER.replace("concurrency: 4", "concurrency: 4\n        on_error: skip").replace(
        "assistant: total", "assistant: nullable_total"
    )
    program = compile_text(tmp_path, text)
    model = ScriptedModel(arithmetic)
    result = await Engine(program, model).run("wide", {"items": [{"n": 1}, {"n": -5}, {"n": 3}]})
    assert result.output["each"] == [{"n": 2}, None, {"n": 4}]
    assert result.output["total"] == 6
    span = result.trace.steps["each"]
    assert span.items_skipped == 1
    assert span.items[1].status == "skipped"
    assert "negative numbers are refused" in (span.items[1].error or "")


async def test_invalid_model_output_fails_the_step(tmp_path: Path) -> None:
    program = compile_text(tmp_path, CHAIN)
    model = ScriptedModel(lambda request: {"n": "many"})
    with pytest.raises(RunFailed) as info:
        await Engine(program, model).run("chain", {"n": 0})
    assert info.value.step == "s1"
    assert "output is not valid for Num" in info.value.message
    assert "/n: type: expected integer, got string" in info.value.message


async def test_invalid_input_is_refused_before_any_call(tmp_path: Path) -> None:
    program = compile_text(tmp_path, CHAIN)
    model = ScriptedModel(arithmetic)
    with pytest.raises(AiwfError) as info:
        await Engine(program, model).run("chain", {"n": "x"})
    assert info.value.code == "E502"
    assert "/n: type: expected integer, got string" in info.value.message
    assert model.started == []


async def test_cancelled_run_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SCATTER)
    store = open_store(str(tmp_path / "store"))
    model = ScriptedModel(arithmetic)
    model.gate = asyncio.Event()
    model.held = lambda call: call.index is not None and call.index >= 3
    engine = Engine(program, model, store=store)
    items = [{"n": i} for i in range(8)]
    task = asyncio.ensure_future(engine.run("wide", {"items": items}, run_id="run-1"))
    while len(model.started) < 7:  # items 0-2 done, 3-6 held (concurrency 4)
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert model.cancelled == 4
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    manifest = store.get_json("runs/run-1/manifest.json")
    assert manifest["status"] == "interrupted"
    # The items done before the cancel were committed when the step ended.
    done = Checkpoints(store, "run-1").load_items("each")
    assert sorted(output["n"] for output, _ in done.values()) == [1, 2, 3]

    model.gate.set()
    before = len(model.calls)
    result = await engine.resume("run-1")
    assert result.output["each"] == [{"n": i + 1} for i in range(8)]
    again = [c.index for c in model.calls[before:] if c.step == "each"]
    assert sorted(again) == [3, 4, 5, 6, 7]
    assert result.trace.steps["each"].items_resumed == 3


def test_a_fallback_shows_in_the_step_trace() -> None:
    from aiwf.engine._trace import StepSpan
    from aiwf.runtime import ModelResponse, Usage

    span = StepSpan(step="s", assistant="a")
    span.add_response(
        ModelResponse(
            output={},
            text="{}",
            usage=Usage(1, 1),
            request_id=None,
            model="m",
            provider="anthropic",
            attempts=1,
            latency=0.0,
            fallbacks=1,
            fallback_attempts=3,
        )
    )
    assert (span.calls, span.attempts, span.retries, span.fallbacks) == (1, 4, 3, 1)
