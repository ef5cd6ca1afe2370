"""What ``aiwf run`` and ``aiwf dry-run`` share: reading the input, opening the store, the
resume command line, and running the engine on an event loop with clean shutdown."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aiwf._errors import AiwfError
from aiwf.engine._errors import INPUT_INVALID

T = TypeVar("T")


def read_input(path: str) -> Any:
    """The workflow input from a JSON file (``-`` reads stdin)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AiwfError(
            f"cannot read the input {path}: {exc.strerror or exc}", code=INPUT_INVALID
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AiwfError(
            f"the input is not JSON: {exc.msg}",
            code=INPUT_INVALID,
            file=path,
            line=exc.lineno,
            column=exc.colno,
        ) from None


def resume_command(
    spec: str,
    workflow: str,
    run_id: str,
    *,
    artifacts: str | None = None,
    config: Path | str | None = None,
    env: str | None = None,
    engine: str | None = None,
    temporal: Mapping[str, Any] | None = None,
) -> str:
    """The exact command line that resumes ``run_id``: ``engine`` when not the local one,
    and for a Temporal run the ``temporal`` address, namespace and task queue it ran on."""
    words = ["aiwf", "run", spec, "-w", workflow, "--resume", run_id]
    if artifacts:
        words += ["--artifacts", artifacts]
    if config is not None:
        words += ["--config", str(config)]
    if env:
        words += ["--env", env]
    if engine:
        words += ["--engine", engine]
    for key, flag in (("address", "--temporal"), ("namespace", "--namespace"),
                      ("task_queue", "--task-queue")):  # fmt: skip
        if temporal and temporal.get(key):
            words += [flag, str(temporal[key])]
    return shlex.join(words)


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` on a new event loop and close the runtime's shared HTTP client before
    the loop ends. Ctrl-C cancels ``main`` (which cleans up) and raises KeyboardInterrupt."""

    # The result is handed over in ``done``, not as the task's result: asyncio.run asks
    # signal.getsignal() about its SIGINT handler as it ends, which formats the handler's
    # repr, and with it the repr of the main task's result (the whole run's trace and
    # output: about 70 µs of CPU per scatter item, twice, for nothing).
    done: list[T] = []

    async def wrapped() -> None:
        try:
            done.append(await main())
        finally:
            if "aiwf.runtime._http" in sys.modules:
                from aiwf.runtime._http import aclose_shared_client

                await aclose_shared_client()

    asyncio.run(wrapped())
    return done[0]


def dump_json(value: Any) -> str:
    """JSON as the commands print it: two-space indent, Unicode kept."""
    return json.dumps(value, indent=2, ensure_ascii=False)
