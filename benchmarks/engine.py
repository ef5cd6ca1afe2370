"""Engine overhead: aiwf's workflow engine side by side with LangGraph, in one run.

(a) chain: a workflow of 1,000 steps, each reading the previous step's output, answered
    by a zero-latency in-process model. Reported: wall time per step, aiwf vs LangGraph
    (a StateGraph of 1,000 async nodes, ``ainvoke``).
(b) scatter: one step scattered over 5,000 items with 100 in flight, each call answered
    after 20 ms by an OpenAI-compatible server on 127.0.0.1 (its own process, asyncio,
    HTTP/1.1 keep-alive). Side by side, in one run, best of ``--repeat`` (interleaved): the
    ideal (items / concurrency x latency); ``asyncio.sleep`` alone; a bare aiohttp loop; a
    bare httpx loop over one ``AsyncClient`` (httpx's own pool, run once: ~20 s); httpx over
    httpx-aiohttp's transport; aiwf.runtime alone (``Runtime.complete`` per item, the
    shared client); the aiwf engine; and LangGraph doing the same fan-out with ``Send`` and
    an ``asyncio.sleep(0.02)`` node (``max_concurrency=100``). Ratios are against the ideal
    and against the bare aiohttp loop of the same run.

LangGraph runs in its own virtualenv (never a dependency of aiwf), created on first use::

    python -m venv benchmarks/.venv-langgraph
    benchmarks/.venv-langgraph/bin/pip install langgraph

Run (about a minute)::

    .venv/bin/python benchmarks/engine.py [--steps 1000] [--items 5000] [--concurrency 100]
        [--latency 0.02] [--repeat 3] [--no-langgraph] [--no-bare-httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LG_VENV = HERE / ".venv-langgraph"
LG_PYTHON = LG_VENV / "bin" / "python"


# -- the model server (its own process) ------------------------------------------------


async def serve(latency: float) -> None:
    body = json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "bench",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": '{"n": 1}'},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3},
        }
    ).encode()
    answer = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                await asyncio.sleep(latency)
                writer.write(answer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=2048)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(latency)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/v1"


# -- specs -----------------------------------------------------------------------------

HEAD = """
aiwf: 1
name: bench
models:
  m: {{provider: openai-compatible, base_url: "{base_url}", model: bench}}
schemas:
  Num: {{type: object, required: [n], properties: {{n: {{type: integer}}}}}}
assistants:
  inc: {{model: m, instructions: inc, input: Num, output: Num}}
"""


def chain_spec(steps: int) -> str:
    lines = [
        HEAD.format(base_url="http://127.0.0.1:9/v1"),
        "workflows:\n  chain:\n    input: Num\n    steps:",
    ]
    lines.append('      - {id: s0, assistant: inc, input: "${input}"}')
    lines.extend(
        f'      - {{id: s{i}, assistant: inc, input: "${{prev.output}}"}}' for i in range(1, steps)
    )
    lines.append(f'    output: "${{steps.s{steps - 1}.output}}"')
    return "\n".join(lines) + "\n"


def scatter_spec(base_url: str, concurrency: int) -> str:
    return (
        HEAD.format(base_url=base_url)
        + f"""
workflows:
  fan:
    input: {{type: object, required: [items], properties: {{items: {{type: array, items: {{$ref: "#/schemas/Num"}}}}}}}}
    steps:
      - id: each
        assistant: inc
        scatter: ${{input.items}}
        input: ${{item}}
        concurrency: {concurrency}
    output: "${{steps.each.output}}"
