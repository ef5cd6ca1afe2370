"""The TypeScript conformance runner (tests/conformance/runner_typescript.py) against a small
scripted server of its own that follows the protocol of tests/conformance/README.md: routes at
``/ID/ALIAS``, each request answered by the first unused exchange whose body is byte-identical,
599 otherwise. The spec lists its contracts' properties out of alphabetical order and the input
gives them in yet another order: the bodies must still be exactly the canonical ones."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aiwf._ir.compiler import compile_files
from aiwf.runtime._canonical import dumps
from aiwf.runtime._structured import schema_forms
from aiwf._spec import load_spec

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
aiwf: 1
name: runner_check
models:
  fast:
    provider: openai
    model: gpt-test
    api_key_env: AIWF_CONFORMANCE_KEY
    retry: {max_attempts: 2, initial_delay: 0.001, max_delay: 0.001}
  local:
    provider: openai-compatible
    base_url: http://127.0.0.1:9/v1
    model: llama
    api_key_env: AIWF_CONFORMANCE_KEY
schemas:
  Ticket:
    type: object
    required: [subject, id]
    properties:
      subject: {type: string}
      id: {type: string}
  Label:
    type: object
    required: [urgency, label]
    properties:
      urgency: {type: integer}
      label: {type: string}
assistants:
  label: {model: fast, instructions: Label it., input: Ticket, output: Label}
  count:
    model: local
    instructions: Count them.
    input: {type: array}
    output: {type: object, required: [n], properties: {n: {type: integer}}}
workflows:
  run:
    input:
      type: object
      required: [tickets]
      properties:
        tickets: {type: array, items: {$ref: "#/schemas/Ticket"}}
    steps:
      - id: label
        assistant: label
        scatter: ${input.tickets}
        input: ${item}
        on_error: skip
      - id: count
        assistant: count
        input: ${steps.label.output}
    output:
      labels: ${steps.label.output}
      count: ${steps.count.output.n}
"""


class Scripted(ThreadingHTTPServer):
    exchanges: dict[tuple[str, str], list[dict[str, Any]]]
    used: set[int]
    misses: list[str]


class Handler(BaseHTTPRequestHandler):
    server: Scripted

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"] or 0)).decode("utf-8")
        vector, alias = self.path.strip("/").split("/")[:2]
        for exchange in self.server.exchanges.get((vector, alias), []):
            if id(exchange) in self.server.used or exchange["request"] != raw:
                continue
            self.server.used.add(id(exchange))
            reply = exchange["response"]
            self.send_response(reply["status"])
            for name, value in reply.get("headers", {}).items():
                self.send_header(name, value)
            data = json.dumps(reply["body"]).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.server.misses.append(f"{self.path}: {raw}")
        self.send_response(599)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server() -> Iterator[Scripted]:
    httpd = Scripted(("127.0.0.1", 0), Handler)
    httpd.exchanges, httpd.used, httpd.misses = {}, set(), []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _runner() -> Any:
    spec = importlib.util.spec_from_file_location(
        "runner_typescript", ROOT / "tests" / "conformance" / "runner_typescript.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _responses(text: str, tokens: tuple[int, int]) -> dict[str, Any]:
    return {
        "status": "completed",
        "output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}],
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
    }


def test_the_runner_sends_canonical_bodies_and_reports_results(
    server: Scripted, tmp_path: Path
) -> None:
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "runner.aiwf.yaml").write_text(SPEC, encoding="utf-8")
    loaded = load_spec(spec_dir)
    program = compile_files(loaded.files).program
    assert program is not None
    label = dumps(schema_forms(program.json_schema("Label")).strict)
    count_schema = dumps(program.json_schema(program.assistants["count"].output))  # as written

    def label_body(ticket: str) -> str:
        return (
            '{"model":"gpt-test","instructions":"Label it.","input":' + dumps(ticket) + ',"text":'
            '{"format":{"type":"json_schema","name":"Label","schema":' + label + ',"strict":true}}}'
        )

    count_input = '[{"label":"bug","urgency":2},null]'  # untyped items: members by code point
    count_body = (
        '{"model":"llama","messages":[{"role":"system","content":"Count them."},'
        '{"role":"user","content":' + dumps(count_input) + '}],"response_format":'
        '{"type":"json_schema","json_schema":{"name":"' + program.assistants["count"].output
        + '","schema":' + count_schema + ',"strict":true}}}'
    )  # fmt: skip
    server.exchanges = {
        ("v1", "fast"): [
            {"request": label_body('{"subject":"a","id":"T-1"}'),
             "response": {"status": 200, "body": _responses('{"label": "bug", "urgency": 2}', (5, 3))}},
            {"request": label_body('{"subject":"b","id":"T-2"}'),
             "response": {"status": 429, "headers": {"retry-after-ms": "1"}, "body": {"error": {"message": "slow"}}}},
            {"request": label_body('{"subject":"b","id":"T-2"}'),
             "response": {"status": 503, "body": {"error": {"message": "down"}}}},
        ],
        ("v1", "local"): [
            {"request": count_body,
             "response": {"status": 200, "body": {"choices": [{"message": {"content": '{"n": 1}'}, "finish_reason": "stop"}],
                                                  "usage": {"prompt_tokens": 7, "completion_tokens": 2}}}},
        ],
    }  # fmt: skip
    base = f"http://127.0.0.1:{server.server_address[1]}/v1"
    batch = tmp_path / "batch.json"
    tickets = [{"id": "T-1", "subject": "a"}, {"id": "T-2", "subject": "b"}]
    batch.write_text(
        json.dumps(
            {"vectors": [{"id": "v1", "workflow": "run", "input": {"tickets": tickets},
                          "routes": {"fast": {"base_url": f"{base}/fast"},
                                     "local": {"base_url": f"{base}/local/v1"}}},
                         {"id": "v2", "workflow": "run", "input": {"tickets": [{"id": 1}]},
                          "routes": {}}]}
        ),
        encoding="utf-8",
    )  # fmt: skip
    out = tmp_path / "out.json"
    runner = _runner()
    runner.build(tmp_path / "work", spec_dir)
    runner.run_batch(batch, out, tmp_path / "work")
    assert server.misses == [], "\n".join(server.misses)
    assert len(server.used) == 4
    first, second = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert first == {
        "id": "v1",
        "result": {"labels": [{"label": "bug", "urgency": 2}, None], "count": 1},
        "trace": [
            {"step": "label", "index": 0, "assistant": "label", "status": "ok",
             "attempts": ["fast ok"], "tokens": [5, 3]},
            {"step": "label", "index": 1, "assistant": "label", "status": "skipped",
             "attempts": ["fast http 429", "fast http 503"], "tokens": [0, 0]},
            {"step": "count", "index": None, "assistant": "count", "status": "ok",
             "attempts": ["local ok"], "tokens": [7, 2]},
        ],
    }  # fmt: skip
    assert second["id"] == "v2"
    assert second["error"]["code"] == "E502"
    assert second["error"]["message"].startswith("the input is not valid for workflow run (RunInput): ")
    assert second["trace"] == []
