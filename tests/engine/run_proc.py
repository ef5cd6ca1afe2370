"""A run in its own process, for the kill tests (not a test module).

python run_proc.py SPEC STORE RUN_ID WORKFLOW INPUT_JSON

Runs the workflow with the spec's routes and the file store at STORE, printing
``done INDEX`` once each scatter item is finished (checkpointed, then reported), so the
parent can SIGKILL this process at a point of its choosing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from aiwf._ir.compiler import compile_files
from aiwf._spec import load_spec
from aiwf.engine import Engine, RouterClient
from aiwf.runtime import Router, Runtime
from aiwf.stores import open_store


class Report:
    def step_started(self, trace: Any, span: Any) -> None:
        pass

    def item_finished(self, trace: Any, span: Any, item: Any) -> None:
        print(f"done {item.index}", flush=True)

    def step_finished(self, trace: Any, span: Any) -> None:
        pass


def main(argv: list[str]) -> None:
    spec, store, run_id, workflow, data = argv
    result = compile_files(load_spec(Path(spec)).files)
    assert result.program is not None
    program = result.program
    client = RouterClient(Router(program.models, Runtime()))
    engine = Engine(program, client, store=open_store(store), observer=Report())
    asyncio.run(engine.run(workflow, json.loads(data), run_id=run_id))
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
