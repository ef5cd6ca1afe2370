"""Streamed answers through the shared client's pool (:meth:`aiwf.runtime._h1.Pool.stream`):
the body handed over as it arrives, split into lines as server-sent events end them, read
with flow control, and the connection reused only after an answer read to its end. Against
servers on 127.0.0.1 that write their answers piece by piece (h1_support.py)."""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from h1_support import Conn, Handler, Server, answering, chunked, response
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwf.runtime import _h1
from aiwf.runtime._h1 import Pool

until = Server.until


@pytest.fixture
async def pool() -> AsyncIterator[Pool]:
    made = Pool(4, 30.0, lambda: pytest.fail("no TLS here"), 8192)
    yield made
    await made.aclose()


async def lines_of(pool: Pool, url: str) -> list[str]:
    async with pool.stream("POST", url, {}, b"{}", 5.0) as answer:
        assert answer.status_code == 200
        return [line async for line in answer.aiter_lines()]


def streaming(
    *pieces: bytes, head: str = "Transfer-Encoding: chunked", pause: float = 0.0
) -> Handler:
    """A handler answering each request with ``pieces`` written one by one (each a chunk of
    a chunked body unless ``head`` says otherwise), ``pause`` seconds apart."""

    async def handle(conn: Conn) -> None:
        while await conn.request() is not None:
            await conn.send(f"HTTP/1.1 200 OK\r\n{head}\r\n\r\n".encode())
            for piece in pieces:
                if "chunked" in head:
                    piece = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
                await conn.send(piece)
                if pause:
                    await asyncio.sleep(pause)
            if "chunked" in head:
                await conn.send(b"0\r\n\r\n")
            else:
                conn.close()
                return

    return handle


async def test_lines_split_at_crlf_lf_and_cr_however_the_pieces_fall(pool: Pool) -> None:
    # A CRLF cut between two pieces is one line end, not two (an empty line would end an
    # SSE event early); U+2028 inside a line (JSON allows it raw) does not split it.
    pieces = [b"data: a\r", b"\ndata: b\n\nda", "ta: c\u2028d".encode(), b"\rlast"]
    async with Server(streaming(*pieces, pause=0.01)) as srv:
        got = await lines_of(pool, srv.url)
    assert got == ["data: a", "data: b", "", "data: c\u2028d", "last"]


@settings(max_examples=40, deadline=None)
@given(
    lines=st.lists(
        st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))),
        max_size=12,
    ),
    ends=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=12, max_size=12),
    cuts=st.lists(st.integers(1, 9), max_size=30),
)
async def test_any_cut_of_a_text_gives_the_lines_of_the_whole(
    lines: list[str], ends: list[str], cuts: list[int]
) -> None:
    whole = "".join(line + end for line, end in zip(lines, ends, strict=False))
    # The lines of the whole text at once (a CR ending one line and an LF ending an empty
    # next one are one CRLF), which any cut of it must give.
    expected = re.split("\r\n|\r|\n", whole)[:-1]
    text = whole.encode()
    pieces, at = [], 0
    for cut in cuts:
        if at < len(text):
            pieces.append(text[at : at + cut])
            at += cut
    if at < len(text):
        pieces.append(text[at:])
    pool = Pool(2, 30.0, lambda: pytest.fail("no TLS"), 8192)
    try:
        async with Server(streaming(*pieces)) as srv:
            assert await lines_of(pool, srv.url) == expected
    finally:
        await pool.aclose()


async def test_an_answer_read_to_its_end_leaves_the_connection_for_the_next(pool: Pool) -> None:
    async with Server(streaming(b"data: 1\n\n", b"data: 2\n\n")) as srv:
        assert await lines_of(pool, srv.url) == ["data: 1", "", "data: 2", ""]
        assert await lines_of(pool, srv.url) == ["data: 1", "", "data: 2", ""]
        assert srv.accepted == 1
        assert pool.idle_connections == 1
    await until(lambda: pool.open_connections == 0)  # the server closed it: dropped


