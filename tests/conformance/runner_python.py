"""Runner: the generated Python SDK of the conformance spec, its routes pointed at the server
with the SDK's run-time route override (``Client(routes=...)``)."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from conformance import SPEC, program

from aiwf._errors import AiwfError
from aiwf._generate.jobs import SdkJob
from aiwf._generate.templates import locate
from aiwf._generate.writer import expected_files
from aiwf.sdk import RunFailed, Trace

PACKAGE = "conformance_sdk"


def generate(work: Path) -> Path:
    """The generated layer of the conformance spec's Python SDK, written under ``work``."""
    sdk = work / "python-sdk"
    if not (sdk / "src" / PACKAGE / "client.py").exists():
        job = SdkJob("python", sdk, PACKAGE, SPEC)
        for rel, text in expected_files(job, program(), locate()).items():
            path = sdk / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return sdk / "src"


async def _run_all(client_class: Any, vectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    for vector in vectors:
        client = client_class(routes=vector["routes"])
        trace = Trace()
        entry: dict[str, Any] = {"id": vector["id"]}
        try:
            entry["result"] = await client.run_workflow(
                vector["workflow"], vector["input"], trace=trace
            )
        except RunFailed as exc:
            entry["error"] = {"code": exc.code, "message": exc.message}
        except AiwfError as exc:
            entry["error"] = {"code": exc.code, "message": exc.message}
        entry["trace"] = trace.outline()
        results.append(entry)
    return results


def run_batch(batch: Path, out: Path, work: Path) -> None:
    src = str(generate(work))
    if src not in sys.path:
        sys.path.insert(0, src)
    client_class = importlib.import_module(PACKAGE).Client
    vectors = json.loads(batch.read_text(encoding="utf-8"))["vectors"]
    results = asyncio.run(_run_all(client_class, vectors))
    out.write_text(json.dumps({"results": results}, ensure_ascii=False), encoding="utf-8")
