"""Runtime overhead: aiwf.runtime against bare loops, same server, same run.

(a) wall: 2,000 calls, 50 in flight, to an OpenAI-shaped server on 127.0.0.1 (in a separate
    process) that answers every request after 20 ms. The baselines post the same body and
    decode the JSON: a bare aiohttp loop, and a bare httpx loop over the transport aiwf's
    shared client uses for streams (httpx-aiohttp); aiwf.runtime does what it does for every
    call (request building, retries machinery, schema validation, spans and metrics).
(b) CPU per call (``--cpu``), answered in-process so that the figure is the CPU of one call
    and nothing else: a bare ``httpx.AsyncClient.post`` + ``json.loads`` over an in-process
    transport; aiwf.runtime over an httpx client on that transport (the path of a client a
    caller passes); and aiwf.runtime on the shared client's path with its pool's send
    answered in-process, which is the runtime's own work per call, split by component from
    a cProfile run (self time per module, scaled to the unprofiled total).

    .venv/bin/python benchmarks/runtime.py [--calls 2000] [--concurrency 50] [--latency 0.02]
    .venv/bin/python benchmarks/runtime.py --cpu [--calls 5000]
(c) instructions per call (``--instructions``): the shared path of (b), counted by valgrind's
    callgrind (user-space instructions: the same count on a busy machine as on an idle one,
    where (b)'s CPU time moves with the load). Two runs of the same process, ``--calls``
    and a fifth of them after the same warm-up; the count per call is their difference
    over the calls between. Needs valgrind (``apt install valgrind``); about a minute.

    .venv/bin/python benchmarks/runtime.py --instructions [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

ANSWER = {"ticket_id": "T-1", "urgency": 3, "note": None}
SCHEMA = {
    "type": "object",
    "required": ["ticket_id", "urgency"],
    "properties": {
        "ticket_id": {"type": "string"},
        "urgency": {"type": "integer", "minimum": 1, "maximum": 5},
        "note": {"type": "string"},
    },
}


def response_body() -> bytes:
    return json.dumps(
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "model": "gpt-5.4-mini",
            "status": "completed",
            "output": [
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [
                        {"type": "output_text", "text": json.dumps(ANSWER), "annotations": []}
                    ],
                }
            ],
            "usage": {"input_tokens": 20, "output_tokens": 10, "total_tokens": 30},
        }
    ).encode()


async def serve(latency: float) -> None:
    body = response_body()
    head = (
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        f"x-request-id: req_1\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = 0
                line = await reader.readline()
                if not line:
                    return
                while True:
                    raw = await reader.readline()
                    if raw in (b"\r\n", b""):
                        break
                    if raw.lower().startswith(b"content-length:"):
                        length = int(raw.split(b":")[1])
                await reader.readexactly(length)
                await asyncio.sleep(latency)
                writer.write(head + body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def payload() -> bytes:
    return json.dumps(
        {
            "model": "gpt-5.4-mini",
            "instructions": "Classify.",
            "input": json.dumps({"id": "T-1"}),
            "text": {"format": {"type": "json_schema", "name": "Triage", "schema": SCHEMA}},
        }
    ).encode()


HEADERS = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}


async def bare_aiohttp(url: str, calls: int, concurrency: int) -> tuple[float, float]:
    import aiohttp

    body = payload()
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def one() -> Any:
            async with sem, http.post(f"{url}/v1/responses", data=body, headers=HEADERS) as r:
                r.raise_for_status()
                return json.loads(await r.read())

        start, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(calls)))
        return time.perf_counter() - start, time.process_time() - cpu0


async def bare_httpx(url: str, calls: int, concurrency: int) -> tuple[float, float]:
    """httpx over httpx-aiohttp's transport, one client (the layout of aiwf's shared one)."""
    import httpx
    from httpx_aiohttp import AiohttpTransport

    body = payload()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(transport=AiohttpTransport(limits=limits)) as client:

        async def one() -> Any:
            async with sem:
                r = await client.post(f"{url}/v1/responses", content=body, headers=HEADERS)
                r.raise_for_status()
                return json.loads(r.content)

        start, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(calls)))
        return time.perf_counter() - start, time.process_time() - cpu0


async def aiwf_runtime(url: str, calls: int, concurrency: int) -> tuple[float, float]:
    from aiwf.runtime._client import Runtime
    from aiwf.runtime._http import aclose_shared_client

    os.environ["OPENAI_API_KEY"] = "sk-bench"
    runtime = Runtime()  # the shared client, as the engine and the SDKs use it
    req = request(url)
    sem = asyncio.Semaphore(concurrency)

    async def one() -> Any:
        async with sem:
            return (await runtime.complete(req)).output

    try:
        await one()  # warm-up: jsonschema import and validator build
        start, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(calls)))
        elapsed = time.perf_counter() - start, time.process_time() - cpu0
        assert runtime.metrics.snapshot()["calls"] == calls + 1
        return elapsed
    finally:
        await aclose_shared_client()


def request(url: str) -> Any:
    from aiwf._ir.routes import Route
    from aiwf.runtime import ModelRequest

    return ModelRequest(
        route=Route(provider="openai", model="gpt-5.4-mini", base_url=f"{url}/v1"),
        instructions="Classify.",
        input={"id": "T-1"},
        output_schema=SCHEMA,
        schema_name="Triage",
    )


#: Components of a call's CPU, by where the self time is spent (first match wins).
COMPONENTS = (
    ("retries (tenacity, aiwf.runtime._retry)", ("tenacity/", "aiwf/runtime/_retry.py")),
    ("output check (jsonschema, structured.py)", ("jsonschema", "structured.py", "quickcheck.py")),
    ("JSON encode (canonical.py)", ("aiwf/runtime/_canonical.py",)),
    ("spans and metrics (tracing.py)", ("aiwf/runtime/_tracing.py",)),
    ("wire format (providers/)", ("aiwf/runtime/_providers/",)),
    ("call flow (client.py, types, redact)", ("aiwf/runtime/",)),
    ("httpx models and client", ("httpx/", "httpcore/", "http/cookiejar", "urllib/")),
    ("asyncio", ("asyncio/", "contextlib")),
)


#: The headers of the in-process answer of (b) and (c).
ANSWER_HEAD = {"content-type": "application/json", "x-request-id": "req_1"}


def in_process_runtime() -> Any:
    """A runtime on the shared client's path with its pool's send answered in-process (in
    the running loop), or None for an aiwf before that path; sets the API key it reads."""
    from aiwf.runtime import _http as aiwf_http
    from aiwf.runtime._client import Runtime

    os.environ["OPENAI_API_KEY"] = "sk-bench"
    if not hasattr(aiwf_http, "shared"):
        return None
    body = response_body()

    async def answer(*_: Any) -> tuple[int, dict[str, str], bytes]:
        return 200, ANSWER_HEAD, body

    runtime = Runtime()
    aiwf_http.shared().send = answer  # type: ignore[method-assign]
    return runtime


def cpu(calls: int) -> None:
    """CPU per call against an in-process transport (see the module docstring, (b))."""
    import cProfile
    import pstats

    import httpx

    from aiwf.runtime._client import Runtime

    body = response_body()

    class Answer(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, headers=ANSWER_HEAD, content=body)

    async def run() -> tuple[float, float, float, pstats.Stats]:
        from aiwf.runtime import _http as aiwf_http

        over_httpx = Runtime(transport=Answer())
        # The shared client's path, its send answered in-process; an aiwf before that path
        # (for before/after figures) measures the httpx path twice.
        shared = in_process_runtime() or over_httpx
        req = request("http://127.0.0.1:9")
        client = httpx.AsyncClient(transport=Answer())
        sent = payload()
        for _ in range(200):  # warm-up: validator build, caches
            await over_httpx.complete(req)
            await shared.complete(req)
        bare = via_httpx = own = float("inf")
        for _ in range(3):  # interleaved, best of 3
            start = time.process_time()
            for _ in range(calls):
                r = await client.post(
                    "http://127.0.0.1:9/v1/responses", content=sent, headers=HEADERS
                )
                json.loads(r.content)
            bare = min(bare, (time.process_time() - start) / calls)
            start = time.process_time()
            for _ in range(calls):
                await over_httpx.complete(req)
            via_httpx = min(via_httpx, (time.process_time() - start) / calls)
            start = time.process_time()
            for _ in range(calls):
                await shared.complete(req)
            own = min(own, (time.process_time() - start) / calls)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(calls // 5):
            await shared.complete(req)
        profile.disable()
        await client.aclose()
        await aiwf_http.aclose_shared_client()
        return bare, via_httpx, own, pstats.Stats(profile)

    bare, via_httpx, ours, stats = asyncio.run(run())
    spent: dict[str, float] = {name: 0.0 for name, _ in COMPONENTS}
    table = stats.stats  # type: ignore[attr-defined]

    def component(path: str) -> str | None:
        path = path.replace("\\", "/")
        for name, needles in COMPONENTS:
            if any(n in path for n in needles):
                return name
        return None

    owners: dict[Any, dict[str, float]] = {}

    def owner(func: Any, depth: int = 0) -> dict[str, float]:
        """The components a function's self time goes to: its own, or (builtins and the
        standard library) its callers', in proportion to the time each caller spent in it."""
        found = owners.get(func)
        if found is not None:
            return found
        if "benchmarks/runtime.py" in func[0]:
            return {}  # the fake transport: not the runtime's
        name = component(func[0])
        if name is not None:
            return owners.setdefault(func, {name: 1.0})
        callers = table[func][4] if func in table else {}
        shares = {c: v[2] or v[3] for c, v in callers.items()}
        whole = sum(shares.values())
        if depth > 30 or not whole:
            return owners.setdefault(func, {"other": 1.0})
        out: dict[str, float] = {}
        for caller, share in shares.items():
            for part, fraction in owner(caller, depth + 1).items():
                out[part] = out.get(part, 0.0) + fraction * share / whole
        owners[func] = out
        return out

    spent["other"] = 0.0
    total = 0.0
    for func, (_, _, tottime, _, _) in table.items():
        for name, fraction in owner(func).items():
            spent[name] += tottime * fraction
            total += tottime * fraction
    print(f"CPU per call, in-process answers, {calls} calls, best of 3 (process time)")
    print(f"  bare httpx post + json.loads (in-process transport)  {bare * 1e6:8.1f} us")
    print(f"  aiwf.runtime over an httpx client (same transport)   {via_httpx * 1e6:8.1f} us")
    print(f"  aiwf.runtime, shared client path, HTTP answered      {ours * 1e6:8.1f} us")
    print("    in-process: aiwf's own work per call (target < 40 us)")
    print("  the shared path by component (cProfile self time, scaled to its total):")
    for name, seconds in spent.items():
        print(f"    {name:<44}{seconds / total * ours * 1e6:8.1f} us")


