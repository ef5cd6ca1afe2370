"""aiwf's cache directory, and the cache of formatted files kept in it.

``aiwf sdk`` and ``aiwf check`` pass every generated Python file through two ``ruff``
processes. The formatter is a pure function of its input, so :class:`FormatCache` keeps what
it returned, keyed by everything the output can depend on: the formatter (the binary's path,
size and modification time, so an upgrade is a new key), its exact command lines (settings
included), the set of paths formatted together (import sorting looks at which packages exist)
and the file's own path and unformatted text. A file whose unformatted text an edit does not
change is then not formatted again; when every file is found, no formatter runs at all.

Safe to share: an entry is written to a temporary file and renamed into place, so a reader
sees a whole entry or none; each entry starts with the SHA-256 of its text, and an entry
that does not match (a torn or corrupt file) is ignored and written afresh. The cache keeps
at most :data:`MAX_BYTES`: when a write takes it over, the entries used least recently go.
A cache directory that cannot be written only costs the speed-up.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

#: Environment variable naming aiwf's cache directory.
CACHE_ENV = "AIWF_CACHE_DIR"
#: The subdirectory of :func:`cache_dir` that holds formatted files.
FORMAT_DIR = "format"
#: Bytes the format cache keeps at most (pruned to three quarters when a write exceeds it).
MAX_BYTES = 64 * 1024 * 1024
_MAGIC = b"aiwf-format-1"


def cache_dir() -> Path:
    """aiwf's cache directory: ``$AIWF_CACHE_DIR``, else ``$XDG_CACHE_HOME/aiwf``, else
    ``~/.cache/aiwf``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aiwf"


def tool_identity(binary: str) -> str:
    """What identifies a formatter binary without running it: its resolved path, size and
    modification time (empty when it cannot be read: then nothing is cached)."""
    try:
        real = os.path.realpath(binary)
        st = os.stat(real)
    except OSError:
        return ""
    return f"{real}\0{st.st_size}\0{st.st_mtime_ns}"


class FormatCache:
    """Formatted files by a key of their unformatted text and everything else the output
    depends on (see the module docstring)."""

    def __init__(self, directory: Path, tool: str, paths: list[str], max_bytes: int = MAX_BYTES):
        self.directory = directory
        self.max_bytes = max_bytes
        group = "\n".join(sorted(paths))
        self._prefix = hashlib.sha256(f"{tool}\0{group}\0".encode()).digest()

    @classmethod
    def default(cls, tool: str, paths: list[str]) -> FormatCache | None:
        """The cache in :func:`cache_dir`, or None when ``tool`` cannot be identified."""
        if not tool:
            return None
        return cls(cache_dir() / FORMAT_DIR, tool, paths)

    def key(self, path: str, text: str) -> str:
        digest = hashlib.sha256(self._prefix)
        digest.update(path.encode("utf-8") + b"\0")
        digest.update(text.encode("utf-8"))
        return digest.hexdigest()

    def get(self, path: str, text: str) -> str | None:
        """The formatted form of ``text`` (at ``path``), or None when it is not cached (or
        its entry is unreadable or corrupt)."""
        entry = self.directory / self.key(path, text)
        try:
            data = entry.read_bytes()
        except OSError:
            return None
        header, newline, body = data.partition(b"\n")
        if not newline or header != _MAGIC + b" " + hashlib.sha256(body).hexdigest().encode():
            return None
        try:
            formatted = body.decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - the checksum matched what we wrote
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)  # used: the last to go when the cache is pruned
        return formatted

    def put(self, items: dict[tuple[str, str], str]) -> None:
        """Keep ``formatted`` for each ``(path, text)``; then prune when over the limit.
        Failures to write are ignored (the cache is only a speed-up)."""
        import tempfile

        written = False
        for (path, text), formatted in items.items():
            body = formatted.encode("utf-8")
            data = _MAGIC + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
            tmp = None
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, self.directory / self.key(path, text))
                written = True
            except OSError:
                if tmp is not None:
                    Path(tmp).unlink(missing_ok=True)
        if written:
            self.prune()

    def prune(self) -> None:
        """Remove the least recently used entries while the cache holds over ``max_bytes``,
        down to three quarters of it. Entries another process removes meanwhile are skipped."""
        entries: list[tuple[int, int, str]] = []
        total = 0
        try:
            with os.scandir(self.directory) as found:
                for item in found:
                    try:
                        st = item.stat()
                    except OSError:
                        continue
                    entries.append((st.st_mtime_ns, st.st_size, item.path))
                    total += st.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        for _mtime, size, path in sorted(entries):
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            if total <= self.max_bytes * 3 // 4:
                break
