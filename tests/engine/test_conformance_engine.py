"""The conformance vectors of tests/conformance, run on the Python engine (the generated
SDKs run the same files: tests/generate/test_conformance.py and the Go and TypeScript
suites)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aiwf.engine import Engine
from aiwf.ir.compiler import compile_files
from aiwf.runtime import ModelRequest, ModelResponse, ProviderError, StreamEvent, Usage
from aiwf.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
VECTORS = sorted((ROOT / "tests" / "conformance").glob("*.json"))


class Playback:
    """Answers from a vector's ``calls``, matched on step and input (README.md)."""

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self.calls = calls
        self.used: list[int] = []

    async def complete(self, request: ModelRequest) -> ModelResponse:
        for i, call in enumerate(self.calls):
            if i in self.used or call["step"] != request.metadata.step:
                continue
            if call["input"] == request.input:
                self.used.append(i)
                if "error" in call:
                    raise ProviderError(call["error"], retryable=False)
                return ModelResponse(
                    output=call["output"], text=json.dumps(call["output"]), usage=Usage(1, 1),
                    request_id=None, model="playback", provider="playback", attempts=1, latency=0.0,
                )  # fmt: skip
        raise AssertionError(f"no call recorded for {request.metadata.step}: {request.input!r}")

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        raise NotImplementedError


def outline(trace: Any) -> list[dict[str, Any]]:
    """The trace outline of README.md: one entry per call, in step order and item order."""
    out: list[dict[str, Any]] = []
    for span in trace.steps.values():
        if span.scatter:
            out += [
                {
                    "step": span.step,
                    "index": item.index,
                    "assistant": span.assistant,
                    "status": item.status,
                }
                for item in sorted(span.items, key=lambda i: i.index)
            ]
        else:
            out.append(
                {
                    "step": span.step,
                    "index": None,
                    "assistant": span.assistant,
                    "status": span.status,
                }
            )
    return out


@pytest.mark.parametrize("vector_path", VECTORS, ids=[v.stem for v in VECTORS])
def test_vector_on_the_engine(vector_path: Path) -> None:
    vector = json.loads(vector_path.read_text(encoding="utf-8"))
    loaded = load_spec((vector_path.parent / vector["spec"]).resolve())
    program = compile_files(loaded.files).program
    assert program is not None
    client = Playback(vector["calls"])
    result = asyncio.run(Engine(program, client).run(vector["workflow"], vector["input"]))
    assert result.output == vector["expected"]["result"]
    assert outline(result.trace) == vector["expected"]["trace"]
    assert sorted(client.used) == list(range(len(vector["calls"])))
