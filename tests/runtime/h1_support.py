"""Test support for the HTTP/1.1 client (:mod:`aiwf.runtime._h1`): a raw server on 127.0.0.1
whose handler writes the answer byte by byte, so a test controls framing, timing, closes and
resets, and counts what the client did (connections accepted, open at once, requests seen,
connections the client closed).

The server runs on the test's own loop (the client under test is asyncio too); it is an async
context manager, closed (with every connection it accepted) when the block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Header fields as (name, value) pairs, in order.
Fields = Iterable[tuple[str, str]]


@dataclass
class Request:
    """One request as the server read it off the wire."""

    method: str
    target: str
    version: str
    #: Header fields in the order sent, names as sent.
    fields: list[tuple[str, str]]
    body: bytes
    #: The request line and header block exactly as received.
    head: bytes

    def values(self, name: str) -> list[str]:
        """Every value sent for ``name`` (case-insensitive)."""
        return [v for k, v in self.fields if k.lower() == name.lower()]

    def header(self, name: str) -> str:
        """The one value sent for ``name``; fails if it was absent or sent twice."""
        found = self.values(name)
        assert len(found) == 1, (name, self.fields)
        return found[0]


class Conn:
    """One accepted connection, as a handler sees it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[Request]
    ) -> None:
        self.reader = reader
        self.writer = writer
        self._seen = seen
        #: Set when the client closed (EOF) or reset the connection.
        self.gone = asyncio.Event()
        #: Every byte the client sent on this connection.
        self.received = bytearray()

    async def request(self) -> Request | None:
        """The next request, or None when the client closed the connection."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            self.received += exc.partial
            self.gone.set()
            return None
        except ConnectionError:
            self.gone.set()
            return None
        self.received += head
        line, *rest = head[:-4].decode("latin-1").split("\r\n")
        method, target, version = line.split(" ")
        fields = []
        for raw in rest:
            name, _, value = raw.partition(":")
            fields.append((name, value.strip(" \t")))
        lengths = [v for k, v in fields if k.lower() == "content-length"]
        body = await self.reader.readexactly(int(lengths[0])) if lengths else b""
        self.received += body
        found = Request(method, target, version, fields, body, head)
        self._seen.append(found)
        return found

    async def until_gone(self) -> None:
        """Read (and keep) whatever the client sends until it closes the connection."""
        while True:
            try:
                data = await self.reader.read(65536)
            except ConnectionError:
                data = b""
            if not data:
                self.gone.set()
                return
            self.received += data

    async def send(self, data: bytes, pieces: Sequence[int] = (), pause: float = 0.0) -> None:
        """Write ``data``: at once, or in pieces of the given sizes (the rest in one), with a
        drain and a sleep of ``pause`` seconds after each."""
        at = 0
        for size in pieces:
            if at >= len(data):
                break
            self.writer.write(data[at : at + size])
            at += size
            await self.writer.drain()
            await asyncio.sleep(pause)
        if at < len(data):
            self.writer.write(data[at:])
        await self.writer.drain()

    def close(self) -> None:
        """Close the connection (FIN)."""
        self.writer.close()

    def reset(self) -> None:
        """Close the connection with a TCP reset."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


Handler = Callable[[Conn], Awaitable[None]]


@dataclass
class Server:
    """A server on ``host`` (127.0.0.1) answering each connection with ``handler``."""

    handler: Handler
    context: ssl.SSLContext | None = None
    host: str = "127.0.0.1"
    port: int = 0
    accepted: int = 0
    active: int = 0
    most_active: int = 0
    conns: list[Conn] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    #: Hostnames the TLS clients asked for (SNI), None for a client that sent none.
    server_names: list[str | None] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def url(self) -> str:
        scheme = "https" if self.context else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    async def __aenter__(self) -> Server:
        if self.context is not None:
            self.context.sni_callback = self._sni
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, ssl=self.context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for conn in self.conns:
            conn.writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def _sni(self, sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: Any) -> None:
        self.server_names.append(name)

    @staticmethod
    async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``check()`` holds; fail (TimeoutError) if it has not within ``timeout``
        seconds (a safety net against a hang, not a measure)."""
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.005)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = Conn(reader, writer, self.requests)
        self.accepted += 1
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.conns.append(conn)
        try:
            await self.handler(conn)
        except (ConnectionError, asyncio.IncompleteReadError):
            conn.gone.set()
        except asyncio.CancelledError:
            # Only the server's own close cancels a handler; ending quietly keeps asyncio's
            # stream callback from logging the cancellation as an error.
            pass
        finally:
            self.active -= 1
            with contextlib.suppress(Exception):
                writer.close()
            self._tasks.discard(task)


def response(
    status: int = 200,
    body: bytes = b"",
    headers: Fields = (),
    *,
    version: str = "HTTP/1.1",
    reason: str = "OK",
    length: bool = True,
) -> bytes:
    """A whole response: the head (with ``Content-Length`` unless ``length`` is false) and
    the body."""
    lines = [f"{version} {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, sizes: Sequence[int] = (), trailers: Fields = ()) -> bytes:
    """``body`` in chunked framing, cut in chunks of the given sizes (the rest in one)."""
    out = bytearray()
    at = 0
    for size in [*sizes, len(body)]:
        piece = body[at : at + size]
        if not piece:
            continue
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        at += len(piece)
        if at >= len(body):
            break
    out += b"0\r\n"
    for k, v in trailers:
        out += f"{k}: {v}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


def answering(reply: Callable[[Request], bytes]) -> Handler:
    """A keep-alive handler: every request on the connection answered with ``reply(request)``
    until the client closes it."""

    async def handle(conn: Conn) -> None:
        while (request := await conn.request()) is not None:
            await conn.send(reply(request))

    return handle


def ok(body: bytes = b"ok") -> Handler:
    """A keep-alive handler answering every request 200 with ``body``."""
    return answering(lambda _: response(200, body))


def echo_path() -> Handler:
    """A keep-alive handler answering every request 200 with its target as the body."""
    return answering(lambda request: response(200, request.target.encode()))


@dataclass
class Certs:
    """A CA and a server certificate it signed for ``localhost`` and ``127.0.0.1``."""

    ca: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def make_certs(folder: Path) -> Certs:
    """Write a CA and a server certificate (for ``localhost`` and ``127.0.0.1``) in
    ``folder``, with the extensions a strict verifier asks for."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def usage(signs: bool) -> x509.KeyUsage:
        others = "content_commitment key_encipherment data_encipherment key_agreement"
        flags = dict.fromkeys([*others.split(), "encipher_only", "decipher_only"], False)
        return x509.KeyUsage(digital_signature=True, key_cert_sign=signs, crl_sign=signs, **flags)

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aiwf test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(signs=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(signs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certs = Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    certs.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certs.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    certs.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certs


@contextlib.contextmanager
def unanswered_port() -> Any:
    """A port on 127.0.0.1 whose listen queue is full: a connect to it neither succeeds nor
    is refused (the SYN is dropped), so only a connect timeout ends it."""
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def refused_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
