"""The HTTP/1.1 client that carries the runtime's plain calls (:mod:`aiwf.runtime._h1`), tried
as a user lives it: against real servers on 127.0.0.1 that write their answers byte by byte
(framing, timing, closes and resets are the test's), counting on the server side what the
client did (connections accepted, open at once, requests seen, connections closed)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import random
import socket
import ssl
import string
import time
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from h1_support import (
    Certs,
    Conn,
    Handler,
    Server,
    answering,
    chunked,
    echo_path,
    make_certs,
    ok,
    refused_port,
    response,
    unanswered_port,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwf._version import __version__
from aiwf.runtime._h1 import Pool

until = Server.until
MakePool = Callable[..., Pool]


@pytest.fixture
async def make_pool() -> AsyncIterator[MakePool]:
    """Pools as the shared client makes them (defaults: 10 connections, 30 s keep-alive, the
    system's trust store, 8 KiB header fields), each closed at the end of the test."""
    made: list[Pool] = []

    def make(
        connections: int = 10,
        keepalive: float = 30.0,
        context: ssl.SSLContext | None = None,
        max_header: int = 8192,
    ) -> Pool:
        pool = Pool(connections, keepalive, context or ssl.create_default_context(), max_header)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        if not pool.closed:
            await pool.aclose()


@pytest.fixture
def pool(make_pool: MakePool) -> Pool:
    return make_pool()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


async def send(
    pool: Pool,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    content: bytes = b"",
    connect_timeout: float = 5.0,
    timeout: float = 5.0,
) -> tuple[int, Any, bytes]:
    """``pool.send``, with ``timeout`` as a safety net against a hang (a hang fails the test
    with TimeoutError instead of stalling the run)."""
    async with asyncio.timeout(timeout):
        return await pool.send(method, url, headers or {}, content, connect_timeout)


async def get(pool: Pool, url: str, timeout: float = 5.0) -> tuple[int, Any, bytes]:
    """A GET with no headers and no body, under the same safety net."""
    return await send(pool, "GET", url, timeout=timeout)


# -- keep-alive -------------------------------------------------------------------------------


async def test_sequential_requests_to_one_origin_reuse_one_connection(pool: Pool) -> None:
    async with Server(echo_path()) as srv:
        bodies = [(await get(pool, f"{srv.url}/{n}"))[2] for n in range(5)]
        assert bodies == [b"/0", b"/1", b"/2", b"/3", b"/4"]
        assert srv.accepted == 1
        assert (pool.open_connections, pool.idle_connections) == (1, 1)


async def test_a_connection_close_answer_is_not_reused(pool: Pool) -> None:
    reply = answering(lambda r: response(200, r.target.encode(), [("Connection", "close")]))
    async with Server(reply) as srv:
        assert (await get(pool, f"{srv.url}/a"))[2] == b"/a"
        await until(srv.conns[0].gone.is_set)  # the client hung up: it did not keep it
        assert (await get(pool, f"{srv.url}/b"))[2] == b"/b"
        assert srv.accepted == 2
        await until(lambda: pool.open_connections == 0)


async def test_an_http_1_0_answer_without_keep_alive_is_not_reused(pool: Pool) -> None:
    async def old(conn: Conn) -> None:
        request = await conn.request()
        assert request is not None
        await conn.send(response(200, request.target.encode(), version="HTTP/1.0"))
        await conn.until_gone()

    async with Server(old) as srv:
        assert (await get(pool, f"{srv.url}/a"))[2] == b"/a"
        await until(srv.conns[0].gone.is_set)
        assert (await get(pool, f"{srv.url}/b"))[2] == b"/b"
        assert srv.accepted == 2


@pytest.mark.parametrize("end", ["close", "reset"])
async def test_a_server_that_closed_an_idle_connection_costs_no_error(pool: Pool, end: str) -> None:
    async def once(conn: Conn) -> None:  # one answer, then FIN or RST (no Connection: close)
        request = await conn.request()
        assert request is not None
        await conn.send(response(200, request.target.encode()))
        await asyncio.sleep(0.01)
        conn.close() if end == "close" else conn.reset()

    async with Server(once) as srv:
        for n in range(3):
            assert (await get(pool, f"{srv.url}/{n}"))[2] == f"/{n}".encode()
            await until(lambda: srv.active == 0)
            await asyncio.sleep(0.05)  # let the FIN or RST reach the idle connection
        assert srv.accepted == 3
        assert pool.open_connections <= 1


async def test_an_http_1_0_answer_with_keep_alive_is_reused(pool: Pool) -> None:
    head = [("Connection", "keep-alive")]
    reply = answering(lambda r: response(200, r.target.encode(), head, version="HTTP/1.0"))
    async with Server(reply) as srv:
        assert (await get(pool, f"{srv.url}/a"))[2] == b"/a"
        assert (await get(pool, f"{srv.url}/b"))[2] == b"/b"
        assert srv.accepted == 1


async def test_the_connect_timeout_does_not_bound_the_wait_for_the_answer(pool: Pool) -> None:
    async def slow(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            await asyncio.sleep(0.5)
            await conn.send(response(200, request.target.encode()))

    async with Server(slow) as srv:
        status, _, body = await send(pool, "GET", f"{srv.url}/slow", {}, b"", 0.05)
        assert (status, body) == (200, b"/slow")


async def test_idle_connections_past_keepalive_are_closed_without_further_requests(
    make_pool: MakePool,
) -> None:
    pool = make_pool(keepalive=0.5)
    async with Server(ok()) as srv:
        await get(pool, srv.url)
        await get(pool, srv.url)
        assert srv.accepted == 1  # reused within the keep-alive
        await until(srv.conns[0].gone.is_set)  # the sweep closed it, no request needed
        assert (pool.open_connections, pool.idle_connections) == (0, 0)
        assert (await get(pool, srv.url))[2] == b"ok"
        assert srv.accepted == 2


# -- the request on the wire ------------------------------------------------------------------


async def test_a_request_carries_its_line_host_headers_and_body(pool: Pool) -> None:
    async with Server(ok()) as srv:
        sent = {"Content-Type": "application/json", "X-Probe": "yes"}
        url = f"{srv.url}/v1/responses?a=1&b=%20x#fragment"
        status, _, body = await send(pool, "POST", url, sent, b'{"x": 1}', 5.0)
    assert (status, body) == (200, b"ok")
    [request] = srv.requests
    assert (request.method, request.target, request.version) == (
        "POST",
        "/v1/responses?a=1&b=%20x",
        "HTTP/1.1",
    )
    assert request.header("Host") == f"127.0.0.1:{srv.port}"
    assert request.header("Content-Type") == "application/json"
    assert request.header("X-Probe") == "yes"
    assert request.header("Content-Length") == "8"
    assert request.header("Accept-Encoding") == "gzip, deflate"
    assert request.header("User-Agent") == f"aiwf/{__version__}"
    assert request.body == b'{"x": 1}'
    assert b"fragment" not in request.head


@pytest.mark.parametrize(
    ("suffix", "target"),
    [
        ("", "/"),
        ("/", "/"),
        ("?q=1", "/?q=1"),
        ("#top", "/"),
        ("/a/b/?c=d#e", "/a/b/?c=d"),
        ("/a%2Fb?x=%26", "/a%2Fb?x=%26"),  # escapes kept as they are
        ("/a b?c d", "/a%20b?c%20d"),  # a space cannot go on the wire
    ],
)
async def test_the_target_is_path_and_query(pool: Pool, suffix: str, target: str) -> None:
    async with Server(ok()) as srv:
        await get(pool, srv.url + suffix)
    assert [r.target for r in srv.requests] == [target]


async def test_an_empty_body_is_sent_with_content_length_zero(pool: Pool) -> None:
    async with Server(ok()) as srv:
        await get(pool, srv.url)
        await send(pool, "DELETE", f"{srv.url}/x", {}, b"", 5.0)
    assert [(r.method, r.header("content-length"), r.body) for r in srv.requests] == [
        ("GET", "0", b""),
        ("DELETE", "0", b""),
    ]


async def test_given_accept_encoding_and_user_agent_replace_the_defaults(pool: Pool) -> None:
    async with Server(ok()) as srv:
        sent = {"accept-encoding": "identity", "user-agent": "probe/1.0"}
        await send(pool, "GET", srv.url, sent, b"", 5.0)
    [request] = srv.requests
    assert request.header("Accept-Encoding") == "identity"  # once, the given value
    assert request.header("User-Agent") == "probe/1.0"


async def test_the_host_header_has_no_port_for_the_scheme_default(pool: Pool) -> None:
    # Port 80 on an address of the loopback range nobody else uses (the tests run as root).
    pick = random.Random()
    address = f"127.{pick.randrange(1, 255)}.{pick.randrange(1, 255)}.{pick.randrange(2, 255)}"
    async with Server(ok(), host=address, port=80) as srv:
        await get(pool, f"http://{address}/x")
        await get(pool, f"http://{address}:80/y")
    assert [r.header("Host") for r in srv.requests] == [address, address]


async def test_url_credentials_become_basic_authorization(pool: Pool) -> None:
    async with Server(ok()) as srv:
        await get(pool, f"http://alice:s3cret@127.0.0.1:{srv.port}/x")
        given = {"Authorization": "Bearer tok"}
        await send(pool, "GET", f"http://alice:s3cret@127.0.0.1:{srv.port}/y", given, b"", 5.0)
    first, second = srv.requests
    assert first.header("Authorization") == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert second.header("Authorization") == "Bearer tok"
    for request in (first, second):
        assert request.header("Host") == f"127.0.0.1:{srv.port}"
        assert b"alice" not in request.head
        assert b"s3cret" not in request.head


async def test_percent_encoded_url_credentials_are_decoded(pool: Pool) -> None:
    async with Server(ok()) as srv:
        await get(pool, f"http://al%40ice:p%3As%20s@127.0.0.1:{srv.port}/")
    expected = "Basic " + base64.b64encode(b"al@ice:p:s s").decode()
    assert srv.requests[0].header("Authorization") == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "1\r\nX-Injected: 1"},
        {"X-A": "one\ntwo"},
        {"X-A": "one\rtwo"},
        {"X-A": "one\x00two"},
        {"X-A\r\nX-Injected": "1"},
        {"X-\x00A": "1"},
    ],
)
async def test_header_fields_with_cr_lf_or_nul_are_refused_before_sending(
    make_pool: MakePool, headers: dict[str, str]
) -> None:
    pool = make_pool(connections=1)
    async with Server(ok()) as srv:
        with pytest.raises(ValueError):  # noqa: PT011 (any message)
            await send(pool, "POST", f"{srv.url}/bad", headers, b"body", 5.0)
        assert (await get(pool, f"{srv.url}/good"))[2] == b"ok"  # the pool still works
        await pool.aclose()
        await until(lambda: all(c.gone.is_set() for c in srv.conns))
        [request] = srv.requests
        assert request.target == "/good"
        assert b"".join(c.received for c in srv.conns) == request.head  # nothing else sent


