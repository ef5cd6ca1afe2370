"""A lean HTTP/1.1 client for the runtime's model calls: asyncio protocols, the ``httptools``
C parser (llhttp, Node's parser), keep-alive connections under one limit.

The shared client of each event loop (:mod:`aiwf.runtime._http`) sends every model call
through one :class:`Pool`: :meth:`Pool.send` reads a plain call's whole answer,
:meth:`Pool.stream` hands a stream's answer over as it arrives. Why (figures in
docs/architecture.md): under a wide scatter aiohttp's request machinery (its request and
response objects, connector, timers, payload writer) cost about three times the CPU of the
call's own work, and httpx's pool far more. This module does only what a model call needs:

- HTTP/1.1 with keep-alive, at most ``connections`` connections open over all origins;
  callers beyond that wait in order. An idle connection the server closed is dropped, not
  reused; idle connections are closed after ``keepalive`` seconds.
- Bodies framed by Content-Length, chunked, or the end of the connection; interim ``1xx``
  answers skipped; gzip and deflate decoded (and asked for); a stream read as it arrives,
  reading paused while its reader is more than 1 MiB behind, its text split into lines at
  CRLF, LF or CR (as server-sent events end them).
- https through a given TLS context (built on the first https connection, so plain http
  never loads a CA bundle), with SNI and the hostname checked.
- Every failure is the ``httpx`` exception the runtime handles: ``ConnectError``,
  ``ConnectTimeout``, ``ReadError``, ``RemoteProtocolError``, ``UnsupportedProtocol`` (all
  ``httpx.TransportError``). Header names and values that would break the request head are
  refused with ``ValueError`` before anything is sent.

It does not follow redirects (the runtime never did), keeps no cookies, uses no proxy (the
shared client never read them from the environment), and does not retry: a request that
fails on a connection is the runtime's to retry, under its policy.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import collections
import contextlib
import os
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

import httptools

from aiwf._memo import remember
from aiwf._version import __version__

#: Seconds before the next address of a host is tried while the last is still connecting.
_NEXT_ADDRESS_AFTER = 0.25
#: ``asyncio.timeout`` (Python 3.11 on).
_TIMEOUT = getattr(asyncio, "timeout", None)
#: Request bodies up to this size are written together with the head (one copy, one send).
_JOIN_LIMIT = 65_536
_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = f"aiwf/{__version__}"
#: Characters kept as they are when a request target is percent-encoded.
_TARGET_SAFE = "/%:@!$&'()*+,;=?~-._"
#: Characters of a header name (RFC 9110 ``token``).
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Request headers the pool writes itself.
_OWN = frozenset(("host", "content-length", "transfer-encoding", "connection"))
_MAX_TARGETS = 256
#: Bytes of a streamed answer buffered before the connection stops reading (flow control).
_STREAM_BUFFER = 1 << 20
#: How long, and how many bytes, the rest of a streamed answer whose reader left is read for
#: before its connection is closed instead of kept (:meth:`Pool.stream`).
_REST_WAIT = 1.0
_REST_BYTES = 1 << 16
#: Where a streamed text splits into lines: CRLF, LF or CR (as server-sent events end lines).
_LINE_ENDS = re.compile("\r\n|\r|\n")

Key = tuple[str, str, int]
_T = TypeVar("_T")


class Pool:
    """Keep-alive HTTP/1.1 connections of one event loop, at most ``connections`` open at
    once over every origin. ``context`` is the TLS context for https (or a function making
    it, called on the first https connection); ``max_header`` bounds one response header
    field (name and value), four times it the whole response head."""

    def __init__(
        self,
        connections: int,
        keepalive: float,
        context: ssl.SSLContext | Callable[[], ssl.SSLContext],
        max_header: int,
    ) -> None:
        if connections < 1:
            raise ValueError("a pool needs at least one connection")
        self._limit = connections
        self._keepalive = keepalive
        self._context = context
        self._max_header = max_header
        self._idle: dict[Key, list[_Connection]] = {}
        self._open = 0
        self._leases = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._busy: set[_Connection] = set()
        self._targets: dict[str, _Target] = {}
        #: The host name lookups running, by (host, port): a scatter opens its connections
        #: at once, and they all wait for one lookup (the system's resolver caches nothing).
        self._lookups: dict[tuple[str, int], asyncio.Task[list[_AddrInfo]]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Whether :meth:`aclose` was called (an attribute: every call asks).
        self.closed = False

    @property
    def limit(self) -> int:
        """The most connections open at once."""
        return self._limit

    @property
    def open_connections(self) -> int:
        """Connections open now, idle or carrying a request."""
        return self._open

    @property
    def idle_connections(self) -> int:
        """Connections open now and waiting for a request."""
        return sum(map(len, self._idle.values()))

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes,
        connect_timeout: float,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request and read its whole answer: ``(status, headers, body)``, the
        headers case-insensitive (a repeated field's values joined with ``", "``), the body
        decoded per its Content-Encoding."""
        conn = await self._exchange(method, url, headers, content, connect_timeout, False)
        status, fields = conn.status, conn.fields
        try:
            body = _decoded(fields, conn.take_body())
        except BaseException:
            self._release(conn, False)  # a server whose bodies do not decode is not reused
            raise
        self._release(conn, conn.keep)
        return status, Headers(fields), body

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes,
        connect_timeout: float,
    ) -> AsyncIterator[Stream]:
        """Send one request and hand over its answer as it arrives: a :class:`Stream` with
        the status and headers, whose body is read with :meth:`Stream.aiter_lines` (or
        ``aiter_bytes``, ``aread``). An answer read to its end leaves its connection for
        the next request. One left before its end (an SSE reader leaves at its last event,
        and the body's end often comes a moment later) has the rest of its body read and
        dropped, for at most :data:`_REST_WAIT` seconds and :data:`_REST_BYTES` bytes, with
        the connection left for the next request when the end comes, else closed; one left
        by an exception or a cancellation is closed at once."""
        conn = await self._exchange(method, url, headers, content, connect_timeout, True)
        answer = Stream(conn)
        try:
            yield answer
        except BaseException:
            conn.left = True
            self._release(conn, False)
            raise
        conn.left = True
        if answer.finished or conn.complete:
            if conn.body:  # an end that came unread: dropped (reading resumes if paused)
                conn.body = []
                conn.taken()
            self._release(conn, conn.keep)
        elif conn.reading and conn.framed and conn.alive and not self.closed:
            self._read_rest(conn)
        else:
            self._release(conn, False)

    def _read_rest(self, conn: _Connection) -> None:
        """Read and drop the rest of a streamed answer whose reader left (see :meth:`stream`),
        then release its connection (and its lease, held until then): kept when the answer
        ended in time, closed when it did not, failed, or ran past the bytes allowed."""
        loop = self._loop or asyncio.get_running_loop()
        dropped = 0
        settled = False

        def settle(keep: bool) -> None:
            nonlocal settled
            settled = True
            timer.cancel()
            conn.reader = None
            self._release(conn, keep)

        def step(_: object = None) -> None:
            nonlocal dropped
            if settled:
                return
            if conn.body:
                dropped += sum(map(len, conn.body))
                conn.body = []
                conn.taken()
            if conn.complete:
                settle(conn.keep)
            elif conn.error is not None or not conn.reading or dropped > _REST_BYTES:
                settle(False)
            else:
                conn.reader = reader = loop.create_future()
                reader.add_done_callback(step)

        def step_out() -> None:
            if not settled:
                settle(False)

        timer = loop.call_later(_REST_WAIT, step_out)
        step()

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes,
        connect_timeout: float,
        streaming: bool,
    ) -> _Connection:
        """A connection (under a lease) that sent the request and read the answer, or its
        head when ``streaming``; the caller releases it."""
        if self.closed:
            raise RuntimeError("this HTTP pool is closed")
        target = self._targets.get(url)
        if target is None:
            target = self._target(url)
        head = _head(method, target, headers, len(content))
        await self._lease()
        try:
            conn = await self._connection(target, connect_timeout)
        except BaseException:
            self._unlease()
            raise
        try:
            await conn.exchange(head, content, method == "HEAD", streaming)
        except BaseException:
            self._release(conn, False)  # failed or cancelled: the connection is out of step
            raise
        return conn

    async def aclose(self) -> None:
        """Close every connection; waiting and later requests fail."""
        if self.closed:
            return
        self.closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        # Closed at once (a TLS connection's polite close waits for the server's answer,
        # and the loop may be about to end), then one turn of the loop for them to go.
        for idle in self._idle.values():
            for conn in idle:
                self._discard(conn, abort=True)
        self._idle.clear()
        for conn in list(self._busy):
            conn.close(abort=True)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RuntimeError("this HTTP pool was closed"))
        await asyncio.sleep(0)

    # -- leases: the right to hold one connection, at most ``connections`` at once -------

    async def _lease(self) -> None:
        if self._leases < self._limit and not self._waiters:
            self._leases += 1
            return
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # the lease is handed over by _unlease
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._unlease()  # handed over, then cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def _unlease(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the lease goes to the first caller waiting
                return
        self._leases -= 1

    # -- connections ------------------------------------------------------------------

    async def _connection(self, target: _Target, connect_timeout: float) -> _Connection:
        idle = self._idle.get(target.key)
        if idle:
            now = time.monotonic()
            while idle:
                conn = idle.pop()
                if conn.usable and now - conn.idle_since < self._keepalive:
                    self._busy.add(conn)
                    return conn
                self._discard(conn)
        if self._open >= self._limit:
            self._close_oldest_idle()  # a lease without a connection: one idle one is spare
        self._open += 1
        try:
            conn = await self._connect(target, connect_timeout)
        except BaseException:
            self._open -= 1
            raise
        if self.closed:
            self._open -= 1
            conn.counted = False
            conn.close()
            raise RuntimeError("this HTTP pool was closed")
        self._busy.add(conn)
        return conn

    def _release(self, conn: _Connection, keep: bool) -> None:
        self._busy.discard(conn)
        if keep and conn.alive and not self.closed:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)
            if self._sweeper is None:
                loop = self._loop or asyncio.get_running_loop()
                self._sweeper = loop.call_later(self._keepalive, self._sweep)
        else:
            self._discard(conn, abort=not conn.keep)
        self._unlease()

    def _discard(self, conn: _Connection, abort: bool = False) -> None:
        """Close ``conn`` and stop counting it (once, however often it is called)."""
        if conn.counted:
            conn.counted = False
            self._open -= 1
        conn.close(abort)

    def lost(self, conn: _Connection) -> None:
        """``conn``'s transport closed (the server hung up, a reset): forget it if idle (a
        busy one is let go by its request, a half-made one by its connect)."""
        idle = self._idle.get(conn.key)
        if idle is not None and conn in idle:
            idle.remove(conn)
            if conn.counted:
                conn.counted = False
                self._open -= 1

    def _close_oldest_idle(self) -> None:
        oldest: list[_Connection] | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0].idle_since < oldest[0].idle_since):
                oldest = idle
        if oldest is not None:
            self._discard(oldest.pop(0))

    def _sweep(self) -> None:
        self._sweeper = None
        now = time.monotonic()
        first: float | None = None
        for idle in self._idle.values():
            while idle and now - idle[0].idle_since >= self._keepalive:
                self._discard(idle.pop(0))
            if idle and (first is None or idle[0].idle_since < first):
                first = idle[0].idle_since
        if first is not None and self._loop is not None:
            self._sweeper = self._loop.call_later(
                max(first + self._keepalive - now, 0.0), self._sweep
            )

    async def _connect(self, target: _Target, timeout: float) -> _Connection:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if target.tls:  # outside the failures below: a bad CA bundle is no network failure
            if not isinstance(self._context, ssl.SSLContext):
                self._context = self._context()
            context = self._context
        # The connect runs in the caller's task under a deadline of its own (asyncio.wait_for
        # would run it in another task, and a cancellation arriving as it completes, the
        # caller's own time limit, could be lost).
        try:
            if _TIMEOUT is not None:
                async with _TIMEOUT(timeout):
                    return await self._open_connection(loop, target, context)
            return await _within(loop, timeout, self._open_connection(loop, target, context))
        except TimeoutError:
            raise _error(
                "ConnectTimeout", f"connecting to {target.origin} took longer than {timeout:g}s"
            ) from None
        except (OSError, ssl.CertificateError, UnicodeError) as exc:
            raise _error("ConnectError", f"{target.origin}: {exc or type(exc).__name__}") from None

    async def _open_connection(
        self, loop: asyncio.AbstractEventLoop, target: _Target, context: ssl.SSLContext | None
    ) -> _Connection:
        def made() -> _Connection:
            return _Connection(self, target.key, self._max_header)

        hostname = target.host if context is not None else None
        if target.literal:
            _, conn = await loop.create_connection(
                made, target.host, target.port, ssl=context, server_hostname=hostname
            )
            return conn
        # Every address the name resolves to, the next one tried 250 ms after the last (as
        # browsers and httpx do): a first address that drops packets costs 250 ms, not the
        # whole connect timeout.
        sock = await _connect_first(loop, await self._lookup(loop, target.host, target.port))
        try:
            _, conn = await loop.create_connection(
                made, sock=sock, ssl=context, server_hostname=hostname
            )
        except BaseException:
            sock.close()
            raise
        return conn

    async def _lookup(
        self, loop: asyncio.AbstractEventLoop, host: str, port: int
    ) -> list[_AddrInfo]:
        """``host``'s addresses for a TCP connection to ``port``: one lookup for every
        connect that asks while it runs (a waiter's cancellation leaves it to the others)."""
        key = (host, port)
        lookup = self._lookups.get(key)
        if lookup is None:
            lookup = loop.create_task(_addresses(loop, host, port))
            self._lookups[key] = lookup

            def ended(task: asyncio.Task[list[_AddrInfo]]) -> None:
                if self._lookups.get(key) is task:
                    del self._lookups[key]
                if not task.cancelled():
                    task.exception()  # read here: every waiter may have gone

            lookup.add_done_callback(ended)
        infos = await asyncio.shield(lookup)
        if not infos:
            raise OSError(f"{host} has no address")
        return infos

    def _target(self, url: str) -> _Target:
        target = _Target(url)
        remember(self._targets, url, target, _MAX_TARGETS)
        return target