async def first_line(pool: Pool, url: str) -> str:
    """The first line of a streamed answer, its reader leaving there (as an SSE reader
    leaves at its last event)."""
    async with pool.stream("POST", url, {}, b"", 5.0) as answer:
        async for line in answer.aiter_lines():
            return line
    raise AssertionError("no line")


async def test_an_answer_left_before_its_end_keeps_its_connection_when_the_end_comes(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The end comes 0.1 s after the reader left: the rest is read and dropped, and the
    # next request goes out on the same connection. No error is made for the part nobody
    # read (an httpx one would import httpx).
    made: list[str] = []
    real_error = _h1._error
    monkeypatch.setattr(_h1, "_error", lambda *a: made.append(a[0]) or real_error(*a))
    pieces = (b"data: 1\n\n", b": padding\n" * 500, b"data: [DONE]\n\n")
    async with Server(streaming(*pieces, pause=0.05)) as srv:
        assert await first_line(pool, srv.url) == "data: 1"
        assert (pool.open_connections, pool.idle_connections) == (1, 0)
        await until(lambda: pool.idle_connections == 1)
        assert await lines_of(pool, srv.url) == [
            "data: 1",
            "",
            *[": padding"] * 500,
            "data: [DONE]",
            "",
        ]
        assert srv.accepted == 1
    assert made == []


async def test_an_answer_that_arrived_whole_while_unread_leaves_a_connection_that_reads(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The whole body arrives while the reader is away, past the buffer at which reading
    # pauses: the connection kept for the next request reads again.
    monkeypatch.setattr(_h1, "_STREAM_BUFFER", 1000)
    body = b"x" * 5000

    async def handle(conn: Conn) -> None:
        while await conn.request() is not None:
            await conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + body)

    async with Server(handle) as srv:
        async with pool.stream("POST", srv.url, {}, b"", 5.0) as answer:
            await until(lambda: answer._conn.complete)
        status, _, got = await asyncio.wait_for(pool.send("GET", srv.url, {}, b"", 5.0), 5)
        assert (status, got, srv.accepted) == (200, body, 1)


async def test_an_answer_whose_end_does_not_come_in_time_closes_its_connection(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_h1, "_REST_WAIT", 0.1)
    async with Server(streaming(b"data: 1\n\n", b"data: 2\n\n", pause=0.5)) as srv:
        started = asyncio.get_running_loop().time()
        assert await first_line(pool, srv.url) == "data: 1"
        await until(lambda: pool.open_connections == 0)
        assert asyncio.get_running_loop().time() - started < 0.45
        assert await first_line(pool, srv.url) == "data: 1"
        assert srv.accepted == 2


async def test_an_answer_with_more_left_than_is_read_for_closes_its_connection(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_h1, "_REST_BYTES", 1000)
    async with Server(streaming(b"data: 1\n\n", *[b": padding\n" * 20] * 10, pause=0.01)) as srv:
        assert await first_line(pool, srv.url) == "data: 1"
        await until(lambda: pool.open_connections == 0)
        await first_line(pool, srv.url)
        assert srv.accepted == 2


async def test_an_answer_left_by_an_exception_closes_its_connection_at_once(pool: Pool) -> None:
    async with Server(streaming(b"data: 1\n\n", b"data: 2\n\n", pause=0.05)) as srv:

        async def fail_reading() -> None:
            async with pool.stream("POST", srv.url, {}, b"", 5.0) as answer:
                async for _ in answer.aiter_lines():
                    raise KeyError("the reader's own failure")

        with pytest.raises(KeyError):
            await fail_reading()
        assert pool.open_connections == 0
        assert await lines_of(pool, srv.url) == ["data: 1", "", "data: 2", ""]
        assert srv.accepted == 2


async def test_a_pool_closed_mid_stream_fails_its_reader(pool: Pool) -> None:
    async with Server(streaming(b"data: 1\n\n", b"data: 2\n\n", pause=0.3)) as srv:
        got: list[str] = []

        async def close_while_reading() -> None:
            async with pool.stream("POST", srv.url, {}, b"", 5.0) as answer:
                async for line in answer.aiter_lines():
                    got.append(line)
                    await pool.aclose()

        with pytest.raises(httpx.ReadError):
            await close_while_reading()
        assert got == ["data: 1", ""]


async def test_a_reader_cancelled_mid_stream_frees_its_connection_and_lease(pool: Pool) -> None:
    async with Server(streaming(b"data: 1\n\n", *[b": keep-alive\n"] * 200, pause=0.02)) as srv:

        async def read() -> None:
            await lines_of(pool, srv.url)

        task = asyncio.ensure_future(read())
        await until(lambda: len(srv.requests) == 1)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: pool.open_connections == 0)
        # Every lease came back: as many streams at once as the pool has connections.
        async with Server(streaming(b"data: x\n")) as other:
            got = await asyncio.gather(*(lines_of(pool, other.url) for _ in range(8)))
        assert got == [["data: x"]] * 8