async def test_a_large_request_and_answer_arrive_whole(pool: Pool) -> None:
    payload = random.Random(7).randbytes(1 << 20)
    async with Server(answering(lambda r: response(200, r.body[::-1]))) as srv:
        status, _, body = await send(pool, "PUT", f"{srv.url}/big", {}, payload, 5.0)
    assert (status, body) == (200, payload[::-1])
    assert srv.requests[0].body == payload


# -- the answer -------------------------------------------------------------------------------


async def test_response_headers_are_case_insensitive_and_repeats_joined(pool: Pool) -> None:
    head = [("X-Multi", "a"), ("Retry-After", "3"), ("x-multi", "b"), ("X-MULTI", "c, d")]
    async with Server(answering(lambda _: response(429, b"{}", head))) as srv:
        status, headers, body = await get(pool, srv.url)
    assert (status, body) == (429, b"{}")
    assert headers["x-multi"] == headers["X-Multi"] == "a, b, c, d"
    assert headers["RETRY-AFTER"] == "3"
    assert headers["content-length"] == "2"
    assert "x-missing" not in headers
    assert headers.get("x-missing") is None


async def test_a_chunked_answer_with_extensions_and_trailers(pool: Pool) -> None:
    wire = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Sum: 11\r\n\r\n"
    )
    async with Server(answering(lambda _: wire)) as srv:
        assert (await get(pool, srv.url))[2] == b"hello world"
        assert (await get(pool, srv.url))[2] == b"hello world"
        assert srv.accepted == 1  # the framing ended where it should: the connection was kept


