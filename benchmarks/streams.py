"""Streamed calls one after the other through the shared client's pool, over https on
127.0.0.1: what a stream's reader leaving at its last event costs.

An SSE reader (the runtime's, at ``data: [DONE]``) leaves a stream before its body's end,
which servers send a moment later (here ``--lag`` seconds after the last event). The pool
reads and drops that rest and keeps the connection (``Pool.stream``); the baseline, in the
same run, closes the connection instead (the pool's rest-reading turned off), so every call
pays a new TCP connection and TLS handshake. Wall and CPU time per call (client and server
share the process), and the connections the server accepted.

    .venv/bin/python benchmarks/streams.py [--calls 200] [--lag 0.002]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "runtime"))

from h1_support import Conn, Server, make_certs  # the tests' TLS server

from aiwf.runtime import _h1


def streaming(lag: float):  # type: ignore[no-untyped-def]
    async def handle(conn: Conn) -> None:
        while await conn.request() is not None:
            await conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for piece in (b'data: {"n": 1}\n\n', b"data: [DONE]\n\n"):
                await conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            await asyncio.sleep(lag)
            await conn.send(b"0\r\n\r\n")

    return handle


async def calls(n: int, lag: float, read_rest: bool) -> tuple[float, float, int]:
    certs = make_certs(Path(tempfile.mkdtemp()))
    saved = _h1._REST_BYTES
    _h1._REST_BYTES = saved if read_rest else -1  # -1: the rest is never read
    pool = _h1.Pool(4, 30.0, certs.client_context(), 8192)
    try:
        async with Server(streaming(lag), context=certs.server_context()) as srv:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(n):
                async with pool.stream("POST", srv.url, {}, b"{}", 5.0) as answer:
                    async for line in answer.aiter_lines():
                        if line == "data: [DONE]":
                            break
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            return wall / n, cpu / n, srv.accepted
    finally:
        await pool.aclose()
        _h1._REST_BYTES = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--lag", type=float, default=0.002)
    args = parser.parse_args()
    base = asyncio.run(calls(args.calls, args.lag, read_rest=False))
    ours = asyncio.run(calls(args.calls, args.lag, read_rest=True))
    print(f"{args.calls} streamed calls over https, body's end {args.lag * 1e3:g} ms after [DONE]")
    for name, (wall, cpu, accepted) in (
        ("connection closed at [DONE] (baseline)", base),
        ("rest read, connection kept (the pool)", ours),
    ):
        print(f"  {name:<42}{wall * 1e3:7.2f} ms/call {cpu * 1e3:7.2f} ms CPU  {accepted:4} conns")
    print(f"  ratio: {ours[0] / base[0]:.2f}x wall, {ours[1] / base[1]:.2f}x CPU")


if __name__ == "__main__":
    main()
