"""What every artifact store is: the :class:`ArtifactStore` protocol, its value types, its
errors, and the rules shared by all stores (key validation, TTLs, checksums).

A store implementation lives in its own module (``file.py``, ``s3.py``) and builds on
:class:`StoreBase`, which turns the protocol's conveniences (JSON, ``exists``, listing that
pages internally) into a handful of primitives each store provides.
"""

from __future__ import annotations

import abc
import builtins
import hashlib
import json
import math
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiwf._errors import EXIT_USAGE, AiwfError

#: A clock: a callable returning the current time in epoch seconds (``time.time`` by default).
#: Stores take one so TTL behaviour can be tested without waiting.
Clock = Callable[[], float]

#: The longest key a store accepts, in bytes of UTF-8.
MAX_KEY_BYTES = 512
#: The longest segment (the text between two ``/``) in bytes of UTF-8; filesystems allow
#: 255 bytes per name and the file store adds a suffix.
MAX_SEGMENT_BYTES = 200
#: The most user metadata a store accepts, in bytes of its JSON encoding (S3 allows 2 KiB of
#: user metadata per object, and aiwf keeps some of that for itself).
MAX_METADATA_BYTES = 1536
#: Content type of :meth:`ArtifactStore.put` when none is given.
OCTET_STREAM = "application/octet-stream"
#: Content type of :meth:`ArtifactStore.put_json`.
JSON_CONTENT_TYPE = "application/json"
#: Content type of a journal read back whole (its records, one a line).
JSONL_CONTENT_TYPE = "application/jsonl"

#: Suffix of artifact files in the file store. No key segment may end with it, so a key
#: ``a`` (file ``a.aiwf``) and a key ``a.aiwf/b`` (directory ``a.aiwf``) can never collide.
RESERVED_SUFFIX = ".aiwf"
#: Prefix of the file store's temporary files. No key segment may start with it.
RESERVED_PREFIX = ".aiwf-"

# Error codes (documented in docs/artifacts.md).
INVALID_KEY = "A001"
NOT_FOUND = "A002"
CORRUPT = "A003"
STORE_ERROR = "A004"
UNKNOWN_STORE = "A005"
INVALID_ARTIFACT = "A006"


class InvalidKey(AiwfError):
    """A key breaks the key rules (``A001``); nothing was read or written."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(
            f"invalid artifact key {key[:80]!r}: {reason}",
            code=INVALID_KEY,
            hint=(
                "keys are relative, '/'-separated paths such as 'runs/42/output.json': "
                "no leading '/', no empty, '.' or '..' segments, no backslash or control "
                f"characters, at most {MAX_KEY_BYTES} bytes, and no segment starting with "
                f"{RESERVED_PREFIX!r} or ending with {RESERVED_SUFFIX!r}"
            ),
            exit_code=EXIT_USAGE,
        )
        self.key = key
        self.reason = reason


class ArtifactNotFound(AiwfError):
    """No artifact under the key (``A002``), or only an expired one."""

    def __init__(self, key: str, *, store: str = "", expired_at: float | None = None) -> None:
        where = f" in {store}" if store else ""
        if expired_at is None:
            message = f"artifact {key!r} not found{where}"
            hint = "list what is there with `aiwf artifacts ls PREFIX`"
        else:
            message = f"artifact {key!r} expired{where}"
            hint = f"it expired at {_iso(expired_at)}; write it again or give it a longer TTL"
        super().__init__(message, code=NOT_FOUND, hint=hint)
        self.key = key
        self.expired_at = expired_at


class ArtifactCorrupt(AiwfError):
    """The stored bytes do not match the stored checksum, size or format (``A003``)."""

    def __init__(self, key: str, reason: str, *, store: str = "") -> None:
        where = f" in {store}" if store else ""
        super().__init__(
            f"artifact {key!r}{where} is corrupt: {reason}",
            code=CORRUPT,
            hint="the stored copy cannot be trusted; delete it and write it again",
        )
        self.key = key
        self.reason = reason


class StoreError(AiwfError):
    """The store itself failed: I/O, permissions, network, a refused request (``A004``)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str = STORE_ERROR,
        exit_code: int = 1,
    ) -> None:
        super().__init__(message, code=code, hint=hint, exit_code=exit_code)


