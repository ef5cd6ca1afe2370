"""``python -m tests.conformance.record [ID ...]``: run the drafts (drafts.py) on the Python
engine, one call at a time, and write ``vectors/ID.json`` with every request body, its
headers and the outcome filled in. Review the diff: the vectors are then what every runner
must match, byte for byte."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import runner_engine  # noqa: E402
from conformance import KEY, KEY_ENV, SAME_HEADERS, write_batch  # noqa: E402
from drafts import DRAFTS  # noqa: E402
from server import ScriptedServer  # noqa: E402


def record(ids: list[str]) -> None:
    os.environ[KEY_ENV] = KEY
    drafts = {vid: DRAFTS[vid] for vid in ids}
    exchanges = {vid: [dict(e) for e in d["exchanges"]] for vid, d in drafts.items()}
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer(exchanges, record=True) as server:
        work = Path(tmp)
        paths = []
        for vid, draft in drafts.items():
            path = work / f"{vid}.json"
            path.write_text(json.dumps({**draft, "exchanges": exchanges[vid]}), encoding="utf-8")
            paths.append(path)
        write_batch(work / "batch.json", server, paths)
        runner_engine.run_batch(work / "batch.json", work / "out.json", work, max_concurrency=1)
        results = {r["id"]: r for r in json.loads((work / "out.json").read_text())["results"]}
        received = list(server.received)
    for vid, draft in drafts.items():
        vector_exchanges = exchanges[vid]
        for request in received:
            if request.vector != vid:
                continue
            if request.exchange is None:
                raise SystemExit(f"{vid}: a request got no answer: {request.body[:300]!r}")
            exchange = vector_exchanges[request.exchange]
            exchange["request"] = json.loads(request.body)
            exchange["headers"] = {
                h: request.headers[h] for h in SAME_HEADERS if h in request.headers
            }
        unused = [i for i, e in enumerate(vector_exchanges) if "request" not in e]
        if unused:
            raise SystemExit(f"{vid}: exchanges {unused} were never requested")
        result = results[vid]
        expected: dict[str, object] = {}
        if "error" in result:
            expected["error"] = result["error"]
        else:
            expected["result"] = result["result"]
        expected["trace"] = result["trace"]
        vector = {
            "description": draft["description"],
            "workflow": draft["workflow"],
            "input": draft["input"],
            "exchanges": [
                {
                    "route": e["route"],
                    "request": e["request"],
                    "headers": e["headers"],
                    "response": e["response"],
                }
                for e in vector_exchanges
            ],
            "expected": expected,
        }
        out = HERE / "vectors" / f"{vid}.json"
        out.write_text(json.dumps(vector, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{out.relative_to(HERE)}: {len(vector_exchanges)} exchange(s), "
              f"{'error ' + result['error']['code'] if 'error' in result else 'result'}")  # fmt: skip


if __name__ == "__main__":
    record(sys.argv[1:] or sorted(DRAFTS))
