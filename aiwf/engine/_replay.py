"""Record and replay model exchanges: one JSON-lines file format.

``aiwf run --record FILE`` writes it, ``aiwf dry-run --replay FILE`` and :class:`ReplayClient`
(usable in anyone's tests as a :class:`~aiwf.runtime.ModelClient`) read it. The first line
is a header, every other line one answered request::

    {"aiwf_replay": 2, "spec": "support", "digest": "sha256:..."}
    {"fingerprint": "sha256:...", "assistant": "classify", "step": "classify", "index": 0,
     "response": {"output": {...}, "text": "...", "usage": {"input_tokens": 12, ...}, ...}}
    {"fingerprint": "sha256:...", "assistant": "classify", "step": "classify", "index": 1,
     "error": {"code": "R003", "message": "openai gpt-5.4-mini: ... (HTTP 400)", ...}}

A failed exchange is kept too (``error``: the runtime error with its class, code and exact
message), so a replay of a failed run fails the same way. Version 1 files (answers only)
still replay.

A request is found by its :func:`fingerprint`: the instructions, the input, the output schema
and its name. Routes are left out on purpose, so a run recorded against one provider replays
unchanged after the spec's ``models:`` (or an environment override) point elsewhere. When
one fingerprint was recorded several times (identical scatter items), the answers are served
in recorded order and the last one repeats.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from aiwf._errors import AiwfError
from aiwf.runtime._canonical import dumps, in_contract_order
from aiwf.runtime._errors import ProviderError, error_from_data, error_to_data
from aiwf.runtime._types import (
    AttemptRecord,
    Completed,
    ModelClient,
    ModelRequest,
    ModelResponse,
    StreamEvent,
    TextDelta,
    Usage,
)

#: Version of the replay file format (the header's ``aiwf_replay``); older ones still read.
REPLAY_VERSION = 2
_READS = (1, 2)


def fingerprint(request: ModelRequest, version: int = REPLAY_VERSION) -> str:
    """``sha256:<hex>`` of what determines a model's answer to ``request``: canonical JSON
    (docs/wire.md §1, members sorted), so every runtime computes the same fingerprint
    (version 1 files used Python's own JSON text)."""
    data = {
        "instructions": request.instructions,
        "input": request.input,
        "output_schema": request.output_schema,
        "schema_name": request.schema_name,
    }
    if version == 1:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          default=str)  # fmt: skip
    else:
        text = dumps(in_contract_order(data, None))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class ReplayMiss(AiwfError):
    """A request that the replay file has no answer for (``E510``)."""

    def __init__(self, request: ModelRequest, path: str) -> None:
        meta = request.metadata
        who = f"assistant {meta.assistant!r}" if meta.assistant else "a request"
        where = f" (step {meta.step!r})" if meta.step else ""
        super().__init__(
            f"{path} has no recorded answer for {who}{where}: fingerprint "
            f"{fingerprint(request)[:19]}... (its input or instructions differ from the recording)",
            code="E510",
            hint=f"record the run again: aiwf run ... --record {path}",
        )


def response_to_data(response: ModelResponse) -> dict[str, Any]:
    """A response as JSON data (the ``response`` of a replay line)."""
    data = asdict(response)
    data["usage"] = {
        "input_tokens": response.usage.input_tokens,
        "output_tokens": response.usage.output_tokens,
    }
    return data


def response_from_data(data: dict[str, Any]) -> ModelResponse:
    """The inverse of :func:`response_to_data`."""
    usage = data.get("usage") or {}
    return ModelResponse(
        output=data.get("output"),
        text=str(data.get("text", "")),
        usage=Usage(int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))),
        request_id=data.get("request_id"),
        model=str(data.get("model", "")),
        provider=str(data.get("provider", "")),
        attempts=int(data.get("attempts", 1)),
        latency=float(data.get("latency", 0.0)),
        stop_reason=data.get("stop_reason"),
        alias=data.get("alias"),
        fallbacks=int(data.get("fallbacks", 0)),
        fallback_attempts=int(data.get("fallback_attempts", 0)),
        attempt_log=tuple(AttemptRecord(**a) for a in data.get("attempt_log") or ()),
    )