async def shared_calls(calls: int) -> None:
    """``calls`` calls on the shared client's path, its send answered in-process, after
    the warm-up of (b) (what ``--instructions`` counts, in a child under callgrind)."""
    runtime = in_process_runtime()
    req = request("http://127.0.0.1:9")
    for _ in range(300):
        await runtime.complete(req)
    for _ in range(calls):
        await runtime.complete(req)


def instructions(calls: int) -> None:
    """Instructions per call on the shared path (see the module docstring, (c))."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("--instructions needs valgrind (apt install valgrind)")
    counts = []
    for n in (calls // 5, calls):
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run(
                [valgrind, "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
                 sys.executable, __file__, "--calls-child", str(n)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
        if found is None:
            sys.exit(f"callgrind printed no count:\n{done.stderr}")
        counts.append(int(found.group(1)))
    per_call = (counts[1] - counts[0]) / (calls - calls // 5)
    print(f"instructions per call, shared client path, HTTP answered in-process: {per_call:,.0f}")
    print(f"  (callgrind; {calls // 5:,} and {calls:,} calls, each after a warm-up of 300)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="CPU per call, in-process transport")
    parser.add_argument(
        "--instructions", action="store_true", help="instructions per call (callgrind)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--calls-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.latency))
        return
    if args.calls_child is not None:
        asyncio.run(shared_calls(args.calls_child))
        return
    if args.cpu:
        cpu(args.calls)
        return
    if args.instructions:
        instructions(args.calls)
        return
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    runs: dict[str, list[tuple[float, float]]] = {
        "bare aiohttp": [],
        "httpx-aiohttp": [],
        "aiwf.runtime": [],
    }
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        for _ in range(args.rounds):  # interleaved, best of N, so drift hits all alike
            runs["bare aiohttp"].append(
                asyncio.run(bare_aiohttp(url, args.calls, args.concurrency))
            )
            runs["httpx-aiohttp"].append(asyncio.run(bare_httpx(url, args.calls, args.concurrency)))
            runs["aiwf.runtime"].append(
                asyncio.run(aiwf_runtime(url, args.calls, args.concurrency))
            )
    finally:
        proc.terminate()
        proc.wait(5)
    best = {name: min(walls) for name, walls in runs.items()}
    base = best["bare aiohttp"]
    ideal = args.calls / args.concurrency * args.latency
    print(
        f"{args.calls} calls, concurrency {args.concurrency}, server latency "
        f"{args.latency * 1000:.0f} ms (ideal wall {ideal:.2f} s), best of {args.rounds}"
    )
    print(
        f"{'client':<16}{'wall s':>9}{'calls/s':>10}{'x ideal':>9}{'x aiohttp':>11}"
        f"{'CPU us/call':>13}"
    )
    for name, (wall, cpu_s) in best.items():
        print(
            f"{name:<16}{wall:>9.3f}{args.calls / wall:>10.0f}"
            f"{wall / ideal:>9.2f}{wall / base[0]:>10.2f}x{cpu_s / args.calls * 1e6:>13.0f}"
        )
    print("target: aiwf.runtime within 1.1x of the bare aiohttp loop")


if __name__ == "__main__":
    main()
