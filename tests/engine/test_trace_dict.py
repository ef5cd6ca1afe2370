"""RunTrace.to_dict builds the trace field by field (for speed): it must give exactly what
``dataclasses.asdict`` gives, in the same key order, and copy what it takes. RunTrace.to_json
(what checkpoints store) must be those data as JSON, byte for byte."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

import orjson

from aiwf.engine._trace import ItemSpan, RunTrace, StepSpan
from aiwf.runtime._types import AttemptRecord, made
from aiwf.stores._base import encode_json


def _as_asdict_gives(trace: RunTrace, *, items: bool) -> dict[str, Any]:
    """The trace's JSON data built with dataclasses.asdict (the definition)."""
    if items:
        data = asdict(trace)
        data["steps"] = [asdict(s) for s in trace.steps.values()]
    else:
        data = {f.name: getattr(trace, f.name) for f in fields(trace)}
        data["steps"] = []
        for span in trace.steps.values():
            step = {f.name: getattr(span, f.name) for f in fields(span) if f.name != "items"}
            step["attempt_log"] = [asdict(a) for a in span.attempt_log]
            step["items"] = []
            data["steps"].append(step)
    data["totals"] = trace.totals()
    data["outline"] = trace.outline()
    return data


def _trace() -> RunTrace:
    ok = AttemptRecord("m", "openai-compatible", "bench", "ok", "call", 5, 3)
    failed = AttemptRecord(None, "anthropic", "claude", "http 529", "retry", 0, 0)
    trace = RunTrace("r1", "fan", "bench", "sha256:x", status="failed", error="boom")
    each = StepSpan("each", "inc", scatter=True, status="failed", started_at=1.5, items_total=4)
    each.items = [
        ItemSpan(0, "ok", 0.02, 1, 5, 3, "req-0", None, [ok]),
        ItemSpan(1, "skipped", 0.5, 2, 0, 0, None, "R007 connection failed", [failed, failed]),
        ItemSpan(2, "resumed", error="skipped in an earlier attempt"),
        ItemSpan(3, "failed", 1.0, 2, 5, 3, None, "R006 invalid", [failed, ok]),
    ]
    each.calls, each.attempts, each.retries, each.items_done = 3, 5, 2, 3
    one = StepSpan("one", "inc", status="ok", latency=0.1, calls=1, attempts=2)
    one.attempt_log = [failed, ok]
    trace.steps = {"each": each, "one": one, "later": StepSpan("later", "inc")}
    return trace


def test_to_dict_is_what_asdict_gives_in_the_same_order() -> None:
    trace = _trace()
    for items in (True, False):
        expected = _as_asdict_gives(trace, items=items)
        got = trace.to_dict(items=items)
        assert got == expected
        assert json.dumps(got) == json.dumps(expected)  # key order too


def test_to_dict_copies_the_spans() -> None:
    trace = _trace()
    data = trace.to_dict()
    data["steps"][0]["items"][0]["attempt_log"][0]["outcome"] = "changed"
    data["steps"][0]["items"].clear()
    span = trace.steps["each"]
    assert len(span.items) == 4
    assert span.items[0].attempt_log[0].outcome == "ok"
    assert isinstance(data["steps"][1]["attempt_log"][0], dict)
    assert RunTrace.from_dict(trace.to_dict()).to_dict() == trace.to_dict()


def test_the_outline_lists_every_call_that_ran() -> None:
    def entry(step: str, index: int | None, status: str, attempts: list[str], tokens: list[int]):
        return {"step": step, "index": index, "assistant": "inc", "status": status,
                "attempts": attempts, "tokens": tokens}  # fmt: skip

    assert _trace().outline() == [
        entry("each", 0, "ok", ["m ok"], [5, 3]),
        entry("each", 1, "skipped", ["anthropic http 529", "anthropic http 529"], [0, 0]),
        entry("each", 3, "failed", ["anthropic http 529", "m ok"], [5, 3]),
        entry("one", None, "ok", ["anthropic http 529", "m ok"], [5, 3]),
    ]


def test_to_json_is_to_dict_as_json_byte_for_byte() -> None:
    trace = _trace()
    # The runtime makes its records without __init__ (their __dict__ in another order).
    trace.steps["each"].items[0].attempt_log = [
        made(AttemptRecord, alias="m", provider="p", model="x", outcome="ok", input_tokens=1)
    ]
    for items in (True, False):
        got = trace.to_json(items=items)
        assert got == orjson.dumps(trace.to_dict(items=items))
        assert json.loads(got) == _as_asdict_gives(trace, items=items)


def test_to_json_leaves_what_orjson_refuses_to_encode_json() -> None:
    trace = _trace()
    trace.steps["one"].input_tokens = 2**70  # past orjson's 64 bits
    assert trace.to_json() == encode_json(trace.to_dict())
    assert json.loads(trace.to_json())["steps"][1]["input_tokens"] == 2**70


def test_a_trace_dict_is_stored_as_encode_json_would_store_it() -> None:
    from aiwf.stores._base import encode_own_json

    data = _trace().to_dict()
    assert json.loads(encode_own_json(data)) == json.loads(encode_json(data))
    big = {"tokens": 2**70, "text": "é"}
    assert encode_own_json(big) == encode_json(big)


def test_a_trace_with_a_lone_surrogate_in_an_error_is_still_written() -> None:
    trace = _trace()
    trace.error = "provider said \ud800"
    assert json.loads(trace.to_json())["error"] == "provider said \ud800"