async def test_an_answer_without_length_runs_until_the_server_closes(pool: Pool) -> None:
    async def until_close(conn: Conn) -> None:
        request = await conn.request()
        assert request is not None
        await conn.send(response(200, b"no length ", length=False))
        await asyncio.sleep(0.01)
        await conn.send(b"but all of it")

    async with Server(until_close) as srv:
        status, _, body = await get(pool, srv.url)
        assert (status, body) == (200, b"no length but all of it")
        assert (await get(pool, srv.url))[2] == b"no length but all of it"
        assert srv.accepted == 2


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        b'HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\nETag: "x"\r\n\r\n',
    ],
)
async def test_no_body_is_read_for_204_and_304(pool: Pool, head: bytes) -> None:
    replies = iter([head, response(200, b"next")])
    async with Server(answering(lambda _: next(replies))) as srv:
        status, _, body = await get(pool, srv.url)
        assert (status, body) == (int(head[9:12]), b"")
        assert (await get(pool, srv.url))[::2] == (200, b"next")
        assert srv.accepted == 1


async def test_no_body_is_read_for_a_head_request(pool: Pool) -> None:
    replies = iter([b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", response(200, b"next")])
    async with Server(answering(lambda _: next(replies))) as srv:
        status, headers, body = await send(pool, "HEAD", srv.url, timeout=1.0)
        assert (status, headers["content-length"], body) == (200, "12", b"")
        assert (await get(pool, srv.url))[2] == b"next"
        assert srv.accepted == 1


async def test_interim_1xx_answers_are_skipped(pool: Pool) -> None:
    wire = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        + response(201, b"final", [("X-Final", "1")])
    )
    async with Server(answering(lambda _: wire)) as srv:
        status, headers, body = await send(pool, "POST", srv.url, {}, b"{}", 5.0)
        assert (status, headers["x-final"], body) == (201, "1", b"final")
        assert (await get(pool, srv.url))[0] == 201  # and the connection is still in step
        assert srv.accepted == 1


TEXT = b"The quick brown fox jumps over the lazy dog. " * 50


@pytest.mark.parametrize(
    ("encoding", "wire"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),
        ("GZip", gzip.compress(TEXT)),
    ],
)
async def test_bodies_are_decoded_per_content_encoding(
    pool: Pool, encoding: str, wire: bytes
) -> None:
    reply = answering(lambda _: response(200, wire, [("Content-Encoding", encoding)]))
    async with Server(reply) as srv:
        assert (await get(pool, srv.url))[2] == TEXT


