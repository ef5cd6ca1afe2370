"""The conformance vectors of tests/conformance, run on the generated Python SDK."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import typing
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sdkgen_support import ROOT, golden_files

from aiwf.generate.targets.pycode import snake_identifier
from aiwf.generate.templates import locate
from aiwf.runtime import ModelRequest, ModelResponse, ProviderError, StreamEvent, Usage

VECTORS = sorted((ROOT / "tests" / "conformance").glob("*.json"))


class PlaybackClient:
    """Answers from a vector's `calls`, matched on step and input."""

    def __init__(self, calls: list[dict[str, typing.Any]]) -> None:
        self.calls = [dict(c) for c in calls]
        self.used: list[int] = []

    async def complete(self, request: ModelRequest) -> ModelResponse:
        for i, call in enumerate(self.calls):
            if i in self.used:
                continue
            if call["step"] == request.metadata.step and call["input"] == request.input:
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


@pytest.mark.parametrize("vector_path", VECTORS, ids=[v.stem for v in VECTORS])
def test_vector_on_generated_python_sdk(vector_path: Path, tmp_path: Path) -> None:
    vector = json.loads(vector_path.read_text(encoding="utf-8"))
    spec = (vector_path.parent / vector["spec"]).resolve()
    package = "conformance_" + snake_identifier(vector_path.stem)
    files = golden_files(spec, package, locate(), tmp_path)
    sdk = tmp_path / "sdk" / "python"
    for rel, text in files.items():
        (sdk / rel).parent.mkdir(parents=True, exist_ok=True)
        (sdk / rel).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(sdk / "src"))
    try:
        module = importlib.import_module(package)
    finally:
        sys.path.remove(str(sdk / "src"))
    workflow = getattr(module.workflows, snake_identifier(vector["workflow"]))
    input_model = typing.get_type_hints(workflow)["data"]
    client = PlaybackClient(vector["calls"])
    trace = module.Trace()
    result = asyncio.run(
        workflow(input_model.model_validate(vector["input"]), client=client, trace=trace)
    )
    got = result.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert got == vector["expected"]["result"]
    assert trace.outline() == vector["expected"]["trace"]
    assert sorted(client.used) == list(range(len(vector["calls"])))
