"""Runtime overhead: aiwf.runtime against a bare httpx loop, same server, same run.

2,000 calls, 50 in flight, to an OpenAI-shaped server on 127.0.0.1 (in a separate process)
that answers every request after 20 ms. The baseline posts the same body with one shared
httpx.AsyncClient and decodes the JSON; aiwf.runtime does what it does for every call
(request building, retries machinery, schema validation, spans and metrics).

    .venv/bin/python benchmarks/runtime.py [--calls 2000] [--concurrency 50] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
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


async def bare_httpx(url: str, calls: int, concurrency: int) -> float:
    import httpx

    payload = json.dumps(
        {
            "model": "gpt-5.4-mini",
            "instructions": "Classify.",
            "input": json.dumps({"id": "T-1"}),
            "text": {"format": {"type": "json_schema", "name": "Triage", "schema": SCHEMA}},
        }
    ).encode()
    headers = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
    # The pool layout of aiwf's shared client (aiwf/runtime/http.py): one httpx pool of 100
    # connections is CPU-bound at this width; 32 pools of 4 are not.
    shards = 32
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    clients = [httpx.AsyncClient(limits=limits) for _ in range(shards)]
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> Any:
        async with sem:
            client = clients[i % shards]
            r = await client.post(f"{url}/v1/responses", content=payload, headers=headers)
            r.raise_for_status()
            return json.loads(r.content)

    try:
        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(calls)))
        return time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()


async def aiwf_runtime(url: str, calls: int, concurrency: int) -> float:
    from aiwf.ir.routes import Route
    from aiwf.runtime import ModelRequest
    from aiwf.runtime.client import Runtime
    from aiwf.runtime.http import aclose_shared_client

    os.environ["OPENAI_API_KEY"] = "sk-bench"
    runtime = Runtime()  # the shared client, as the engine and the SDKs use it
    request = ModelRequest(
        route=Route(provider="openai", model="gpt-5.4-mini", base_url=f"{url}/v1"),
        instructions="Classify.",
        input={"id": "T-1"},
        output_schema=SCHEMA,
        schema_name="Triage",
    )
    sem = asyncio.Semaphore(concurrency)

    async def one() -> Any:
        async with sem:
            return (await runtime.complete(request)).output

    try:
        await one()  # warm-up: jsonschema import and validator build
        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        elapsed = time.perf_counter() - start
        assert runtime.metrics.snapshot()["calls"] == calls + 1
        return elapsed
    finally:
        await aclose_shared_client()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.latency))
        return
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(args.rounds):  # interleaved, best of N, so drift hits both alike
            bare.append(asyncio.run(bare_httpx(url, args.calls, args.concurrency)))
            ours.append(asyncio.run(aiwf_runtime(url, args.calls, args.concurrency)))
    finally:
        proc.terminate()
        proc.wait(5)
    b, o = min(bare), min(ours)
    ideal = args.calls / args.concurrency * args.latency
    print(
        f"{args.calls} calls, concurrency {args.concurrency}, server latency "
        f"{args.latency * 1000:.0f} ms (ideal wall {ideal:.2f} s), best of {args.rounds}"
    )
    print(f"{'client':<14}{'wall s':>9}{'calls/s':>10}{'ms/call':>10}{'ratio':>8}")
    for name, wall in (("bare httpx", b), ("aiwf.runtime", o)):
        print(
            f"{name:<14}{wall:>9.3f}{args.calls / wall:>10.0f}"
            f"{wall / args.calls * 1000:>10.3f}{wall / b:>8.2f}x"
        )
    print(f"aiwf.runtime overhead per call: {(o - b) / args.calls * 1e6:+.0f} us (wall-clock)")


if __name__ == "__main__":
    main()
