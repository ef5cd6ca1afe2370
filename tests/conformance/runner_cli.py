"""Runner: ``aiwf run`` itself, one process per vector, each route's base URL set by an
environment of a project config (``[environments.conformance.models.ALIAS]``), the way a
user points a spec at a staging server; the result read from stdout, the error from the
one line on stderr, the outline from ``--trace``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance import SPEC

_ERROR = re.compile(
    r"^error\[(?P<code>[A-Z]\d+)\]: (?P<message>.*?)(?: \(run [0-9a-f-]+\); resume with: .*)?$"
)


def _config(vector: dict[str, Any], path: Path) -> None:
    lines = ["[environments.conformance]"]
    for alias, fields in sorted(vector["routes"].items()):
        lines.append(f"[environments.conformance.models.{alias}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in fields.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _one(vector: dict[str, Any], work: Path) -> dict[str, Any]:
    here = work / vector["id"]
    here.mkdir(parents=True, exist_ok=True)
    _config(vector, here / "aiwf.toml")
    (here / "input.json").write_text(json.dumps(vector["input"]), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "aiwf", "--config", str(here / "aiwf.toml"), "--env",
         "conformance", "run", str(SPEC), "-w", vector["workflow"], "--input",
         str(here / "input.json"), "--trace", str(here / "trace.json"), "--artifacts",
         (here / "store").as_uri()],
        capture_output=True, text=True, check=False, cwd=here,
    )  # fmt: skip
    entry: dict[str, Any] = {"id": vector["id"]}
    trace = here / "trace.json"
    entry["trace"] = json.loads(trace.read_text())["outline"] if trace.exists() else []
    if proc.returncode == 0:
        entry["result"] = json.loads(proc.stdout)
        return entry
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("error")), "")
    match = _ERROR.match(line)
    entry["error"] = (
        {"code": match["code"], "message": match["message"]}
        if match
        else {"code": "?", "message": proc.stderr.strip()[-500:]}
    )
    return entry


def run_batch(batch: Path, out: Path, work: Path) -> None:
    vectors = json.loads(batch.read_text(encoding="utf-8"))["vectors"]
    results = [_one(vector, work) for vector in vectors]
    out.write_text(json.dumps({"results": results}, ensure_ascii=False), encoding="utf-8")