def _literal(host: str) -> int | None:
    """The address family of an IP address ``host``; ``None`` for a name."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return int(family)
    return None


#: One ``getaddrinfo`` entry: family, type, protocol, canonical name, socket address.
_AddrInfo = tuple[int, int, int, str, Any]


async def _addresses(loop: asyncio.AbstractEventLoop, host: str, port: int) -> list[_AddrInfo]:
    return list(await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))


async def _connect_first(loop: asyncio.AbstractEventLoop, infos: list[_AddrInfo]) -> socket.socket:
    """A socket connected to the first of ``infos`` that takes the connection, the families
    taken in turn and the next address tried :data:`_NEXT_ADDRESS_AFTER` after the last
    (or at once when it fails), as ``loop.create_connection`` does with
    ``happy_eyeballs_delay`` and ``interleave=1``; an ``OSError`` when none does."""
    by_family: dict[int, list[_AddrInfo]] = {}
    for entry in infos:
        by_family.setdefault(entry[0], []).append(entry)
    turns = list(by_family.values())
    order = [turn[i] for i in range(max(map(len, turns))) for turn in turns if i < len(turn)]
    if len(order) == 1:
        return await _connect_one(loop, order[0])
    errors: list[OSError] = []
    running: set[asyncio.Task[socket.socket]] = set()
    waiting = iter(order)
    try:
        while True:
            info = next(waiting, None)
            if info is not None:
                running.add(loop.create_task(_connect_one(loop, info)))
            elif not running:
                raise _all_failed(errors)
            done, running = await asyncio.wait(
                running,
                timeout=_NEXT_ADDRESS_AFTER if info is not None else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            won: socket.socket | None = None
            unexpected: BaseException | None = None
            for task in done:
                error = task.exception()
                if error is None:
                    if won is None:
                        won = task.result()
                    else:
                        task.result().close()  # two at once: the first one wins
                elif isinstance(error, OSError):
                    errors.append(error)
                else:
                    unexpected = error
            if won is not None:
                return won
            if unexpected is not None:
                raise unexpected
    finally:
        for task in running:  # the others, once one won (or the caller gave up)
            task.cancel()
            task.add_done_callback(_close_won)


def _close_won(task: asyncio.Task[socket.socket]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().close()


async def _connect_one(loop: asyncio.AbstractEventLoop, info: _AddrInfo) -> socket.socket:
    family, kind, proto, _, address = info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, address)
    except BaseException as exc:
        sock.close()
        if isinstance(exc, OSError):
            why = os.strerror(exc.errno) if exc.errno else str(exc)
            raise OSError(
                exc.errno, f"connecting to {address[0]} port {address[1]}: {why}"
            ) from None
        raise
    return sock


def _all_failed(errors: list[OSError]) -> OSError:
    """One error for every address that refused (their messages, once each)."""
    messages = list(dict.fromkeys(str(error) for error in errors))
    if len(messages) == 1:
        return errors[0]
    return OSError(f"every address failed: {'; '.join(messages)}")


async def _within(
    loop: asyncio.AbstractEventLoop, seconds: float, work: Awaitable[_T]
) -> _T:  # pragma: no cover - Python 3.10 (no asyncio.timeout)
    """``await work``, cancelled after ``seconds`` with ``TimeoutError`` (in this task)."""
    task = asyncio.current_task()
    assert task is not None
    fired = []

    def expire() -> None:
        fired.append(True)
        task.cancel()

    timer = loop.call_later(seconds, expire)
    try:
        return await work
    except asyncio.CancelledError:
        if fired:
            raise TimeoutError from None
        raise
    finally:
        timer.cancel()


class _Target:
    """What one URL is to the pool: its origin, the request target, the Host header."""

    __slots__ = (
        "authorization",
        "host",
        "host_header",
        "key",
        "literal",
        "origin",
        "path",
        "port",
        "tls",
    )

    def __init__(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = parts.hostname or ""
            port = parts.port
        except ValueError:
            raise _error("UnsupportedProtocol", "not a valid URL") from None
        if scheme not in _DEFAULT_PORTS:
            raise _error(
                "UnsupportedProtocol",
                f"{scheme or 'no'} scheme: only http:// and https:// URLs can be called",
            )
        if not host:
            raise _error("UnsupportedProtocol", "the URL names no host")
        #: Whether the host is an IP address (else a name to look up).
        self.literal = _literal(host) is not None
        if not self.literal:
            try:  # also refuses empty and overlong labels (api..example.com)
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise _error("UnsupportedProtocol", "the URL's host name is not valid") from None
        default = _DEFAULT_PORTS[scheme]
        self.tls = scheme == "https"
        self.host = host
        self.port = port or default
        self.key: Key = (scheme, host, self.port)
        shown = f"[{host}]" if ":" in host else host
        self.host_header = shown if self.port == default else f"{shown}:{self.port}"
        self.origin = f"{scheme}://{self.host_header}"
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        self.path = quote(path, safe=_TARGET_SAFE)
        self.authorization: str | None = None
        if parts.username is not None or parts.password is not None:
            pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
            self.authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _head(method: str, target: _Target, headers: Mapping[str, str], length: int) -> bytes:
    """The request head: request line, Host, the caller's headers, the pool's own (made once
    per method, URL and headers: a route's calls mostly share them)."""
    key = (method, target, *headers.items())
    start = _HEADS.get(key)
    if start is None:
        start = _head_start(method, target, headers)
        remember(_HEADS, key, start, _MAX_TARGETS)
    return b"%sContent-Length: %d\r\n\r\n" % (start, length)


#: Request heads without their Content-Length, by method, target and headers.
_HEADS: dict[tuple[Any, ...], bytes] = {}


def _head_start(method: str, target: _Target, headers: Mapping[str, str]) -> bytes:
    """A request head up to its Content-Length, checked."""
    lines = [f"{method} {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"]
    given = set()
    for name, value in headers.items():
        lower = name.lower()
        if lower in _OWN:
            continue
        given.add(lower)
        lines.append(f"{name}: {value}\r\n")
    if "accept-encoding" not in given:
        lines.append("Accept-Encoding: gzip, deflate\r\n")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {_USER_AGENT}\r\n")
    if target.authorization is not None and "authorization" not in given:
        lines.append(f"Authorization: {target.authorization}\r\n")
    text = "".join(lines)
    # Each line ends in CRLF and has no other CR, LF or NUL: else a value would smuggle
    # another header (or request) in.
    count = len(lines) + 1  # the first line holds two
    if (
        text.count("\n") != count
        or text.count("\r") != count
        or "\0" in text
        or not method.isalpha()
        or not all(name and _TOKEN.issuperset(name) for name in given)
    ):
        _refuse(method, headers)
    return text.encode("utf-8")


def _refuse(method: str, headers: Mapping[str, str]) -> None:
    if not method.isalpha():
        raise ValueError(f"invalid HTTP method {method!r}")
    for name, value in headers.items():
        if not name or not _TOKEN.issuperset(name):
            raise ValueError(f"invalid HTTP header name {name!r}")
        if "\r" in value or "\n" in value or "\0" in value:
            raise ValueError(f"the HTTP header {name} has a line break or NUL in its value")
    raise ValueError("the URL has a line break or NUL in it")


def _error(kind: str, message: str) -> Exception:
    """The ``httpx`` exception ``kind`` (httpx is imported on the first failure: plain calls
    that succeed never load it)."""
    import httpx

    error: Exception = getattr(httpx, kind)(message)
    return error


class _Undecodable(Exception):
    """A body that does not decompress (before it is reported as httpx's exception)."""


def _parser(protocol: _Connection) -> httptools.HttpResponseParser:
    """A response parser for ``protocol``, taking a bare LF for CRLF (as httpx and aiohttp
    do: some hand-written servers end lines so)."""
    parser = httptools.HttpResponseParser(protocol)
    parser.set_dangerous_leniencies(lenient_optional_cr_before_lf=True)
    return parser


class _Done(Exception):
    """The answer is complete before the parser thinks it is (raised in a parser callback)."""


class _Refused(Exception):
    """A response the pool will not read (raised in a parser callback)."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection and the parse of the answer it is waiting for."""

    def __init__(self, pool: Pool, key: Key, max_header: int) -> None:
        self.pool = pool
        self.key = key
        self.max_header = max_header
        self.max_head = 4 * max_header
        self.parser = _parser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.alive = True
        self.counted = True
        self.idle_since = 0.0
        self.keep = False
        self.status = 0
        self.fields: dict[str, str] = {}
        self.body: list[bytes] = []
        #: Bytes read, and bytes of header fields parsed, before the head was complete.
        self.head_bytes = 0
        self.fields_size = 0
        self.headers_done = False
        #: The answer's body has a length or is chunked (else it ends with the connection).
        self.framed = False
        self.bodiless = False
        self.stray = False
        #: A streamed answer: its body is being read (:class:`Stream`), has all arrived, or
        #: failed after its head; :attr:`reader` is woken as it moves.
        self.streaming = False
        self.reading = False
        self.complete = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        #: The streamed answer's reader left it (its end, or failure, is nobody's to see).
        self.left = False
        self.buffered = 0
        self.paused = False

    # -- the request ----------------------------------------------------------------

    def exchange(
        self, head: bytes, content: bytes, bodiless: bool, streaming: bool = False
    ) -> asyncio.Future[None]:
        """Write the request; the future is done when the whole answer was read, or its head
        when ``streaming`` (the body then arrives in :attr:`body`, :attr:`reader` woken);
        ``bodiless``: the answer ends at its head, as a HEAD request's does."""
        transport = self.transport
        assert transport is not None
        self.waiter = waiter = asyncio.get_running_loop().create_future()
        if self.stray:  # a fresh connection whose server spoke first
            waiter.set_exception(
                _error(
                    "RemoteProtocolError",
                    "the server spoke before the request: is it an HTTP server?",
                )
            )
            return waiter
        if not self.usable:  # the server hung up as it was handed out
            waiter.set_exception(
                _error("ReadError", "the server closed the connection before the request")
            )
            return waiter
        self._new_answer()
        self.keep = False
        self.bodiless = bodiless
        self.streaming, self.reading, self.complete, self.error = streaming, False, False, None
        self.left = False
        self.buffered = 0
        if len(content) <= _JOIN_LIMIT:
            transport.write(head + content)
        else:
            transport.write(head)
            transport.write(content)
        return waiter

    def _new_answer(self) -> None:
        """Forget the answer read so far (the next request's, or the final one after an
        interim answer, starts afresh)."""
        self.status, self.fields, self.body = 0, {}, []
        self.head_bytes, self.fields_size, self.headers_done, self.framed = 0, 0, False, False

    def take_body(self) -> bytes:
        body, self.body = self.body, []
        return body[0] if len(body) == 1 else b"".join(body)

    @property
    def usable(self) -> bool:
        """Whether another request may go out on this connection."""
        return self.alive and self.transport is not None and not self.transport.is_closing()

    def close(self, abort: bool = False) -> None:
        """Close the connection: politely (FIN, TLS close_notify) when idle, at once
        (``abort``) when a request on it failed or was cancelled."""
        self.alive = False
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    def _fail(self, exc: BaseException) -> None:
        self.alive = False
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        elif self.reading:
            self.reading = False
            self.error = exc
            self.wake()
        if self.transport is not None:
            self.transport.abort()

    def wake(self) -> None:
        """Wake the streamed answer's reader (more body, its end, or a failure)."""
        reader = self.reader
        if reader is not None and not reader.done():
            reader.set_result(None)

    def taken(self) -> None:
        """The reader took the buffered body: read on if reading was paused."""
        self.buffered = 0
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None and not self.reading:  # bytes nobody asked for: out of step
            self.alive = False
            self.stray = True
            if self.transport is not None:
                self.transport.abort()
            return
        if not self.headers_done:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            if isinstance(cause, _Done):
                self.parser = _parser(self)
                return
            if not isinstance(cause, _Refused):
                raise
            self._fail(_error("RemoteProtocolError", str(cause)))
            return
        except httptools.HttpParserUpgrade:
            self._fail(_error("RemoteProtocolError", "the server switched protocols"))
            return
        except httptools.HttpParserError as exc:
            self._fail(_error("RemoteProtocolError", f"not an HTTP/1.1 answer: {exc}"))
            return
        if not self.headers_done and self.waiter is not None and self.head_bytes > self.max_head:
            self._fail(
                _error(
                    "RemoteProtocolError", f"the answer's head is longer than {self.max_head} bytes"
                )
            )

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost decides what the answer is

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            if exc is None and self.headers_done and not self.framed and self.status >= 200:
                self.keep = False
                waiter.set_result(None)  # a body that ends with the connection
            elif self.headers_done:
                waiter.set_exception(
                    _error("ReadError", "the server closed the connection before the answer ended")
                )
            else:
                reason = f" ({exc})" if exc is not None else ""
                waiter.set_exception(
                    _error(
                        "ReadError", f"the server closed the connection without an answer{reason}"
                    )
                )
        elif self.reading:
            self.reading = False
            if exc is None and not self.framed:
                self.keep = False
                self.complete = True  # a body that ends with the connection
            elif self.left:  # nobody reads it: no httpx error (importing httpx) for nobody
                self.error = ConnectionError("closed before the answer ended")
            else:
                self.error = _error(
                    "ReadError", "the server closed the connection before the answer ended"
                )
            self.wake()
        self.pool.lost(self)

    # -- httptools callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.waiter is None and not self.reading:
            raise _Refused("an answer nobody asked for")

    def on_header(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value)
        if size > self.max_header:
            raise _Refused(f"an answer's header field is longer than {self.max_header} bytes")
        self.fields_size += size + 4  # ": " and CRLF
        if self.fields_size > self.max_head:
            raise _Refused(f"the answer's head is longer than {self.max_head} bytes")
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        fields = self.fields
        if key in fields:
            fields[key] = f"{fields[key]}, {text}"
        else:
            fields[key] = text
        if key == "content-length":
            self.framed = True
        elif key == "transfer-encoding":
            codings = [c.strip().lower() for c in fields[key].split(",")]
            if codings[-1] == "chunked":
                if len(codings) > 1:
                    raise _Refused(f"the answer's transfer coding {fields[key]!r} is not chunked")
                self.framed = True
            elif codings != ["identity"]:
                raise _Refused(f"the answer's transfer coding {fields[key]!r} is unknown")

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.status = self.parser.get_status_code()
        if self.status < 200:
            return
        if self.bodiless:
            # The answer ends at its head, where the parser expects the body it announces:
            # the parse stops here, and the next answer gets a parser of its own.
            self.keep = self._reusable()
            self.complete = True
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            raise _Done
        if self.streaming:
            self.reading = True
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        if self.reading:
            self.buffered += len(body)
            if self.buffered > _STREAM_BUFFER and not self.paused and self.transport is not None:
                self.paused = True  # the reader is behind: stop reading until it catches up
                self.transport.pause_reading()
            self.wake()

    def on_message_complete(self) -> None:
        if self.status < 200:  # an interim answer (100 Continue, 103 Early Hints)
            self._new_answer()
            return
        self.keep = self._reusable()
        if self.reading:
            self.reading = False
            self.complete = True
            self.wake()
            return
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _reusable(self) -> bool:
        """Whether the answer just read leaves the connection ready for another request."""
        transport = self.transport
        return (
            self.parser.should_keep_alive()
            and transport is not None
            and not transport.is_closing()
            and transport.get_write_buffer_size() == 0  # else the request is still going out
        )


class Headers(Mapping[str, str]):
    """An answer's header fields, looked up case-insensitively (names kept in lower case)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = fields

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def get(self, name: str, default: Any = None) -> Any:
        return self._fields.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


def _decoded(fields: dict[str, str], body: bytes) -> bytes:
    coding = fields.get("content-encoding")
    if not coding or not body:
        return body
    decoder = _Decoder(coding)
    return decoder.feed(body) + decoder.flush()


class _Decoder:
    """A body's Content-Encoding undone as its pieces arrive (gzip, deflate, identity;
    several in the order they were applied); a failure is httpx's RemoteProtocolError."""

    def __init__(self, coding: str | None) -> None:
        self._steps: list[_Inflater] = []
        for name in reversed((coding or "").split(",")):
            name = name.strip().lower()
            if name in ("", "identity"):
                continue
            if name in ("gzip", "x-gzip"):
                self._steps.append(_Inflater(zlib.MAX_WBITS | 16))
            elif name == "deflate":
                self._steps.append(_Inflater(zlib.MAX_WBITS, raw_fallback=True))
            else:
                raise _error(
                    "RemoteProtocolError", f"the answer's content-encoding {name!r} is unknown"
                )

    def feed(self, data: bytes) -> bytes:
        try:
            for step in self._steps:
                data = step.feed(data)
        except _Undecodable as exc:
            raise _error("RemoteProtocolError", str(exc)) from None
        return data

    def flush(self) -> bytes:
        data = b""
        try:
            for step in self._steps:
                data = step.feed(data) + step.flush()
        except _Undecodable as exc:
            raise _error("RemoteProtocolError", str(exc)) from None
        return data