class UnknownStore(StoreError):
    """A store URL names a scheme no store handles, or is malformed (``A005``)."""

    def __init__(self, url: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"cannot open artifact store {url!r}: {reason}",
            hint=hint,
            code=UNKNOWN_STORE,
            exit_code=EXIT_USAGE,
        )
        self.url = url


class InvalidArtifact(AiwfError):
    """A put was given a bad TTL, content type, metadata or payload (``A006``)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, code=INVALID_ARTIFACT, hint=hint, exit_code=EXIT_USAGE)


@dataclass(frozen=True)
class ArtifactInfo:
    """What a store knows about an artifact, without its bytes.

    Attributes:
        key: the artifact's key.
        size: payload size in bytes.
        content_type: the MIME type given when it was written.
        created: when it was written, in epoch seconds of the store's clock.
        expires: when it stops existing, in epoch seconds, or ``None`` for never.
        sha256: hex SHA-256 of the payload; verified on every :meth:`ArtifactStore.get`.
        metadata: the string metadata given when it was written.
    """

    key: str
    size: int
    content_type: str
    created: float
    expires: float | None
    sha256: str
    metadata: Mapping[str, str] = field(default_factory=dict)

    def is_expired(self, now: float) -> bool:
        """Whether the artifact is expired at ``now`` (expiry is inclusive)."""
        return self.expires is not None and now >= self.expires


class Artifact(NamedTuple):
    """An artifact read back: its bytes and its :class:`ArtifactInfo`.

    It unpacks as ``data, info = store.get(key)``.
    """

    data: bytes
    info: ArtifactInfo

    def json(self) -> Any:
        """The payload decoded as JSON."""
        return decode_json(self.info.key, self.data)


class Page(NamedTuple):
    """One page of a listing: the items, and the token for the next page (``None`` at the end).

    A page holds at most the requested number of items; it may hold fewer even when more
    follow, so page on until ``next_token`` is ``None``.
    """

    items: list[ArtifactInfo]
    next_token: str | None


class ArtifactStore(abc.ABC):
    """A place for step outputs, checkpoints and large inputs, addressed by key.

    Every store guarantees: a written artifact is visible whole or not at all (a crashed or
    failed write leaves the previous artifact, or none); concurrent writers to one key
    resolve to the last writer; an expired artifact behaves as missing everywhere and
    :meth:`sweep` removes it; every read verifies the payload's SHA-256.

    A store implements the primitives (:meth:`_write`, :meth:`_read`, :meth:`_head`,
    :meth:`_delete` and :meth:`_list_page` behind :meth:`put`, :meth:`get`, :meth:`head`,
    :meth:`delete` and :meth:`list_page`, which check their arguments first; :meth:`sweep`;
    :meth:`_open_journal` when it can append; :meth:`close` when it holds connections); JSON,
    existence and full listings are built on them here.
    """

    #: The URL the store was opened with, normalised (``file:///abs/path``, ``s3://b/p``).
    url: str

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or time.time

    # The primitives.

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = OCTET_STREAM,
        ttl: float | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ArtifactInfo:
        """Write ``data`` under ``key``, replacing what was there; ``ttl`` is in seconds."""
        info = self._new_info(key, data, content_type=content_type, ttl=ttl, metadata=metadata)
        self._write(info, bytes(data))
        return info

    @abc.abstractmethod
    def _write(self, info: ArtifactInfo, data: bytes) -> None:
        """Write ``data`` as ``info`` describes it (its key, type, expiry and metadata
        already checked), whole or not at all."""

    def get(self, key: str) -> Artifact:
        """Read an artifact; :class:`ArtifactNotFound` if missing or expired,
        :class:`ArtifactCorrupt` if its bytes fail the checksum."""
        info, data = self._read(validate_key(key))
        return self._verify(info, data)

    @abc.abstractmethod
    def _read(self, key: str) -> tuple[ArtifactInfo, bytes]:
        """The description and the bytes of the live artifact at ``key`` (checked), not yet
        verified against the description; :class:`ArtifactNotFound` if missing or expired."""

    def head(self, key: str) -> ArtifactInfo:
        """An artifact's description without its bytes; :class:`ArtifactNotFound` if
        missing or expired."""
        return self._ensure_live(self._head(validate_key(key)))

    @abc.abstractmethod
    def _head(self, key: str) -> ArtifactInfo:
        """The description of the artifact at ``key`` (checked), expired or not;
        :class:`ArtifactNotFound` if missing."""

    def delete(self, key: str, *, missing_ok: bool = False) -> None:
        """Remove an artifact; :class:`ArtifactNotFound` if it is missing, unless
        ``missing_ok``."""
        self._delete(validate_key(key), missing_ok=missing_ok)

    @abc.abstractmethod
    def _delete(self, key: str, *, missing_ok: bool) -> None:
        """Remove the artifact at ``key`` (checked), as :meth:`delete` says."""

    def list_page(self, prefix: str = "", *, limit: int = 1000, token: str | None = None) -> Page:
        """One page of the live artifacts under ``prefix``, in key order; pass the page's
        ``next_token`` for the next one."""
        prefix = validate_prefix(prefix)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        return self._list_page(prefix, limit, token)

    @abc.abstractmethod
    def _list_page(self, prefix: str, limit: int, token: str | None) -> Page:
        """:meth:`list_page` with its arguments checked."""

    @abc.abstractmethod
    def sweep(self) -> int:
        """Remove expired artifacts (and leftovers of interrupted writes); how many went."""

    # Built on the primitives.

    def put_json(
        self,
        key: str,
        value: Any,
        *,
        content_type: str = JSON_CONTENT_TYPE,
        ttl: float | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ArtifactInfo:
        """Write ``value`` encoded as UTF-8 JSON under ``key``."""
        return self.put(
            key, encode_json(value), content_type=content_type, ttl=ttl, metadata=metadata
        )

    def get_json(self, key: str) -> Any:
        """Read an artifact and decode it as JSON (:class:`ArtifactCorrupt` if it is not)."""
        return self.get(key).json()

    def exists(self, key: str) -> bool:
        """Whether a live artifact is under ``key``."""
        try:
            self.head(key)
        except ArtifactNotFound:
            return False
        return True

    def list(self, prefix: str = "") -> Iterator[ArtifactInfo]:
        """Every live artifact under ``prefix``, in key order (page by page)."""
        token: str | None = None
        while True:
            page = self.list_page(prefix, token=token)
            yield from page.items
            if page.next_token is None:
                return
            token = page.next_token

    def open_journal(
        self,
        key: str,
        *,
        ttl: float | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Journal:
        """Start a :class:`Journal` under ``key``. A store that can append (the file store)
        keeps it as one artifact at ``key``; any other keeps one artifact per commit under
        ``key/`` (:class:`BatchJournal`). Either way :meth:`read_records` of each artifact
        :meth:`list` finds under the journal's key gives its records back."""
        key = validate_key(key)
        if ttl is not None:
            validate_ttl(ttl)
        return self._open_journal(key, ttl=ttl, metadata=validate_metadata(metadata))

    def _open_journal(self, key: str, *, ttl: float | None, metadata: dict[str, str]) -> Journal:
        """:meth:`open_journal` with its arguments checked; a store that can append
        overrides it."""
        return BatchJournal(self, key, ttl=ttl, metadata=metadata)

    def read_records(self, key: str) -> builtins.list[bytes]:
        """The records of the artifact at ``key``, one per line (a journal, or a batch of
        one): lines that are empty, torn or damaged are left out."""
        return [line for line in self.get(key).data.split(b"\n") if line.strip()]

    def close(self) -> None:  # noqa: B027 - an optional hook; a file store holds nothing
        """Release connections and handles; the store is not used afterwards."""

    def __enter__(self) -> ArtifactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    # Helpers for implementations.

    def _new_info(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        ttl: float | None,
        metadata: Mapping[str, str] | None,
    ) -> ArtifactInfo:
        """Validate a put's arguments and describe the artifact it will write."""
        key = validate_key(key)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidArtifact(
                f"artifact {key!r}: data must be bytes, not {type(data).__name__}",
                hint="use put_json() for JSON values, or encode text first",
            )
        now = self.clock()
        return ArtifactInfo(
            key=key,
            size=len(data),
            content_type=validate_content_type(content_type),
            created=now,
            expires=None if ttl is None else now + validate_ttl(ttl),
            sha256=hashlib.sha256(data).hexdigest(),
            metadata=validate_metadata(metadata),
        )

    def _not_found(self, key: str) -> ArtifactNotFound:
        """The error for a missing artifact of this store."""
        return ArtifactNotFound(key, store=self.url)

    def _corrupt(self, key: str, reason: str) -> ArtifactCorrupt:
        """The error for a damaged artifact of this store (``reason``: what is wrong)."""
        return ArtifactCorrupt(key, reason, store=self.url)

    def _ensure_live(self, info: ArtifactInfo) -> ArtifactInfo:
        """``info`` if the artifact is not expired, else :class:`ArtifactNotFound`."""
        if info.is_expired(self.clock()):
            raise ArtifactNotFound(info.key, store=self.url, expired_at=info.expires)
        return info

    def _verify(self, info: ArtifactInfo, data: bytes) -> Artifact:
        """The artifact, once its bytes match the recorded size and SHA-256."""
        if len(data) != info.size:
            raise self._corrupt(info.key, f"size is {len(data)} bytes, expected {info.size}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != info.sha256:
            raise self._corrupt(info.key, f"sha256 is {digest}, expected {info.sha256}")
        return Artifact(data, info)


class Journal(abc.ABC):
    """An append-only sequence of records under one key, made durable in groups.

    :meth:`append` is cheap (no fsync, no request); :meth:`commit` makes every record
    appended so far durable; :meth:`close` commits and releases the journal. What a process
    kill costs between two commits depends on the store (:attr:`kill_safe`). A record is
    bytes without a newline (one JSON document, say). Reading back is
    :meth:`ArtifactStore.read_records`. Appends come from one thread; :meth:`commit` may
    run in another.
    """

    #: Whether an appended record survives a kill of the process before the next commit
    #: (the file store: the kernel has the bytes; a machine crash still needs the commit).
    kill_safe: bool = False
    #: The group commit a writer should aim for: commit after this many records ...
    commit_records: int = 1000
    #: ... or this many seconds after the first uncommitted record, whichever comes first.
    commit_seconds: float = 1.0

    def __init__(self, key: str) -> None:
        self.key = key
        #: Records appended and not yet committed.
        self.pending = 0
        self.closed = False

    def append(self, record: bytes) -> None:
        """Add one record (``bytes`` without ``\\n``)."""
        if self.closed:
            raise StoreError(f"journal {self.key!r} is closed")
        if b"\n" in record:
            raise InvalidArtifact(f"journal {self.key!r}: a record may not contain a newline")
        self._append(record)

    @abc.abstractmethod
    def _append(self, record: bytes) -> None:
        """Add one checked record (and count it in :attr:`pending`)."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make every record appended so far durable."""

    def close(self) -> None:
        """Commit, and release the journal (idempotent)."""
        if not self.closed:
            self.commit()
            self._release()
            self.closed = True

    def _release(self) -> None:  # noqa: B027 - an optional hook
        """Release what the journal holds (a file descriptor)."""

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BatchJournal(Journal):
    """The journal of a store without appends: records are kept in memory and each commit
    writes them as one artifact ``KEY/<n>`` (``n`` counting from ``000000``), JSON Lines.
    A kill loses the records since the last commit."""

    kill_safe = False

    def __init__(
        self,
        store: ArtifactStore,
        key: str,
        *,
        ttl: float | None,
        metadata: Mapping[str, str] | None,
    ) -> None:
        super().__init__(validate_key(key))
        self.store = store
        self.ttl = ttl
        self.metadata = dict(metadata or {})
        self._records: list[bytes] = []
        self._lock = threading.Lock()
        self._committing = threading.Lock()
        self._batch = 0

    def _append(self, record: bytes) -> None:
        with self._lock:
            self._records.append(record)
            self.pending += 1

    def commit(self) -> None:
        with self._committing:  # one commit at a time; appends only wait for the swap
            with self._lock:
                records, self._records = self._records, []
                self.pending = 0
            if not records:
                return
            try:
                self.store.put(
                    f"{self.key}/{self._batch:06d}",
                    b"\n".join(records) + b"\n",
                    content_type=JSONL_CONTENT_TYPE,
                    ttl=self.ttl,
                    metadata=self.metadata,
                )
            except BaseException:
                with self._lock:  # keep them for the next commit
                    self._records[:0] = records
                    self.pending += len(records)
                raise
            self._batch += 1


def encode_record(record: bytes) -> bytes:
    """A journal line: the CRC-32 of the record (8 hex digits), a space, the record, ``\\n``."""
    return b"%08x %s\n" % (zlib.crc32(record), record)


def decode_records(data: bytes) -> list[bytes]:
    """The records of journal lines (:func:`encode_record`); a line that is torn (no
    ``\\n``, the last one of a killed writer) or fails its CRC is left out."""
    out: list[bytes] = []
    for line in data.split(b"\n")[:-1]:  # the part after the last newline is torn
        if len(line) < 9 or line[8:9] != b" ":
            continue
        record = line[9:]
        try:
            crc = int(line[:8], 16)
        except ValueError:
            continue
        if zlib.crc32(record) == crc:
            out.append(record)
    return out


def validate_key(key: str) -> str:
    """Return ``key`` if it is a valid artifact key, else raise :class:`InvalidKey`.

    A key is a relative, ``/``-separated path of at most :data:`MAX_KEY_BYTES` bytes of UTF-8
    (each segment at most :data:`MAX_SEGMENT_BYTES`): no leading ``/``, no empty, ``.`` or
    ``..`` segment, no backslash, no control character (Unicode category ``Cc``), and no
    segment starting with :data:`RESERVED_PREFIX` or ending with :data:`RESERVED_SUFFIX`
    (compared case-insensitively, for case-insensitive filesystems). The same rules hold in
    every store, so keys move between stores unchanged.
    """
    if not isinstance(key, str):
        raise InvalidKey(repr(key), f"a key is a string, not {type(key).__name__}")
    if not key:
        raise InvalidKey(key, "it is empty")
    if key.startswith("/"):
        raise InvalidKey(key, "it starts with '/'; keys are relative")
    _check_text(key, key)
    for segment in key.split("/"):
        _check_segment(key, segment)
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start a valid key (``""``, ``runs/``, ``runs/4``), else raise
    :class:`InvalidKey`. The last segment may be partial or empty (a trailing ``/``)."""
    if not isinstance(prefix, str):
        raise InvalidKey(repr(prefix), f"a prefix is a string, not {type(prefix).__name__}")
    if not prefix:
        return prefix
    if prefix.startswith("/"):
        raise InvalidKey(prefix, "it starts with '/'; prefixes are relative")
    _check_text(prefix, prefix)
    *whole, last = prefix.split("/")
    for segment in whole:
        _check_segment(prefix, segment)
    if "\\" in last or last.lower().startswith(RESERVED_PREFIX):
        _check_segment(prefix, last)
    return prefix


def _check_text(key: str, text: str) -> None:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidKey(key, "it is not valid Unicode (lone surrogate)") from None
    if size > MAX_KEY_BYTES:
        raise InvalidKey(key, f"it is {size} bytes of UTF-8; the limit is {MAX_KEY_BYTES}")
    if "\\" in text:
        raise InvalidKey(key, "it contains a backslash; use '/' to separate segments")
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise InvalidKey(key, f"it contains the control character U+{ord(char):04X}")


def _check_segment(key: str, segment: str) -> None:
    if segment == "":
        raise InvalidKey(key, "it has an empty segment ('//' or a trailing '/')")
    if segment in (".", ".."):
        raise InvalidKey(key, f"it has a {segment!r} segment")
    if "\\" in segment:
        raise InvalidKey(key, "it contains a backslash; use '/' to separate segments")
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        raise InvalidKey(key, f"a segment is longer than {MAX_SEGMENT_BYTES} bytes of UTF-8")
    lowered = segment.lower()
    if lowered.startswith(RESERVED_PREFIX) or lowered.endswith(RESERVED_SUFFIX):
        raise InvalidKey(
            key,
            f"segment {segment!r} is reserved (it starts with {RESERVED_PREFIX!r} or ends "
            f"with {RESERVED_SUFFIX!r})",
        )


def validate_ttl(ttl: float) -> float:
    """A TTL in seconds: a finite number above zero."""
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise InvalidArtifact(f"ttl must be a number of seconds, not {type(ttl).__name__}")
    if not math.isfinite(ttl) or ttl <= 0:
        raise InvalidArtifact(
            f"ttl must be a positive number of seconds, not {ttl!r}",
            hint="leave ttl out (None) for an artifact that never expires",
        )
    return float(ttl)


def validate_content_type(content_type: str) -> str:
    """A content type: printable ASCII, at most 255 characters."""
    if (
        not isinstance(content_type, str)
        or not content_type
        or len(content_type) > 255
        or not all(" " <= c <= "~" for c in content_type)
    ):
        raise InvalidArtifact(
            f"invalid content type {content_type!r}",
            hint="use a MIME type such as 'application/json' or 'text/plain; charset=utf-8'",
        )
    return content_type


def validate_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """User metadata: string keys and values, at most :data:`MAX_METADATA_BYTES` as JSON."""
    if metadata is None:
        return {}
    result: dict[str, str] = {}
    for name, value in metadata.items():
        if not isinstance(name, str) or not isinstance(value, str) or not name:
            raise InvalidArtifact(
                f"metadata must map non-empty strings to strings; got {name!r}: {value!r}"
            )
        result[name] = value
    if len(encode_metadata(result)) > MAX_METADATA_BYTES:
        raise InvalidArtifact(
            f"metadata is larger than {MAX_METADATA_BYTES} bytes as JSON",
            hint="keep metadata to a few short labels; put larger data in the artifact",
        )
    return result


def encode_metadata(metadata: Mapping[str, str]) -> str:
    """User metadata as compact, ASCII-only JSON (safe in an HTTP header)."""
    return json.dumps(dict(metadata), ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def decode_metadata(text: str) -> dict[str, str]:
    """The inverse of :func:`encode_metadata`; ``ValueError`` if it is not such JSON."""
    value = json.loads(text)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError("metadata is not a JSON object of strings")
    return value


#: ``json.dumps(value, ensure_ascii=False, allow_nan=False)``, without building an encoder
#: per call. Thread-safe: each ``encode`` makes its own state.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
#: ``orjson.dumps`` and the options that leave to json what json would refuse (dataclasses,
#: dates) or encode its own way (subclasses of str, int, dict and list), once imported.
_ORJSON: tuple[Callable[..., bytes], int] | None = None


def encode_json(value: Any) -> bytes:
    """``value`` as UTF-8 JSON; :class:`InvalidArtifact` if it is not JSON-serialisable
    (NaN and infinities included).

    orjson encodes it (a journal encodes one record per scatter item, and orjson halves
    what a record costs), and json when orjson cannot say: a value orjson refuses (an integer
    past 64 bits, a key that is not a string, a dataclass, a date) and any value whose JSON
    holds ``null`` (orjson writes NaN and infinities as ``null``; json refuses them). A
    string with a lone surrogate, which UTF-8 cannot hold, is written escaped. The
    data are json's in either case (except that orjson also encodes an enum or a UUID, by
    value, which json refuses); the bytes differ only in spacing and in how some floats are
    written (``1e-7`` for ``1e-07``)."""
    global _ORJSON
    if _ORJSON is None:
        import orjson

        _ORJSON = (
            orjson.dumps,
            (
                orjson.OPT_PASSTHROUGH_DATACLASS
                | orjson.OPT_PASSTHROUGH_DATETIME
                | orjson.OPT_PASSTHROUGH_SUBCLASS
            ),
        )
    dumps, option = _ORJSON
    try:
        data = dumps(value, option=option)
    except TypeError:  # orjson.JSONEncodeError
        pass
    else:
        if b"null" not in data:
            return data
    try:
        text = _JSON.encode(value)
    except (TypeError, ValueError) as exc:
        raise InvalidArtifact(f"value is not JSON-serialisable: {exc}") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot hold: escape it
        return _JSON_ASCII.encode(value).encode("ascii")


#: The same, every non-ASCII character escaped (``"\ud800"`` reads back as it was).
_JSON_ASCII = json.JSONEncoder(ensure_ascii=True, allow_nan=False)


def encode_own_json(value: Any) -> bytes:
    """``value`` as UTF-8 JSON, for data aiwf builds itself, such as a run's trace: orjson,
    with no look for ``null``. orjson writes NaN and infinities as ``null`` where
    :func:`encode_json` refuses them, so the value must hold none (a trace holds counts,
    latencies and strings); what orjson refuses goes to :func:`encode_json`."""
    import orjson

    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return encode_json(value)


def decode_json(key: str, data: bytes) -> Any:
    """An artifact's payload as JSON; :class:`InvalidArtifact` if it is not JSON."""
    try:
        return json.loads(data)
    except ValueError as exc:
        raise InvalidArtifact(
            f"artifact {key!r} is not JSON: {exc}",
            hint="read it with get() for its raw bytes",
        ) from None


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