async def test_a_chunked_gzip_body_is_decoded(pool: Pool) -> None:
    wire = gzip.compress(TEXT)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    reply = answering(lambda _: head + chunked(wire, [1, 7, 30, 2, 100]))
    async with Server(reply) as srv:
        assert (await get(pool, srv.url))[2] == TEXT


# -- failures ---------------------------------------------------------------------------------


async def test_a_refused_connection_is_a_connect_error(make_pool: MakePool) -> None:
    pool = make_pool(connections=1)
    for _ in range(3):  # each failure gives its slot back (else the second would wait forever)
        with pytest.raises(httpx.ConnectError):
            await get(pool, f"http://127.0.0.1:{refused_port()}/")
    assert pool.open_connections == 0


async def test_an_unknown_host_is_a_connect_error(pool: Pool) -> None:
    with pytest.raises(httpx.ConnectError):
        await get(pool, "http://no-such-host.invalid/", timeout=30)
    assert pool.open_connections == 0


async def test_a_connect_past_its_timeout_is_a_connect_timeout(pool: Pool) -> None:
    with unanswered_port() as port:
        with pytest.raises(httpx.ConnectTimeout):
            await send(pool, "GET", f"http://127.0.0.1:{port}/", connect_timeout=0.2)
        assert pool.open_connections == 0


async def _read_then(conn: Conn, data: bytes, end: str, pieces: tuple[int, ...]) -> None:
    """Read one request, write ``data`` (in ``pieces``), then end as told: close, reset, or
    stay silent until the client hangs up."""
    if await conn.request() is None:
        return
    await conn.send(data, pieces, pause=0.002 if pieces else 0.0)  # pieces: separate reads
    if end == "close":
        conn.close()
    elif end == "reset":
        conn.reset()
    else:
        await conn.until_gone()


def ends(data: bytes, end: str, pieces: tuple[int, ...] = ()) -> Handler:
    return lambda conn: _read_then(conn, data, end, pieces)


def failure(name: str, handler: Handler, error: type[Exception], *marks: Any) -> Any:
    return pytest.param(handler, error, id=name, marks=marks)