class _Inflater:
    """One zlib stream (gzip members one after another; a deflate body in its zlib wrapper,
    or raw as some servers send it)."""

    def __init__(self, wbits: int, *, raw_fallback: bool = False) -> None:
        self._wbits = wbits
        self._raw_fallback = raw_fallback
        self._inflater = zlib.decompressobj(wbits)
        self._started = False
        self._eof = False

    def feed(self, data: bytes) -> bytes:
        out = []
        try:
            while data:
                if self._eof:  # the next gzip member
                    self._inflater = zlib.decompressobj(self._wbits)
                    self._eof = False
                try:
                    out.append(self._inflater.decompress(data))
                except zlib.error:
                    if not (self._raw_fallback and not self._started):
                        raise
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._raw_fallback = False
                    out.append(self._inflater.decompress(data))
                self._started = True
                if not self._inflater.eof:
                    break
                self._eof = True
                data = self._inflater.unused_data
        except zlib.error as exc:
            raise _Undecodable(f"the answer's body does not decompress: {exc}") from None
        return b"".join(out)

    def flush(self) -> bytes:
        if not self._started:
            return b""
        tail = self._inflater.flush()
        if not self._eof and not self._inflater.eof:
            raise _Undecodable("the answer's compressed body is cut short")
        return tail


