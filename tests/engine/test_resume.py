"""Checkpoints and resume against a real HTTP model server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_support import ModelServer, compile_text

from aiwf._errors import AiwfError
from aiwf.engine import Checkpoints, Engine, RouterClient, RunFailed
from aiwf.runtime import Router, Runtime
from aiwf.stores import open_store

SPEC = """
aiwf: 1
name: t
models:
  m:
    provider: openai-compatible
    base_url: "{base_url}"
    model: test
    retry: {{max_attempts: 1, repair_attempts: 0}}
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
  Nums: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
assistants:
  inc: {{model: m, instructions: "{inc}", input: Num, output: Num}}
  total: {{model: m, instructions: total, input: {{type: array, items: {{$ref: "#/schemas/Num"}}}}, output: Num}}
workflows:
  wide:
    input: Nums
    steps:
      - {{id: first, assistant: inc, input: {{n: 0}}}}
      - id: each
        assistant: inc
        scatter: ${{input.items}}
        input: ${{item}}
        needs: [first]
        concurrency: 3
      - {{id: reduce, assistant: total, input: "${{prev.output}}"}}
    output: {{each: "${{steps.each.output}}", total: "${{steps.reduce.output.n}}"}}
"""

Start = Callable[[Callable[[str, Any], Any]], ModelServer]


def make_answer(broken: set[int]) -> Callable[[str, Any], Any]:
    def answer(system: str, value: Any) -> Any:
        if system == "total":
            return {"n": sum(v["n"] for v in value)}
        if value["n"] in broken:
            return (400, f"cannot do {value['n']}")
        return {"n": value["n"] + 1}

    return answer


def engine_for(program: Any, store: Any) -> Engine:
    return Engine(program, RouterClient(Router(program.models, Runtime())), store=store)


async def test_resume_makes_no_repeated_call(tmp_path: Path, model_server: Start) -> None:
    broken = {4}
    server = model_server(make_answer(broken))
    program = compile_text(tmp_path, SPEC.format(base_url=server.base_url, inc="inc"))
    store = open_store(str(tmp_path / "store"))
    items = [{"n": 10 * i} for i in range(1, 7)] + [{"n": 4}, {"n": 80}]

    with pytest.raises(RunFailed) as info:
        await engine_for(program, store).run("wide", {"items": items}, run_id="r1")
    assert (info.value.step, info.value.index) == ("each", 6)
    assert "cannot do 4" in info.value.message
    assert "HTTP 400" in info.value.message
    first_calls = [c.input["n"] for c in server.calls]
    assert first_calls.count(0) == 1
    assert "reduce" not in str(server.calls)
    assert store.get_json("runs/r1/manifest.json")["status"] == "failed"

    broken.clear()
    # Items answered before the failure were checkpointed; one still in flight was cancelled.
    done_before = {
        output["n"] - 1 for output, _ in Checkpoints(store, "r1").load_items("each").values()
    }
    assert not list(store.list("runs/r1/steps/each/items/"))  # no file per item
    assert len(list(store.list("runs/r1/steps/each/journal/"))) == 1
    assert done_before
    assert done_before <= {n for n in first_calls if n != 4}
    result = await engine_for(program, store).resume("r1")
    assert result.output["each"] == [{"n": v["n"] + 1} for v in items]
    assert result.output["total"] == sum(v["n"] + 1 for v in items)
    second_calls = [c.input for c in server.calls[len(first_calls) :]]
    # Only what had not finished is called again: nothing answered before is repeated.
    repeated = [v for v in second_calls if isinstance(v, dict) and v["n"] in done_before]
    assert repeated == []
    again = [v["n"] for v in second_calls if isinstance(v, dict)]
    assert sorted(again) == sorted({v["n"] for v in items} - done_before)
    assert isinstance(second_calls[-1], list)  # the reducer ran once, at the end
    totals = result.trace.totals()
    assert totals["steps_resumed"] == 1  # "first"
    assert totals["items_resumed"] == len(items) - len(second_calls) + 1
    assert store.get_json("runs/r1/manifest.json")["status"] == "succeeded"
    assert store.get_json("runs/r1/result.json") == result.output


async def test_resume_refuses_a_changed_spec(tmp_path: Path, model_server: Start) -> None:
    server = model_server(make_answer({30}))
    store = open_store(str(tmp_path / "store"))
    program = compile_text(tmp_path, SPEC.format(base_url=server.base_url, inc="inc"))
    with pytest.raises(RunFailed):
        await engine_for(program, store).run("wide", {"items": [{"n": 30}]}, run_id="r2")
    changed = compile_text(tmp_path, SPEC.format(base_url=server.base_url, inc="inc!"))
    calls = len(server.calls)
    with pytest.raises(AiwfError) as info:
        await engine_for(changed, store).resume("r2")
    assert info.value.code == "E503"
    assert "another version of the spec" in info.value.message
    assert len(server.calls) == calls


async def test_resume_of_an_unknown_run(tmp_path: Path, model_server: Start) -> None:
    server = model_server(make_answer(set()))
    program = compile_text(tmp_path, SPEC.format(base_url=server.base_url, inc="inc"))
    with pytest.raises(AiwfError) as info:
        await engine_for(program, open_store(str(tmp_path / "s"))).resume("nope")
    assert info.value.code == "E503"
    assert "no run 'nope'" in info.value.message