BIG_HEAD = response(200, b"x", [(f"X-Pad-{n:02}", "v" * 490) for n in range(10)])
FAILURES = [
    failure("closed before answering", ends(b"", "close"), httpx.ReadError),
    failure("reset before answering", ends(b"", "reset"), httpx.ReadError),
    failure("closed mid-head", ends(b"HTTP/1.1 200 OK\r\nContent-Le", "close"), httpx.ReadError),
    failure("reset mid-body", ends(response(200, b"0123456789")[:-4], "reset"), httpx.ReadError),
    failure(
        "short content-length body",
        ends(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", "close"),
        httpx.ReadError,
    ),
    failure(
        "closed mid-chunks",
        ends(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "close"),
        httpx.ReadError,
    ),
    failure("not http", ends(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "stay"), httpx.RemoteProtocolError),
    failure("bad status line", ends(b"HTTP/1.1 2x0 OK\r\n\r\n", "stay"), httpx.RemoteProtocolError),
    failure(
        "bad chunk size",
        ends(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n", "stay"),
        httpx.RemoteProtocolError,
    ),
    failure(
        "header field past max_header",
        ends(response(200, b"x", [("X-Long", "v" * 1100)]), "stay"),
        httpx.RemoteProtocolError,
    ),
    failure(
        "head past 4 x max_header, in pieces",
        ends(BIG_HEAD, "stay", (700,) * 10),
        httpx.RemoteProtocolError,
    ),
    failure(
        "head past 4 x max_header, in one piece", ends(BIG_HEAD, "stay"), httpx.RemoteProtocolError
    ),
]


async def test_a_server_that_speaks_first_and_not_http_is_a_protocol_error(pool: Pool) -> None:
    async def banner(conn: Conn) -> None:  # as an SSH server greets, before any request
        await conn.send(b"SSH-2.0-OpenSSH_9.6\r\n")
        await conn.until_gone()

    async with Server(banner) as srv:
        with pytest.raises(httpx.RemoteProtocolError):
            await get(pool, srv.url)


@pytest.mark.parametrize(("handler", "error"), FAILURES)
async def test_failures_are_the_httpx_exceptions(
    make_pool: MakePool, handler: Handler, error: type[Exception]
) -> None:
    pool = make_pool(connections=1, max_header=1024)
    async with Server(handler) as srv:
        for _ in range(2):  # the failure gave its slot back: the second attempt fails alike
            with pytest.raises(error) as info:
                await get(pool, srv.url)
            assert isinstance(info.value, httpx.TransportError)
            assert not isinstance(info.value, httpx.TimeoutException)
            await until(lambda: pool.open_connections == 0)  # the broken connection is gone
        assert srv.accepted == 2


@pytest.mark.parametrize(
    ("encoding", "wire"),
    [
        ("gzip", b"plain text, not gzip"),
        ("gzip", gzip.compress(TEXT)[:40]),
        ("deflate", b"plain text, not deflate"),
        ("x-unheard-of", b"data"),
    ],
    ids=["not gzip", "truncated gzip", "not deflate", "unknown encoding"],
)
async def test_a_body_that_does_not_decode_is_a_remote_protocol_error(
    pool: Pool, encoding: str, wire: bytes
) -> None:
    bad = response(200, wire, [("Content-Encoding", encoding)])
    reply = answering(lambda r: bad if r.target == "/bad" else response(200, b"fine"))
    async with Server(reply) as srv:
        with pytest.raises(httpx.RemoteProtocolError):
            await get(pool, f"{srv.url}/bad")
        # The answer was framed correctly: the connection may be kept, but not left busy.
        assert pool.open_connections == pool.idle_connections <= 1
        assert (await get(pool, f"{srv.url}/good"))[2] == b"fine"


async def test_bytes_after_an_answer_do_not_reach_the_next_request(pool: Pool) -> None:
    """A server that writes more than it framed (a body longer than its Content-Length)."""
    extra = response(200, b"/first") + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"
    replies = {"/first": extra}
    reply = answering(lambda r: replies.get(r.target, response(200, r.target.encode())))
    async with Server(reply) as srv:
        assert (await get(pool, f"{srv.url}/first"))[2] == b"/first"
        await asyncio.sleep(0.05)  # let the extra bytes arrive
        assert (await get(pool, f"{srv.url}/second"))[2] == b"/second"


async def test_long_fields_and_heads_within_the_limits_are_read(make_pool: MakePool) -> None:
    pool = make_pool(max_header=1024)
    head = [("X-Long", "v" * 1000), *((f"X-Pad-{n:02}", "v" * 490) for n in range(5))]
    async with Server(answering(lambda _: response(200, b"fine", head))) as srv:
        status, headers, body = await get(pool, srv.url)
    assert (status, body, headers["x-long"]) == (200, b"fine", "v" * 1000)


async def test_a_tls_handshake_past_the_connect_timeout_is_a_connect_timeout(
    pool: Pool,
) -> None:
    async with Server(lambda conn: conn.until_gone()) as silent:  # TCP accepted, TLS never
        with pytest.raises(httpx.ConnectTimeout):
            await send(pool, "GET", f"https://127.0.0.1:{silent.port}/", connect_timeout=0.2)
        assert pool.open_connections == 0
        await until(silent.conns[0].gone.is_set)  # the half-open connection was closed


async def test_a_send_cancelled_while_connecting_frees_its_slot(make_pool: MakePool) -> None:
    pool = make_pool(connections=1)
    with unanswered_port() as port:
        task = asyncio.create_task(pool.send("GET", f"http://127.0.0.1:{port}/", {}, b"", 30.0))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert pool.open_connections == 0
    async with Server(ok()) as srv:
        assert (await get(pool, srv.url))[2] == b"ok"
    assert pool.open_connections == 1


async def test_closing_the_pool_ends_requests_in_flight_and_waiting(make_pool: MakePool) -> None:
    pool = make_pool(connections=1)
    async with Server(lambda conn: conn.until_gone()) as silent:  # reads, never answers
        flying = asyncio.create_task(get(pool, f"{silent.url}/flying"))
        await until(lambda: silent.accepted == 1 and len(silent.conns[0].received) > 0)
        waiting = asyncio.create_task(get(pool, f"{silent.url}/waiting"))
        await asyncio.sleep(0.01)
        await pool.aclose()
        with pytest.raises(httpx.TransportError):
            await flying
        with pytest.raises(RuntimeError):
            await waiting
        await until(silent.conns[0].gone.is_set)
        assert pool.open_connections == 0
        assert silent.accepted == 1


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/hosts", "ws://127.0.0.1/"])
async def test_other_schemes_are_unsupported(pool: Pool, url: str) -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        await get(pool, url)


async def test_a_closed_pool_closes_its_connections_and_refuses_requests(pool: Pool) -> None:
    async with Server(ok()) as srv:
        await get(pool, srv.url)
        assert not pool.closed
        await pool.aclose()
        assert pool.closed
        assert (pool.open_connections, pool.idle_connections) == (0, 0)
        await until(srv.conns[0].gone.is_set)
        with pytest.raises(RuntimeError):
            await get(pool, srv.url)
        assert srv.accepted == 1


# -- the connection limit ---------------------------------------------------------------------


async def test_no_more_connections_than_the_limit_and_every_request_completes(
    make_pool: MakePool,
) -> None:
    pool = make_pool(connections=3)
    jitter = random.Random(3)

    async def slow_echo(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            await until(lambda: srv.active >= 3)  # every connection the pool may open is used
            await asyncio.sleep(jitter.random() / 100)
            await conn.send(response(200, request.target.encode()))

    async with Server(slow_echo) as srv:
        answers = await asyncio.gather(*(get(pool, f"{srv.url}/{n}") for n in range(20)))
        assert [a[2] for a in answers] == [f"/{n}".encode() for n in range(20)]
        assert srv.most_active == 3
        assert srv.accepted == 3
        assert pool.open_connections == 3


async def test_requests_waiting_for_a_connection_are_served_in_order(
    make_pool: MakePool,
) -> None:
    pool = make_pool(connections=1)
    release = asyncio.Event()

    async def held_first(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            if request.target == "/hold":
                await release.wait()
            await conn.send(response(200, request.target.encode()))

    async with Server(held_first) as srv:
        holder = asyncio.create_task(get(pool, f"{srv.url}/hold"))
        await until(lambda: len(srv.requests) == 1)
        assert (pool.open_connections, pool.idle_connections) == (1, 0)  # busy, not idle
        waiters = []
        for n in range(6):
            waiters.append(asyncio.create_task(get(pool, f"{srv.url}/{n}")))
            await asyncio.sleep(0)
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        await holder
        await asyncio.gather(*waiters)
    assert [r.target for r in srv.requests] == ["/hold", "/0", "/1", "/2", "/3", "/4", "/5"]
    assert srv.accepted == 1


async def test_at_the_limit_a_request_to_another_host_closes_an_idle_one(
    make_pool: MakePool,
) -> None:
    pool = make_pool(connections=1)
    async with Server(ok(b"A")) as a, Server(ok(b"B")) as b:
        assert (await get(pool, a.url))[2] == b"A"
        assert pool.idle_connections == 1
        assert (await get(pool, b.url))[2] == b"B"
        await until(a.conns[0].gone.is_set)
        assert (pool.open_connections, pool.idle_connections) == (1, 1)
        assert (await get(pool, a.url))[2] == b"A"
        assert (a.accepted, b.accepted) == (2, 1)


async def test_requests_to_many_hosts_at_the_limit_all_complete(make_pool: MakePool) -> None:
    pool = make_pool(connections=2)
    jitter = random.Random(5)
    seen_open: list[int] = []

    async def slow_echo(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            seen_open.append(pool.open_connections)
            await asyncio.sleep(jitter.random() / 200)
            await conn.send(response(200, request.target.encode()))

    async with Server(slow_echo) as a, Server(slow_echo) as b, Server(slow_echo) as c:
        urls = [f"{jitter.choice([a, b, c]).url}/{n}" for n in range(30)]
        answers = await asyncio.gather(*(get(pool, url, timeout=20) for url in urls))
        assert [x[2] for x in answers] == [f"/{n}".encode() for n in range(30)]
        assert len(seen_open) == 30
        assert max(seen_open) <= 2
        assert pool.open_connections <= 2


# -- cancellation -----------------------------------------------------------------------------


def late_then_echo(release: asyncio.Event, first: bytes) -> Handler:
    """The first connection writes ``first`` (none, part of an answer), waits for
    ``release``, writes the rest of a "stale" answer, then echoes paths; later connections
    echo paths."""
    connections = 0

    async def handle(conn: Conn) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            if await conn.request() is None:
                return
            await conn.send(first)
            await release.wait()
            await conn.send(b"stale" if first else response(200, b"stale"))
        await echo_path()(conn)

    return handle


@pytest.mark.parametrize(
    "first",
    [b"", b"HTTP/1.1 200 OK\r\nContent-", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"],
    ids=["before the answer", "mid-head", "mid-body"],
)
async def test_a_cancelled_send_closes_its_connection_and_frees_its_slot(
    make_pool: MakePool, first: bytes
) -> None:
    pool = make_pool(connections=1)
    release = asyncio.Event()
    async with Server(late_then_echo(release, first)) as srv:
        task = asyncio.create_task(pool.send("GET", f"{srv.url}/slow", {}, b"", 5.0))
        await until(lambda: len(srv.requests) == 1)
        await asyncio.sleep(0.05)  # let the partial answer (if any) reach the client
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: pool.open_connections == 0)  # its slot is free again
        release.set()
        assert (await get(pool, f"{srv.url}/fresh"))[2] == b"/fresh"  # not the stale bytes
        assert srv.accepted == 2
        await until(srv.conns[0].gone.is_set)
        assert pool.open_connections == 1


async def test_a_timed_out_send_closes_its_connection_and_frees_its_slot(
    make_pool: MakePool,
) -> None:
    pool = make_pool(connections=1)
    release = asyncio.Event()
    async with Server(late_then_echo(release, b"")) as srv:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pool.send("GET", f"{srv.url}/slow", {}, b"", 5.0), 0.2)
        await until(lambda: pool.open_connections == 0)
        release.set()
        assert (await get(pool, f"{srv.url}/fresh"))[2] == b"/fresh"
        assert srv.accepted == 2


async def test_cancelled_waiters_lose_no_slot(make_pool: MakePool) -> None:
    pool = make_pool(connections=1)
    release = asyncio.Event()

    async def held(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            if request.target == "/hold":
                await release.wait()
            await conn.send(response(200, request.target.encode()))

    async with Server(held) as srv:
        # Cancel the queued waiters at every point from before to after the slot's release,
        # including the moment the slot is handed to one of them.
        for spins in range(12):
            release.clear()
            holder = asyncio.create_task(get(pool, f"{srv.url}/hold"))
            await until(lambda: srv.requests[-1].target == "/hold" if srv.requests else False)
            waiters = [asyncio.create_task(get(pool, f"{srv.url}/w")) for _ in range(3)]
            for _ in range(3):
                await asyncio.sleep(0)
            release.set()
            for _ in range(spins):
                await asyncio.sleep(0)
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
            assert (await holder)[2] == b"/hold"
            assert (await get(pool, f"{srv.url}/after"))[2] == b"/after"
            assert pool.open_connections <= 1


# -- https ------------------------------------------------------------------------------------


async def test_https_with_a_trusted_certificate(make_pool: MakePool, certs: Certs) -> None:
    pool = make_pool(context=certs.client_context())
    async with Server(echo_path(), context=certs.server_context()) as srv:
        assert (await get(pool, f"https://127.0.0.1:{srv.port}/ip"))[2] == b"/ip"
        assert (await get(pool, f"https://127.0.0.1:{srv.port}/again"))[2] == b"/again"
        assert (await get(pool, f"https://localhost:{srv.port}/name"))[2] == b"/name"
        assert srv.accepted == 2  # one per origin, kept alive
        assert srv.server_names[-1] == "localhost"
        assert [r.header("host") for r in srv.requests] == [
            f"127.0.0.1:{srv.port}",
            f"127.0.0.1:{srv.port}",
            f"localhost:{srv.port}",
        ]


async def test_https_with_an_untrusted_certificate_is_a_connect_error(
    pool: Pool, certs: Certs
) -> None:
    async with Server(ok(), context=certs.server_context()) as srv:
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(httpx.ConnectError):
                await get(pool, f"https://{host}:{srv.port}/")
        assert srv.requests == []
        assert pool.open_connections == 0


async def test_https_to_a_host_the_certificate_does_not_name_is_a_connect_error(
    make_pool: MakePool, certs: Certs
) -> None:
    pool = make_pool(context=certs.client_context())
    async with Server(ok(), context=certs.server_context(), host="127.0.0.2") as srv:
        with pytest.raises(httpx.ConnectError):
            await get(pool, f"https://127.0.0.2:{srv.port}/")
        assert srv.requests == []
        assert pool.open_connections == 0


# -- host names -------------------------------------------------------------------------------


async def test_an_ipv6_literal_is_bracketed_in_the_host_header(pool: Pool) -> None:
    async with Server(echo_path(), host="::1") as srv:
        assert (await get(pool, f"http://[::1]:{srv.port}/six"))[2] == b"/six"
    assert srv.requests[0].header("host") == f"[::1]:{srv.port}"


async def test_localhost_works(pool: Pool) -> None:
    async with Server(ok()) as srv:
        assert (await get(pool, f"http://localhost:{srv.port}/"))[2] == b"ok"
    assert srv.requests[0].header("host") == f"localhost:{srv.port}"


async def test_localhost_falls_through_to_the_next_address(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolution may put ::1 first while the server listens on 127.0.0.1 only."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def v6_first(host: Any, port: Any, family: int = 0, *args: Any, **kwargs: Any) -> Any:
        found = real(host, port, family, *args, **kwargs)
        if host in ("localhost", b"localhost") and family in (0, socket.AF_UNSPEC, socket.AF_INET6):
            asked.append(host)
            v6 = (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", int(port), 0, 0))
            return [v6, *[f for f in found if f[0] != socket.AF_INET6]]
        return found

    monkeypatch.setattr(socket, "getaddrinfo", v6_first)
    async with Server(ok()) as srv:
        assert (await get(pool, f"http://localhost:{srv.port}/"))[2] == b"ok"
    assert asked  # the ::1-first answer was the one the client had


class Resolver:
    """``socket.getaddrinfo`` for the name ``aiwf-test.invalid``: the addresses given (or the
    failure), after ``delay`` seconds; every other name as the system resolves it."""

    NAME = "aiwf-test.invalid"

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *ports: int, delay: float = 0.0) -> None:
        self.ports = list(ports)
        self.delay = delay
        self.calls = 0
        self.fail: OSError | None = None
        real = socket.getaddrinfo

        def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host not in (self.NAME, self.NAME.encode()):
                return real(host, port, *args, **kwargs)
            self.calls += 1
            time.sleep(self.delay)  # in the executor's thread, as a slow resolver is
            if self.fail is not None:
                raise self.fail
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", p)) for p in self.ports
            ]

        monkeypatch.setattr(socket, "getaddrinfo", lookup)

    def url(self, port: int) -> str:
        return f"http://{self.NAME}:{port}/"


async def test_connects_at_once_share_one_lookup(
    make_pool: MakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scatter opens its connections at once: one lookup serves them all (the system's
    resolver caches nothing, and its lookups queue for the loop's few executor threads)."""
    pool = make_pool(connections=20)
    async with Server(ok()) as srv:
        names = Resolver(monkeypatch, srv.port, delay=0.05)
        answers = await asyncio.gather(*(get(pool, names.url(srv.port)) for _ in range(20)))
        assert [a[2] for a in answers] == [b"ok"] * 20
        assert srv.accepted == 20
        assert names.calls == 1
        assert srv.requests[0].header("host") == f"{Resolver.NAME}:{srv.port}"
        await get(pool, names.url(srv.port))  # an idle connection: no lookup
        assert names.calls == 1


async def test_a_failed_lookup_fails_its_connects_and_the_next_one_looks_again(
    make_pool: MakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = make_pool(connections=5)
    async with Server(ok()) as srv:
        names = Resolver(monkeypatch, srv.port, delay=0.05)
        names.fail = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        failed = await asyncio.gather(
            *(get(pool, names.url(srv.port)) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(f, httpx.ConnectError) for f in failed), failed
        assert "Name or service not known" in str(failed[0])
        assert names.calls == 1
        names.fail = None
        assert (await get(pool, names.url(srv.port)))[2] == b"ok"
        assert names.calls == 2
        assert pool.open_connections == 1


async def test_a_connect_cancelled_while_it_looks_up_leaves_the_lookup_to_the_others(
    make_pool: MakePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = make_pool(connections=2)
    async with Server(ok()) as srv:
        names = Resolver(monkeypatch, srv.port, delay=0.3)
        first = asyncio.ensure_future(get(pool, names.url(srv.port)))
        second = asyncio.ensure_future(get(pool, names.url(srv.port)))
        await asyncio.sleep(0.1)
        first.cancel()
        assert (await second)[2] == b"ok"
        with pytest.raises(asyncio.CancelledError):
            await first
        assert names.calls == 1
        assert pool.open_connections == 1


async def test_an_address_that_drops_the_connect_is_passed_after_a_quarter_second(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unanswered_port() as dropped:
        async with Server(ok()) as srv:
            names = Resolver(monkeypatch, dropped, srv.port)
            started = time.monotonic()
            assert (await send(pool, "GET", names.url(srv.port), connect_timeout=3.0))[2] == b"ok"
            took = time.monotonic() - started
    assert 0.2 <= took < 2.0, took
    assert pool.open_connections == 1


async def test_every_address_refusing_is_one_connect_error_that_names_each(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = refused_port(), refused_port()
    names = Resolver(monkeypatch, one, two)
    with pytest.raises(httpx.ConnectError) as info:
        await get(pool, names.url(one))
    assert f"port {one}" in str(info.value)
    assert f"port {two}" in str(info.value) or one == two
    assert pool.open_connections == 0


# -- any correct answer, in any pieces ------------------------------------------------------


NAMES = st.sampled_from(["X-A", "x-a", "X-Trace", "Retry-After"]) | st.text(
    string.ascii_letters + string.digits + "-", min_size=1, max_size=16
).map(lambda s: "X-" + s)
TRAILERS = st.text(string.ascii_letters, min_size=1, max_size=8).map(lambda s: "Trailer-" + s)
VALUES = (
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(st.integers(200, 599).filter(lambda s: s not in (204, 304)))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    fields = draw(st.lists(st.tuples(NAMES, VALUES), max_size=8))
    body = draw(st.binary(max_size=3000) | st.just(TEXT))
    reason = draw(st.sampled_from(["OK", "Whatever", "", "Not Quite Right"]))
    encoding = draw(st.sampled_from(["", "", "gzip", "deflate"]))
    head = [f"HTTP/1.1 {status} {reason}"]
    head += [f"{k}: {v}" for k, v in fields]
    encoded = body
    if encoding:
        head.append(f"Content-Encoding: {encoding}")
        encoded = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    if framing == "length":
        head.append(f"Content-Length: {len(encoded)}")
        payload = encoded
    elif framing == "chunked":
        head.append("Transfer-Encoding: chunked")
        sizes = draw(st.lists(st.integers(1, 500), max_size=12))
        trailers = draw(st.lists(st.tuples(TRAILERS, VALUES), max_size=2))
        payload = chunked(encoded, sizes, trailers)
    else:
        payload = encoded
    wire = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
    pieces = draw(st.lists(st.integers(1, 97), max_size=80))
    pause = draw(st.sampled_from([0.0, 0.0, 0.001]))
    return {
        "status": status, "fields": fields, "body": body, "framing": framing,
        "wire": wire, "pieces": pieces, "pause": pause,
    }  # fmt: skip


async def _read_back(answer: dict[str, Any]) -> None:
    async def handle(conn: Conn) -> None:
        if await conn.request() is None:
            return
        await conn.send(answer["wire"], answer["pieces"], answer["pause"])
        if answer["framing"] == "close":
            return
        if await conn.request() is not None:  # the next answer, to check the framing's end
            await conn.send(response(200, b"next"))
            await conn.until_gone()

    pool = Pool(4, 30.0, ssl.create_default_context(), 8192)
    try:
        async with Server(handle) as srv:
            status, headers, body = await get(pool, srv.url)
            assert (status, body) == (answer["status"], answer["body"])
            expected: dict[str, list[str]] = {}
            for name, value in answer["fields"]:
                expected.setdefault(name.lower(), []).append(value)
            for name, values in expected.items():
                assert headers[name.upper()] == ", ".join(values), name
            if answer["framing"] != "close":
                assert (await get(pool, srv.url))[2] == b"next"
                assert srv.accepted == 1
    finally:
        await pool.aclose()


@settings(max_examples=50, deadline=None)
@given(answers())
def test_any_correct_answer_in_any_pieces_is_read_back_exactly(answer: dict[str, Any]) -> None:
    asyncio.run(_read_back(answer))