class Recorder:
    """A :class:`ModelClient` that passes requests to ``client`` and appends every answered
    exchange to the replay file ``target`` (written as it goes: a failed run keeps what it
    got). Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        client: ModelClient,
        target: str | Path | IO[str],
        *,
        header: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self._lock = threading.Lock()
        if isinstance(target, (str, Path)):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            self._stream: IO[str] = Path(target).open("w", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._stream = target
            self._owned = False
        self.count = 0
        self._write({"aiwf_replay": REPLAY_VERSION, **(header or {})})

    def _write(self, data: dict[str, Any]) -> None:
        # Members in the order they came (outputs as the model wrote them), so that a replay
        # prints a result byte for byte as the recorded run did.
        line = json.dumps(data, ensure_ascii=False, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def record(
        self,
        request: ModelRequest,
        response: ModelResponse | None,
        error: ProviderError | None = None,
    ) -> None:
        """Append one exchange: its answer, or the runtime error it ended with."""
        meta = request.metadata
        entry: dict[str, Any] = {
            "fingerprint": fingerprint(request),
            "assistant": meta.assistant,
            "step": meta.step,
        }
        if error is not None:
            entry["error"] = error_to_data(error)
        else:
            assert response is not None
            entry["response"] = response_to_data(response)
        if "index" in meta.extra:
            entry["index"] = int(meta.extra["index"])
        self._write(entry)
        self.count += 1

    async def complete(self, request: ModelRequest) -> ModelResponse:
        try:
            response = await self.client.complete(request)
        except ProviderError as exc:
            self.record(request, None, exc)
            raise
        self.record(request, response)
        return response

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        try:
            async for event in self.client.stream(request):
                if isinstance(event, Completed):
                    self.record(request, event.response)
                yield event
        except ProviderError as exc:
            self.record(request, None, exc)
            raise

    def close(self) -> None:
        """Close the file if this recorder opened it."""
        if self._owned:
            self._stream.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReplayClient:
    """A :class:`ModelClient` that answers from a replay file written by ``--record``.

    Args:
        path: the replay file.

    Raises:
        AiwfError: (``E511``) the file is missing or not a replay file. A request without a
            recorded answer raises :class:`ReplayMiss` when it is made.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.header: dict[str, Any] = {}
        self._answers: dict[str, list[dict[str, Any]]] = {}
        self._served: dict[str, int] = {}
        self.calls = 0
        self.version = REPLAY_VERSION
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise AiwfError(
                f"cannot read the replay file {path}: {exc.strerror or exc}", code="E511"
            ) from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AiwfError(
                    f"{path}:{number}: not a replay line: {exc.msg}", code="E511"
                ) from None
            if number == 1:
                if not isinstance(data, dict) or data.get("aiwf_replay") not in _READS:
                    raise AiwfError(
                        f"{path} is not an aiwf replay file (version {REPLAY_VERSION})",
                        code="E511",
                        hint="write one with: aiwf run SPEC --record FILE",
                    )
                self.header = data
                self.version = int(data["aiwf_replay"])
                continue
            if (
                not isinstance(data, dict)
                or "fingerprint" not in data
                or not ("response" in data or "error" in data)
            ):
                raise AiwfError(
                    f"{path}:{number}: a replay line needs fingerprint and response (or error)",
                    code="E511",
                )
            self._answers.setdefault(str(data["fingerprint"]), []).append(data)
        if not lines:
            raise AiwfError(f"{path} is empty, not a replay file", code="E511")

    def __len__(self) -> int:
        return sum(len(v) for v in self._answers.values())

    async def complete(self, request: ModelRequest) -> ModelResponse:
        key = fingerprint(request, self.version)
        answers = self._answers.get(key)
        if not answers:
            raise ReplayMiss(request, self.path)
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        self.calls += 1
        entry = answers[min(served, len(answers) - 1)]
        if "error" in entry:
            raise error_from_data(entry["error"])
        return response_from_data(entry["response"])

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        response = await self.complete(request)
        yield TextDelta(response.text, 1)
        yield Completed(response)