class Stream:
    """An answer whose body is read as it arrives (:meth:`Pool.stream`): its
    ``status_code`` and ``headers`` at once, then :meth:`aiter_lines`, :meth:`aiter_bytes`
    or :meth:`aread` (once)."""

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self.status_code = conn.status
        self.headers = Headers(conn.fields)
        #: The whole body was read (the connection may serve the next request).
        self.finished = False
        self._content: bytes | None = None

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, still encoded."""
        conn = self._conn
        loop = asyncio.get_running_loop()
        while True:
            if conn.body:
                chunks, conn.body = conn.body, []
                conn.taken()
                yield chunks[0] if len(chunks) == 1 else b"".join(chunks)
                continue
            if conn.error is not None:
                raise conn.error
            if conn.complete:
                self.finished = True
                return
            if not conn.reading:  # pragma: no cover - every end sets complete or error
                raise _error("ReadError", "the answer ended unread")
            conn.reader = reader = loop.create_future()
            try:
                await reader
            finally:
                conn.reader = None

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, decoded per its Content-Encoding."""
        decoder = _Decoder(self.headers.get("content-encoding"))
        async for raw in self.aiter_raw():
            data = decoder.feed(raw)
            if data:
                yield data
        tail = decoder.flush()
        if tail:
            yield tail

    async def aiter_lines(self) -> AsyncIterator[str]:
        """The body as text lines, without their ends (CRLF, LF or CR), decoded with the
        charset the Content-Type names (UTF-8 without one; undecodable bytes replaced)."""
        text = codecs.getincrementaldecoder(_charset(self.headers.get("content-type")))
        decoder = text(errors="replace")
        pending = ""
        async for data in self.aiter_bytes():
            chunk = pending + decoder.decode(data)
            # A CR at the end may be the first half of a CRLF: it waits for the next piece.
            held = chunk.endswith("\r")
            lines = _LINE_ENDS.split(chunk[:-1] if held else chunk)
            pending = lines.pop() + ("\r" if held else "")
            for line in lines:
                yield line
        rest = pending + decoder.decode(b"", final=True)
        if rest:
            lines = _LINE_ENDS.split(rest)
            if lines[-1] == "":
                lines.pop()
            for line in lines:
                yield line

    async def aread(self) -> bytes:
        """The whole (decoded) body."""
        if self._content is None:
            self._content = b"".join([data async for data in self.aiter_bytes()])
        return self._content

    @property
    def content(self) -> bytes:
        """The body :meth:`aread` read."""
        if self._content is None:
            raise RuntimeError("the answer's body was not read: await aread() first")
        return self._content


def _charset(content_type: str | None) -> str:
    """The codec of a Content-Type's charset parameter, UTF-8 without a known one."""
    if content_type:
        for param in content_type.split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                try:
                    return codecs.lookup(value.strip().strip('"')).name
                except LookupError:
                    break
    return "utf-8"