"""
    )


def compile_text(text: str) -> Any:
    from aiwf._ir.compiler import compile_files
    from aiwf._spec import load_spec

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.aiwf.yaml"
        path.write_text(text)
        loaded = load_spec(path)
        result = compile_files(loaded.files)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


# -- aiwf ------------------------------------------------------------------------------


class ZeroLatency:
    """A model that answers at once: n + 1."""

    async def complete(self, request: Any) -> Any:
        from aiwf.runtime._types import ModelResponse, Usage

        return ModelResponse(
            output={"n": request.input["n"] + 1},
            text="",
            usage=Usage(1, 1),
            request_id=None,
            model="zero",
            provider="zero",
            attempts=1,
            latency=0.0,
        )

    def stream(self, request: Any) -> Any:
        raise NotImplementedError


def aiwf_chain(steps: int, repeat: int) -> float:
    from aiwf.engine import Engine

    program = compile_text(chain_spec(steps))
    engine = Engine(program, ZeroLatency())
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = asyncio.run(engine.run("chain", {"n": 0}))
        best = min(best, time.perf_counter() - start)
        assert result.output == {"n": steps}
    return best / steps


def aiwf_scatter(base_url: str, items: int, concurrency: int) -> float:
    from aiwf.engine import Engine, RouterClient
    from aiwf.runtime import Router, Runtime
    from aiwf.runtime._http import aclose_shared_client

    program = compile_text(scatter_spec(base_url, concurrency))
    engine = Engine(
        program,
        RouterClient(Router(program.models, Runtime())),
        max_concurrency=max(concurrency, 128),
    )

    async def main() -> float:
        try:
            start = time.perf_counter()
            result = await engine.run("fan", {"items": [{"n": i} for i in range(items)]})
            took = time.perf_counter() - start
            assert len(result.output) == items
            return took
        finally:
            await aclose_shared_client()

    return asyncio.run(main())


def _payload(i: int) -> dict[str, Any]:
    return {
        "model": "bench",
        "messages": [
            {"role": "system", "content": "inc"},
            {"role": "user", "content": json.dumps({"n": i})},
        ],
        "response_format": {"type": "json_object"},
    }


def _answer(body: bytes) -> Any:
    return json.loads(json.loads(body)["choices"][0]["message"]["content"])


def sleep_scatter(items: int, concurrency: int, latency: float) -> float:
    """asyncio alone: each item a ``sleep(latency)`` behind a semaphore."""

    async def main() -> float:
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem:
                await asyncio.sleep(latency)

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(items)))
        return time.perf_counter() - start

    return asyncio.run(main())


def aiohttp_scatter(base_url: str, items: int, concurrency: int) -> float:
    """A bare aiohttp loop: one session, ``concurrency`` connections."""
    import aiohttp

    async def main() -> float:
        sem = asyncio.Semaphore(concurrency)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def one(i: int) -> Any:
                data = json.dumps(_payload(i)).encode()
                headers = {"Content-Type": "application/json"}
                async with (
                    sem,
                    http.post(f"{base_url}/chat/completions", data=data, headers=headers) as r,
                ):
                    r.raise_for_status()
                    return _answer(await r.read())

            start = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(items)))
            return time.perf_counter() - start

    return asyncio.run(main())


def httpx_scatter(base_url: str, items: int, concurrency: int, *, over_aiohttp: bool) -> float:
    """A bare httpx loop over one ``AsyncClient``: httpx's own transport, or httpx-aiohttp's."""
    import httpx

    async def main() -> float:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        transport: httpx.AsyncBaseTransport | None = None
        if over_aiohttp:
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport(limits=limits, trust_env=False)
        async with httpx.AsyncClient(limits=limits, transport=transport, trust_env=False) as client:
            sem = asyncio.Semaphore(concurrency)

            async def one(i: int) -> Any:
                async with sem:
                    r = await client.post(f"{base_url}/chat/completions", json=_payload(i))
                    r.raise_for_status()
                    return _answer(r.content)

            start = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(items)))
            return time.perf_counter() - start

    return asyncio.run(main())


def runtime_scatter(base_url: str, items: int, concurrency: int) -> float:
    """aiwf.runtime alone: ``Runtime.complete`` for every item behind a semaphore (the shared
    client, the contract's output check), without the engine."""
    from aiwf._ir.routes import Route
    from aiwf.runtime import ModelRequest, Runtime
    from aiwf.runtime._http import aclose_shared_client

    route = Route(provider="openai-compatible", model="bench", base_url=base_url)
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}

    async def main() -> float:
        runtime = Runtime()
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> Any:
            request = ModelRequest(
                route=route, instructions="inc", input={"n": i}, output_schema=schema,
                schema_name="Num",
            )  # fmt: skip
            async with sem:
                return (await runtime.complete(request)).output

        try:
            start = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(items)))
            return time.perf_counter() - start
        finally:
            await aclose_shared_client()

    return asyncio.run(main())


# -- LangGraph (run in its own venv) ---------------------------------------------------

LANGGRAPH = r"""
import asyncio, json, operator, sys, time
from typing import Annotated, TypedDict
from langgraph.graph import StateGraph, START, END
from langgraph.types import Send

mode, n, repeat, concurrency, latency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

if mode == "chain":
    class S(TypedDict):
        n: int
    async def inc(state):
        return {"n": state["n"] + 1}
    g = StateGraph(S)
    for i in range(n):
        g.add_node(f"s{i}", inc)
    g.add_edge(START, "s0")
    for i in range(1, n):
        g.add_edge(f"s{i-1}", f"s{i}")
    g.add_edge(f"s{n-1}", END)
    app = g.compile()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = asyncio.run(app.ainvoke({"n": 0}, {"recursion_limit": n + 10}))
        best = min(best, time.perf_counter() - t)
        assert out["n"] == n
    print(json.dumps({"per_step": best / n}))
else:
    class S(TypedDict):
        items: list
        results: Annotated[list, operator.add]
    async def call(item):
        await asyncio.sleep(latency)
        return {"results": [{"n": item["n"] + 1}]}
    def fan(state):
        return [Send("call", {"n": x["n"]}) for x in state["items"]]
    g = StateGraph(S)
    g.add_node("call", call)
    g.add_conditional_edges(START, fan, ["call"])
    g.add_edge("call", END)
    app = g.compile()
    t = time.perf_counter()
    out = asyncio.run(app.ainvoke({"items": [{"n": i} for i in range(n)], "results": []},
                                  {"max_concurrency": concurrency}))
    took = time.perf_counter() - t
    assert len(out["results"]) == n
    print(json.dumps({"wall": took}))
"""


