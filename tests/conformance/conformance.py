"""The conformance vectors and the runner protocol (README.md): loading vectors, writing a
runner's batch, running every runner, and comparing what each did with what the vector pins."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPEC = HERE / "spec"
VECTORS = sorted((HERE / "vectors").glob("*.json"))
#: The key every route of the spec reads (AIWF_CONFORMANCE_KEY), as the server expects it.
KEY_ENV = "AIWF_CONFORMANCE_KEY"
KEY = "sk-conformance"
#: The runners, each a module runner_NAME with run_batch(batch, out, work): the Python engine
#: in-process, `aiwf run` as a process, and the generated Python, Go and TypeScript SDKs.
RUNNERS = ("engine", "cli", "python", "go", "typescript", "temporal")

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


class Runner(Protocol):
    def run_batch(self, batch: Path, out: Path, work: Path) -> None: ...


def runner(name: str) -> Runner:
    module: Any = importlib.import_module(f"runner_{name}")
    return module  # type: ignore[no-any-return]


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def vector_id(path: Path) -> str:
    return path.stem


def program() -> Any:
    from aiwf._ir.compiler import compile_files
    from aiwf._spec import load_spec

    loaded = load_spec(SPEC)
    assert not loaded.diagnostics, [str(d) for d in loaded.diagnostics]
    result = compile_files(loaded.files)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


def write_batch(path: Path, server: Any, vectors: list[Path]) -> None:
    """The runner batch for ``vectors``: every route of the spec pointed at the server."""
    models = program().models
    batch = {
        "vectors": [
            {
                "id": vector_id(v),
                "workflow": load(v)["workflow"],
                "input": load(v)["input"],
                "routes": {
                    alias: {"base_url": server.base_url(vector_id(v), alias, fields.provider)}
                    for alias, fields in sorted(models.items())
                },
            }
            for v in vectors
        ]
    }
    path.write_text(json.dumps(batch, indent=1, ensure_ascii=False), encoding="utf-8")


@dataclass
class Outcome:
    """What one runner did with one vector."""

    result: Any = None
    error: dict[str, str] | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    has_result: bool = False


@dataclass
class RunnerReport:
    """A runner's batch: its outcomes and every request the server got."""

    outcomes: dict[str, Outcome]
    received: list[Any]
    unused: dict[str, list[int]]


def run(name: str, vectors: list[Path], work: Path) -> RunnerReport:
    """Run ``vectors`` on the runner ``name`` against a fresh scripted server."""
    from server import ScriptedServer

    work.mkdir(parents=True, exist_ok=True)
    exchanges = {vector_id(v): load(v)["exchanges"] for v in vectors}
    os.environ[KEY_ENV] = KEY
    with ScriptedServer(exchanges) as server:
        batch, out = work / "batch.json", work / "results.json"
        write_batch(batch, server, vectors)
        runner(name).run_batch(batch, out, work)
        unused = {vid: server.unused(vid) for vid in exchanges}
        received = list(server.received)
    outcomes: dict[str, Outcome] = {}
    for item in json.loads(out.read_text(encoding="utf-8"))["results"]:
        outcomes[item["id"]] = Outcome(
            result=item.get("result"),
            error=item.get("error"),
            trace=item.get("trace") or [],
            has_result="result" in item and "error" not in item,
        )
    return RunnerReport(outcomes, received, unused)


#: Request headers every runner sends the same way (docs/wire.md §5).
SAME_HEADERS = ("content-type", "accept", "authorization", "anthropic-version", "x-team")
_USER_AGENT = re.compile(r"^aiwf/\S+ \((python|go|typescript)\)$")


def problems(vector: Path, report: RunnerReport) -> list[str]:
    """Every way the runner's run of ``vector`` differs from what the vector pins."""
    data = load(vector)
    vid = vector_id(vector)
    expected = data["expected"]
    found: list[str] = []
    outcome = report.outcomes.get(vid)
    if outcome is None:
        return ["the runner reported nothing for this vector"]
    if "error" in expected:
        if outcome.error != expected["error"]:
            found.append(f"error: expected {expected['error']}, got {outcome.error}")
    elif not outcome.has_result or outcome.result != expected["result"]:
        found.append(f"result: expected {expected['result']!r}, got {outcome.result!r} "
                     f"(error {outcome.error})")  # fmt: skip
    if outcome.trace != expected["trace"]:
        found.append(f"trace: expected {expected['trace']}, got {outcome.trace}")
    mine = [r for r in report.received if r.vector == vid]
    for request in mine:
        if request.exchange is None:
            found.append(f"unexpected request to {request.route}{request.path}: "
                         f"{request.body.decode(errors='replace')[:2000]}")  # fmt: skip
            continue
        found.extend(_header_problems(data["exchanges"][request.exchange], request))
    for index in report.unused[vid]:
        exchange = data["exchanges"][index]
        found.append(f"exchange {index} ({exchange['route']}) was never requested")
    return found


def _header_problems(exchange: dict[str, Any], request: Any) -> list[str]:
    headers = request.headers
    out = []
    want = exchange.get("headers") or {}
    for name in SAME_HEADERS:
        if headers.get(name) != want.get(name):
            out.append(f"header {name}: expected {want.get(name)!r}, got {headers.get(name)!r}")
    if not _USER_AGENT.match(headers.get("user-agent", "")):
        out.append(f"user-agent {headers.get('user-agent')!r}")
    return out
