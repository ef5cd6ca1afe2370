"""The Go conformance runner (tests/conformance/runner_go.py) against a scripted server of
its own: the same vectors run on the Python engine (what ``aiwf run`` does) and on the Go
SDK, and the server must receive byte-identical request bodies and the same headers (the
User-Agent aside), and both must end the same way with the same trace outline.

The spec (wire.aiwf.yaml) lists its contracts' properties in no alphabetical order and the
inputs list their keys in no schema order, so a runner that sorts, or keeps the caller's
order, sends other bytes."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aiwf.engine._clients import RouterClient
from aiwf.engine._engine import Engine
from aiwf.engine._errors import RunFailed
from aiwf.engine._trace import ItemSpan, RunTrace, StepSpan
from aiwf._errors import AiwfError
from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program
from aiwf.runtime import Router, Runtime
from aiwf._spec import load_spec
from tests.conformance import runner_go

SPEC = Path(__file__).parent / "wire.aiwf.yaml"
KEY = "sk-conformance"


def openai(text: str, tokens: tuple[int, int] = (11, 7)) -> dict[str, Any]:
    return {"status": 200, "body": {
        "id": "resp", "status": "completed", "model": "gpt-wire",
        "output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}],
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
    }}  # fmt: skip


def anthropic(value: Any) -> dict[str, Any]:
    return {"status": 200, "body": {
        "id": "msg", "type": "message", "model": "claude-wire", "stop_reason": "tool_use",
        "content": [{"type": "tool_use", "id": "t", "name": "x", "input": value}],
        "usage": {"input_tokens": 20, "output_tokens": 9},
    }}  # fmt: skip


def compat(text: str) -> dict[str, Any]:
    return {"status": 200, "body": {
        "id": "c", "model": "llama-wire",
        "choices": [{"index": 0, "message": {"content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2},
    }}  # fmt: skip


TICKETS = [
    {"id": "T-1", "body": "Charged twice: 12345678901234567891 ¢ \u2028 😀", "subject": "Refund",
     "meta": {"tier": "pro", "weight": 0.5}},
    {"zz": True, "subject": "Crash", "id": "T-2"},
    {"subject": "Other", "id": "T-3"},
]  # fmt: skip

#: vector id -> (input, answers per alias in order)
VECTORS: dict[str, tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]] = {
    "retry-repair-skip": (
        {"tickets": TICKETS},
        {
            "fast": [
                openai('{"category": "billing", "ticket_id": "T-1", "urgency": 3}'),
                {"status": 429, "headers": {"retry-after-ms": "1"}, "body": {"error": {"message": "slow"}}},
                openai('{"urgency": 9, "ticket_id": "T-2", "category": "bug"}'),
                openai('{"urgency": 5, "ticket_id": "T-2", "category": "bug", "note": null}'),
                {"status": 400, "body": {"error": {"message": "no", "type": "invalid_request_error"}}},
            ],
            "careful": [anthropic({"count": 2, "headline": "Two tickets, one outage"})],
            "local": [
                {"reset": True},
                compat('"urgent"'),
            ],
        },
    ),
    "failure": (
        {"tickets": TICKETS[1:2]},
        {
            "fast": [openai('{"urgency": 1, "ticket_id": "T-2", "category": "other"}')],
            "careful": [{"status": 529, "body": {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}}] * 3,
        },
    ),
}  # fmt: skip


class Server:
    """Answers each (vector, alias) in script order; logs every request that arrives."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.log: dict[tuple[str, str], list[tuple[bytes, dict[str, str]]]] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                _, vector, alias, *_ = self.path.split("/")
                with server.lock:
                    server.log.setdefault((vector, alias), []).append(
                        (body, {k.lower(): v for k, v in self.headers.items()})
                    )
                    queue = server.script.get((vector, alias), [])
                    answer = (
                        queue.pop(0) if queue else {"status": 599, "body": {"error": "unscripted"}}
                    )
                if answer.get("reset"):
                    self.close_connection = True
                    self.connection.close()
                    return
                data = json.dumps(answer["body"]).encode()
                self.send_response(answer["status"])
                for name, value in answer.get("headers", {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def load(self) -> None:
        self.log = {}
        self.script = {
            (vid, alias): [dict(a) for a in answers]
            for vid, (_, script) in VECTORS.items()
            for alias, answers in script.items()
        }

    def base_urls(self, vector: str, program: Program) -> dict[str, str]:
        out = {}
        for alias, fields in program.models.items():
            base = f"http://127.0.0.1:{self.port}/{vector}/{alias}"
            out[alias] = base + "/v1" if fields.provider == "openai-compatible" else base
        return out


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.http.shutdown()
    s.http.server_close()


@pytest.fixture(scope="module")
def program() -> Program:
    loaded = load_spec(SPEC)
    assert not loaded.diagnostics
    compiled = compile_files(loaded.files).program
    assert compiled is not None
    return compiled


class TraceKeeper:
    """An engine observer that keeps the run's trace (a failed run raises without it)."""

    trace: RunTrace | None = None

    def step_started(self, trace: RunTrace, span: StepSpan) -> None:
        self.trace = trace

    def item_finished(self, trace: RunTrace, span: StepSpan, item: ItemSpan) -> None:
        self.trace = trace

    def step_finished(self, trace: RunTrace, span: StepSpan) -> None:
        self.trace = trace


def python_run(program: Program, server: Server, vector: str) -> dict[str, Any]:
    """The vector on the Python engine (``aiwf run``), in the runner result format."""
    models = {
        alias: dataclasses.replace(fields, base_url=server.base_urls(vector, program)[alias])
        for alias, fields in program.models.items()
    }
    local = dataclasses.replace(program, models=models)
    runtime = Runtime()
    seen = TraceKeeper()
    engine = Engine(local, RouterClient(Router(local.models, runtime)), observer=seen)

    async def go() -> dict[str, Any]:
        try:
            result = await engine.run("triage", VECTORS[vector][0])
        except RunFailed as exc:
            assert seen.trace is not None
            return {"id": vector, "error": {"code": exc.code, "message": exc.message},
                    "trace": seen.trace.outline()}  # fmt: skip
        except AiwfError as exc:
            return {"id": vector, "error": {"code": exc.code, "message": exc.message}, "trace": []}
        finally:
            await runtime.aclose()
        return {"id": vector, "result": result.output, "trace": result.trace.outline()}

    return asyncio.run(go())


def test_go_sdk_sends_the_bytes_aiwf_run_sends(
    server: Server, program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIWF_CONFORMANCE_KEY", KEY)
    server.load()
    python = [python_run(program, server, vid) for vid in VECTORS]
    python_log = server.log
    assert all(not queue for queue in server.script.values()), server.script

    server.load()
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"vectors": [
        {"id": vid, "workflow": "triage", "input": VECTORS[vid][0],
         "routes": {a: {"base_url": u} for a, u in server.base_urls(vid, program).items()}}
        for vid in VECTORS
    ]}), encoding="utf-8")  # fmt: skip
    out = tmp_path / "out.json"
    runner_go.run_batch(batch, out, tmp_path / "work", SPEC)
    go = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert all(not queue for queue in server.script.values()), server.script

    assert set(server.log) == set(python_log)
    for key, requests in python_log.items():
        got = server.log[key]
        assert [body for body, _ in got] == [body for body, _ in requests], key
        for (_, want_headers), (_, got_headers) in zip(requests, got, strict=True):
            assert want_headers["user-agent"].endswith("(python)")
            assert got_headers["user-agent"].endswith("(go)")
            for name in ("content-type", "accept", "authorization", "anthropic-version"):
                assert got_headers.get(name) == want_headers.get(name), (key, name)
    assert go == python
    # what the vectors pin down, so that the comparison cannot pass vacuously
    first, failed = python
    assert first["result"]["label"] == "urgent"
    assert first["result"]["triaged"][2] is None
    assert [e["attempts"] for e in first["trace"]] == [
        ["fast ok"],
        ["fast http 429", "fast invalid", "fast ok"],
        ["fast http 400"],
        ["careful ok"],
        ["local reset", "local ok"],
    ]
    assert [e["status"] for e in first["trace"]][:3] == ["ok", "ok", "skipped"]
    assert failed["error"]["code"] == "E500"
    assert failed["error"]["message"].startswith("step digest failed: [R004] anthropic claude-wire")
