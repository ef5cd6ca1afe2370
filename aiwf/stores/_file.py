"""The file store: artifacts as files under a directory (``file://./.aiwf/artifacts``).

Each artifact is one file, ``ROOT/<key>.aiwf``, holding a magic line, a one-line JSON header
(content type, created, expires, size, sha256, metadata) and then the payload. Keeping header
and payload in one file means they are replaced together by one ``os.replace``: a reader sees
the old artifact or the new one, never the new header with the old bytes, whatever number of
processes write the same key. Writes go to a temporary file in the same directory, are
fsynced, renamed over the target and the directory is fsynced; a crashed writer leaves only a
``.aiwf-tmp-*`` file, which readers ignore and :meth:`FileStore.sweep` removes.

A journal (:meth:`FileStore.open_journal`) is one file too, with its own magic line and a
header without size or checksum; its records are appended one ``write`` each, with a CRC-32
per line, and fsynced at each commit. Read back (``get``), it is the JSON Lines of its whole
records: a torn last line (a killed writer) is left out.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

from aiwf.stores._base import (
    JSONL_CONTENT_TYPE,
    RESERVED_PREFIX,
    RESERVED_SUFFIX,
    ArtifactCorrupt,
    ArtifactInfo,
    ArtifactNotFound,
    ArtifactStore,
    Clock,
    Journal,
    Page,
    StoreError,
    UnknownStore,
    decode_records,
    encode_record,
    validate_key,
)

#: First line of every artifact file; the number is the format version.
MAGIC = b"aiwf-artifact 1\n"
#: First line of a journal file (:meth:`FileStore.open_journal`): the header has no size
#: or checksum (the file grows), each record line carries its own CRC-32.
JOURNAL_MAGIC = b"aiwf-journal 1\n"
#: The longest header line read, in bytes (metadata is bounded well below this).
MAX_HEADER_BYTES = 64 * 1024
#: Payloads are written in chunks of this size.
CHUNK_BYTES = 1024 * 1024
#: Name prefix of temporary files (in-flight writes) and of files being swept.
TEMP_PREFIX = RESERVED_PREFIX + "tmp-"
SWEEP_PREFIX = RESERVED_PREFIX + "sweep-"


class FileStore(ArtifactStore):
    """Artifacts as files under ``root``.

    Args:
        root: the store's directory; created on the first write.
        clock: epoch-seconds clock used for ``created`` and expiry (default ``time.time``).
        fsync: fsync files and directories on write (turn off only for throwaway stores).
        temp_grace: seconds (of file modification time) after which :meth:`sweep` treats a
            temporary file as left by a crashed writer and removes it.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        fsync: bool = True,
        temp_grace: float = 3600.0,
    ) -> None:
        super().__init__(clock=clock)
        self.root = Path(root).expanduser().absolute()
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(
                f"artifact store root {self.root} is not a directory",
                hint="point the store URL at a directory (it is created if missing)",
            )
        self.fsync = fsync
        self.temp_grace = temp_grace
        self.url = self.root.as_uri()

    @classmethod
    def from_url(
        cls, url: str, *, base: str | os.PathLike[str] | None = None, **options: Any
    ) -> FileStore:
        """A store for ``file://PATH`` or a plain path. ``file:///abs`` and
        ``file://localhost/abs`` are absolute; any other ``PATH`` is relative to ``base``
        (default: the working directory). Percent-escapes are decoded."""
        if url[:7].lower() == "file://":
            path = unquote(url[len("file://") :])
            if path.startswith("localhost/"):
                path = path[len("localhost") :]
        else:
            path = url
        if not path:
            raise UnknownStore(url, "the path is empty", hint="use file://./.aiwf/artifacts")
        root = Path(path).expanduser()
        if base is not None and not root.is_absolute():
            root = Path(base) / root
        return cls(root, **options)

    # Writing.

    def _write(self, info: ArtifactInfo, data: bytes) -> None:
        with self._os_errors(f"cannot write artifact {info.key!r}"):
            self._atomic_write(self._path(info.key), _encode_header(info), data)

    def _atomic_write(
        self, path: Path, header: bytes, data: bytes, *, magic: bytes = MAGIC
    ) -> None:
        parent = path.parent
        fd, tmp = self._create_temp(parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(magic)
                fh.write(header)
                write_payload(fh, data)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if self.fsync:
            _fsync_dir(parent)

    def _create_temp(self, parent: Path) -> tuple[int, str]:
        # A concurrent sweep may remove an empty directory between makedirs and open.
        for attempt in range(5):
            parent.mkdir(parents=True, exist_ok=True)
            tmp = str(parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}")
            try:
                return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
            except FileNotFoundError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # Journals.

    def _open_journal(self, key: str, *, ttl: float | None, metadata: dict[str, str]) -> Journal:
        """Start a journal file at ``key`` (replacing what is there): created whole (header
        written, fsynced, renamed into place), then appended to."""
        now = self.clock()
        info = ArtifactInfo(
            key=key,
            size=0,
            content_type=JSONL_CONTENT_TYPE,
            created=now,
            expires=None if ttl is None else now + ttl,
            sha256="",
            metadata=metadata,
        )
        path = self._path(key)
        with self._os_errors(f"cannot start journal {key!r}"):
            self._atomic_write(path, _encode_header(info), b"", magic=JOURNAL_MAGIC)
            append_fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        return FileJournal(key, append_fd, fsync=self.fsync)

    def read_records(self, key: str) -> list[bytes]:
        key = validate_key(key)
        with self._open(key) as fh:
            info, journal = self._read_any(key, fh)
            self._ensure_live(info)
            if journal is None:
                with self._os_errors(f"cannot read artifact {key!r}"):
                    data = self._verify(info, fh.read()).data
            else:
                data = journal
        return [line for line in data.split(b"\n") if line.strip()]

    # Reading.

    def _read(self, key: str) -> tuple[ArtifactInfo, bytes]:
        with self._open(key) as fh:
            info, journal = self._read_any(key, fh)
            self._ensure_live(info)
            if journal is not None:
                return info, journal  # each record was checked by its CRC
            with self._os_errors(f"cannot read artifact {key!r}"):
                return info, fh.read()

    def _head(self, key: str) -> ArtifactInfo:
        with self._open(key) as fh:
            return self._read_header(key, fh)

    @contextlib.contextmanager
    def _open(self, key: str) -> Iterator[BinaryIO]:
        try:
            fh = open(self._path(key), "rb")  # noqa: SIM115 - closed below
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(key) from None
        except OSError as exc:
            raise _store_error(f"cannot read artifact {key!r}", exc) from None
        with fh:
            yield fh

    def _read_header(self, key: str, fh: BinaryIO) -> ArtifactInfo:
        return self._read_any(key, fh)[0]

    def _read_any(self, key: str, fh: BinaryIO) -> tuple[ArtifactInfo, bytes | None]:
        """The artifact's description, and for a journal its whole records (JSON Lines;
        a journal's size and checksum are those of these bytes)."""
        try:
            magic = fh.readline(len(MAGIC))
            line = fh.readline(MAX_HEADER_BYTES)
        except OSError as exc:
            raise _store_error(f"cannot read artifact {key!r}", exc) from None
        journal = magic == JOURNAL_MAGIC
        if magic != MAGIC and not journal:
            raise self._corrupt(key, "not an aiwf artifact file (bad magic)")
        if not line.endswith(b"\n"):
            raise self._corrupt(key, "header is truncated")
        try:
            info = _decode_header(key, line)
        except (ValueError, KeyError, TypeError) as exc:
            raise self._corrupt(key, f"header is unreadable ({exc})") from None
        if not journal:
            return info, None
        try:
            data = b"".join(record + b"\n" for record in decode_records(fh.read()))
        except OSError as exc:
            raise _store_error(f"cannot read journal {key!r}", exc) from None
        return replace(info, size=len(data), sha256=hashlib.sha256(data).hexdigest()), data

    # Removing.

    def _delete(self, key: str, *, missing_ok: bool) -> None:
        try:
            os.unlink(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            if not missing_ok:
                raise self._not_found(key) from None
        except OSError as exc:
            raise _store_error(f"cannot delete artifact {key!r}", exc) from None

    def sweep(self) -> int:
        removed = 0
        now = self.clock()
        temp_cutoff = time.time() - self.temp_grace
        if not self.root.is_dir():
            return 0
        with self._os_errors("cannot sweep the artifact store"):
            for dirpath, _dirnames, filenames in os.walk(self.root, topdown=False):
                for name in filenames:
                    path = os.path.join(dirpath, name)
                    if name.startswith(RESERVED_PREFIX):
                        _remove_stale_temp(path, temp_cutoff)
                    elif name.endswith(RESERVED_SUFFIX) and self._sweep_one(path, now):
                        removed += 1
                if dirpath != str(self.root):
                    with contextlib.suppress(OSError):
                        os.rmdir(dirpath)  # only succeeds when empty
        return removed

    def _sweep_one(self, path: str, now: float) -> bool:
        """Remove ``path`` if it holds an expired artifact, and only that file: a writer may
        replace it at any moment, and its fresh artifact must survive."""
        try:
            with open(path, "rb") as fh:
                stat = os.fstat(fh.fileno())
                info = self._read_header(path, fh)
        except (OSError, ArtifactCorrupt):
            return False  # gone already, or not ours to judge; get() reports corruption
        if not info.is_expired(now):
            return False
        # Rename whatever is there now aside, then check it is the file we judged.
        aside = os.path.join(os.path.dirname(path), f"{SWEEP_PREFIX}{secrets.token_hex(8)}")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        moved = os.stat(aside)
        if (moved.st_ino, moved.st_dev) == (stat.st_ino, stat.st_dev):
            os.unlink(aside)
            return True
        # A writer got in between: put its artifact back unless an even newer one landed.
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        except OSError:
            if not os.path.exists(path):
                os.rename(aside, path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)
        return False

    # Listing.

    def _list_page(self, prefix: str, limit: int, token: str | None) -> Page:
        keys = sorted(self._keys(prefix))
        index = bisect_right(keys, token) if token is not None else 0
        items: list[ArtifactInfo] = []
        now = self.clock()
        while index < len(keys) and len(items) < limit:
            key = keys[index]
            index += 1
            try:
                info = self._head(key)
            except ArtifactNotFound:
                continue  # deleted since the directory was read
            if not info.is_expired(now):
                items.append(info)
        next_token = keys[index - 1] if index < len(keys) else None
        return Page(items, next_token)

    def _keys(self, prefix: str) -> Iterator[str]:
        directory, _, _ = prefix.rpartition("/")
        base = self.root / directory if directory else self.root
        if not base.is_dir():
            return
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(base, onerror=None):
            dirnames[:] = [d for d in dirnames if not d.startswith(RESERVED_PREFIX)]
            rel = os.path.relpath(dirpath, root)
            head = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in filenames:
                if name.endswith(RESERVED_SUFFIX) and not name.startswith(RESERVED_PREFIX):
                    key = head + name[: -len(RESERVED_SUFFIX)]
                    if key.startswith(prefix):
                        yield key

    # Helpers.

    def _path(self, key: str) -> Path:
        *parents, name = key.split("/")
        return self.root.joinpath(*parents, name + RESERVED_SUFFIX)

    @contextlib.contextmanager
    def _os_errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise _store_error(what, exc) from None


class FileJournal(Journal):
    """A journal file: each record is one ``write`` to a descriptor opened ``O_APPEND``
    (the kernel keeps it if the process is killed), each commit one ``fsync`` (what a
    machine crash needs)."""

    kill_safe = True
    commit_records = 1000
    commit_seconds = 0.5

    def __init__(self, key: str, fd: int, *, fsync: bool) -> None:
        super().__init__(key)
        self._fd = fd
        self._fsync = fsync

    def _append(self, record: bytes) -> None:
        line = encode_record(record)
        try:
            written = os.write(self._fd, line)
            while written < len(line):  # a short write (a signal, a full disk)
                written += os.write(self._fd, line[written:])
        except OSError as exc:
            raise _store_error(f"cannot append to journal {self.key!r}", exc) from None
        self.pending += 1

    def commit(self) -> None:
        self.pending = 0
        if self._fsync and not self.closed:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise _store_error(f"cannot commit journal {self.key!r}", exc) from None

    def _release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def write_payload(fh: BinaryIO, data: bytes) -> None:
    """Write ``data`` in chunks (a module-level function so a test can slow it down)."""
    view = memoryview(data)
    for start in range(0, len(view), CHUNK_BYTES):
        fh.write(view[start : start + CHUNK_BYTES])


def _encode_header(info: ArtifactInfo) -> bytes:
    header = {
        "content_type": info.content_type,
        "created": info.created,
        "expires": info.expires,
        "size": info.size,
        "sha256": info.sha256,
        "metadata": dict(info.metadata),
    }
    # ensure_ascii escapes every newline and control character: the header is one line.
    return json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"


def _decode_header(key: str, line: bytes) -> ArtifactInfo:
    raw = json.loads(line)
    expires = raw["expires"]
    metadata = raw["metadata"]
    if not isinstance(metadata, dict):
        raise TypeError("metadata is not an object")
    return ArtifactInfo(
        key=key,
        size=int(raw["size"]),
        content_type=str(raw["content_type"]),
        created=float(raw["created"]),
        expires=None if expires is None else float(expires),
        sha256=str(raw["sha256"]),
        metadata={str(k): str(v) for k, v in metadata.items()},
    )


def _remove_stale_temp(path: str, cutoff: float) -> None:
    with contextlib.suppress(OSError):
        if os.lstat(path).st_mtime <= cutoff:
            os.unlink(path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not supported here (e.g. Windows); the file itself is synced
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _store_error(what: str, exc: OSError) -> StoreError:
    reason = exc.strerror or str(exc)
    hint = None
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "check the permissions of the store directory, or pick another with --store"
    elif exc.errno == errno.ENOSPC:
        hint = "the disk is full; free space or run `aiwf artifacts sweep`"
    elif exc.errno == errno.ENAMETOOLONG:
        hint = "the key is too long for this filesystem; use a shorter key"
    return StoreError(f"{what}: {reason}", hint=hint)