async def test_a_server_gone_mid_stream_is_a_read_error(pool: Pool) -> None:
    async def handle(conn: Conn) -> None:
        await conn.request()
        await conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        await conn.send(b"9\r\ndata: 1\n\n\r\n")
        conn.close()

    got: list[str] = []

    async def read(url: str) -> None:
        async with pool.stream("POST", url, {}, b"", 5.0) as answer:
            async for line in answer.aiter_lines():
                got.append(line)

    async with Server(handle) as srv:
        with pytest.raises(httpx.ReadError):
            await read(srv.url)
    assert got == ["data: 1", ""]
    assert pool.open_connections == 0


async def test_a_body_that_ends_with_the_connection_is_read_whole(pool: Pool) -> None:
    async with Server(streaming(b"data: 1\n", b"data: 2\n", head="Connection: close")) as srv:
        assert await lines_of(pool, srv.url) == ["data: 1", "data: 2"]


async def test_a_gzip_stream_is_decoded_as_it_arrives(pool: Pool) -> None:
    text = b"".join(b"data: %d\n\n" % n for n in range(300))
    packed = gzip.compress(text)
    pieces = [packed[i : i + 97] for i in range(0, len(packed), 97)]
    head = "Transfer-Encoding: chunked\r\nContent-Encoding: gzip"
    async with Server(streaming(*pieces, head=head)) as srv:
        got = await lines_of(pool, srv.url)
    assert got == text.decode().split("\n")[:-1]


async def test_a_slow_reader_pauses_the_connection_and_loses_nothing(pool: Pool) -> None:
    block = bytes(range(256)) * 1024  # 256 KiB a piece, 6 MiB in all: past the 1 MiB buffer
    read = bytearray()
    async with (
        Server(streaming(*[block] * 24)) as srv,
        pool.stream("POST", srv.url, {}, b"", 5.0) as answer,
    ):
        async for data in answer.aiter_bytes():
            read += data
            await asyncio.sleep(0.001)
    assert bytes(read) == block * 24


async def test_an_error_status_reads_its_body_with_aread(pool: Pool) -> None:
    body = b'{"error": {"message": "slow down"}}'
    async with Server(answering(lambda _: response(429, body, [("Retry-After", "2")]))) as srv:
        async with pool.stream("POST", srv.url, {}, b"", 5.0) as answer:
            assert answer.status_code == 429
            assert answer.headers["retry-after"] == "2"
            assert await answer.aread() == body
            assert answer.content == body
        async with pool.stream("POST", srv.url, {}, b"", 5.0) as answer:
            assert await answer.aread() == body
        assert srv.accepted == 1


async def test_chunked_trailers_end_a_stream(pool: Pool) -> None:
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(
        b"data: 1\n\n", [3], trailers=[("X-Done", "yes")]
    )
    async with Server(answering(lambda _: wire)) as srv:
        assert await lines_of(pool, srv.url) == ["data: 1", ""]
        assert await lines_of(pool, srv.url) == ["data: 1", ""]
        assert srv.accepted == 1
