"""Runner: the Python engine, as ``aiwf run`` drives it (the runtime's router over the real
HTTP runtime, every route's base URL overridden the way an environment override does)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance import program

from aiwf._errors import AiwfError
from aiwf.engine._clients import RouterClient
from aiwf.engine._engine import Engine
from aiwf.engine._errors import RunFailed
from aiwf.runtime._client import Runtime
from aiwf.runtime._router import Router


async def _run_all(vectors: list[dict[str, Any]], max_concurrency: int) -> list[dict[str, Any]]:
    compiled = program()
    base = compiled.models
    runtime = Runtime()
    results = []
    for vector in vectors:
        table = {
            alias: replace(route, **vector["routes"].get(alias, {}))
            for alias, route in base.items()
        }
        engine = Engine(
            compiled, RouterClient(Router(table, runtime)), max_concurrency=max_concurrency
        )
        entry: dict[str, Any] = {"id": vector["id"]}
        try:
            result = await engine.run(vector["workflow"], vector["input"])
        except RunFailed as exc:
            entry["error"] = {"code": exc.code, "message": exc.message}
            entry["trace"] = exc.trace.outline() if exc.trace is not None else []
        except AiwfError as exc:
            entry["error"] = {"code": exc.code, "message": exc.message}
            entry["trace"] = []
        else:
            entry["result"] = result.output
            entry["trace"] = result.trace.outline()
        results.append(entry)
    await runtime.aclose()
    return results


def run_batch(batch: Path, out: Path, work: Path, *, max_concurrency: int = 128) -> None:
    vectors = json.loads(batch.read_text(encoding="utf-8"))["vectors"]
    results = asyncio.run(_run_all(vectors, max_concurrency))
    out.write_text(json.dumps({"results": results}, ensure_ascii=False), encoding="utf-8")