def ensure_langgraph() -> bool:
    if LG_PYTHON.exists():
        return True
    print(f"creating {LG_VENV} with langgraph ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(LG_VENV)], check=True)
        subprocess.run([str(LG_PYTHON), "-m", "pip", "install", "-q", "langgraph"], check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"LangGraph unavailable: {exc}", file=sys.stderr)
        return False
    return True


def langgraph(mode: str, n: int, repeat: int, concurrency: int, latency: float) -> dict[str, float]:
    out = subprocess.run(
        [
            str(LG_PYTHON),
            "-c",
            LANGGRAPH,
            mode,
            str(n),
            str(repeat),
            str(concurrency),
            str(latency),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def lg_version() -> str:
    out = subprocess.run(
        [str(LG_PYTHON), "-c", "import importlib.metadata as m; print(m.version('langgraph'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-langgraph", action="store_true")
    parser.add_argument("--no-bare-httpx", action="store_true", help="skip the slow httpx loop")
    args = parser.parse_args()
    if args.serve is not None:
        asyncio.run(serve(args.serve))
        return
    with_lg = not args.no_langgraph and ensure_langgraph()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores"
        + (f", langgraph {lg_version()}" if with_lg else "")
    )

    # (a) chain
    aiwf_step = aiwf_chain(args.steps, args.repeat)
    print(f"\n(a) chain of {args.steps} steps, zero-latency model (best of {args.repeat})")
    print(f"  aiwf       {aiwf_step * 1e6:8.1f} µs per step")
    if with_lg:
        lg_step = langgraph("chain", args.steps, args.repeat, 1, 0.0)["per_step"]
        print(f"  langgraph  {lg_step * 1e6:8.1f} µs per step")
        print(f"  aiwf / langgraph = {aiwf_step / lg_step:.3f}  (target < 0.1)")

    # (b) scatter
    ideal = args.items / args.concurrency * args.latency
    n, c = args.items, args.concurrency
    proc, base_url = start_server(args.latency)
    walls: dict[str, float] = {}
    cpus: dict[str, float] = {}  # this process' CPU (the server's is its own)
    try:
        aiohttp_scatter(base_url, min(n, 500), c)  # warm up the server
        runs: list[tuple[str, Any]] = [
            ("asyncio.sleep", lambda: sleep_scatter(n, c, args.latency)),
            ("bare aiohttp", lambda: aiohttp_scatter(base_url, n, c)),
            ("httpx-aiohttp", lambda: httpx_scatter(base_url, n, c, over_aiohttp=True)),
            ("aiwf runtime", lambda: runtime_scatter(base_url, n, c)),
            ("aiwf engine", lambda: aiwf_scatter(base_url, n, c)),
        ]
        for _ in range(args.repeat):  # interleaved, best of N, so drift hits all alike
            for name, run in runs:
                cpu = time.process_time()
                wall = run()
                cpu = time.process_time() - cpu
                if wall < walls.get(name, float("inf")):
                    walls[name], cpus[name] = wall, cpu
        if not args.no_bare_httpx:  # once: it takes ~20 s
            cpu = time.process_time()
            walls["bare httpx"] = httpx_scatter(base_url, n, c, over_aiohttp=False)
            cpus["bare httpx"] = time.process_time() - cpu
    finally:
        proc.terminate()
        proc.wait(10)
    if with_lg:
        walls["langgraph Send"] = langgraph("scatter", n, 1, c, args.latency)["wall"]
    base = walls["bare aiohttp"]
    print(
        f"\n(b) scatter of {n} items, {c} in flight, {args.latency * 1000:.0f} ms per call "
        f"(ideal {ideal:.2f} s), best of {args.repeat}"
    )
    print(f"  {'':<16}{'wall s':>8}{'x ideal':>9}{'x aiohttp':>11}{'CPU us/item':>13}")
    print(f"  {'ideal':<16}{ideal:>8.2f}{1:>9.2f}{ideal / base:>10.2f}x")
    notes = {
        "bare httpx": "one AsyncClient, httpx's own pool (run once)",
        "aiwf runtime": "target <= 1.1x aiohttp",
        "aiwf engine": "target <= 1.3x ideal, <= 1.1x aiohttp",
        "langgraph Send": "asyncio.sleep, no HTTP",
    }
    order = ["asyncio.sleep", "bare aiohttp", "bare httpx", "httpx-aiohttp", "aiwf runtime",
             "aiwf engine", "langgraph Send"]  # fmt: skip
    for name in order:
        if name in walls:
            wall = walls[name]
            note = f"  ({notes[name]})" if name in notes else ""
            cpu = f"{cpus[name] / n * 1e6:>13.0f}" if name in cpus else " " * 13
            print(f"  {name:<16}{wall:>8.2f}{wall / ideal:>9.2f}{wall / base:>10.2f}x{cpu}{note}")


if __name__ == "__main__":
    main()
