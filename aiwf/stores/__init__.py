"""Artifact stores: where step outputs, checkpoints and large inputs are kept.

Open one from a URL and use the :class:`ArtifactStore` protocol::

    from aiwf.stores import open_store

    store = open_store("file://./.aiwf/artifacts")      # or "s3://bucket/prefix"
    store.put_json("runs/42/output.json", {"ok": True}, ttl=7 * 86400)
    data, info = store.get("runs/42/output.json")

Each store is one module (``file.py``, ``s3.py``) registered by one line in :data:`STORES`
and imported only when a URL needs it, so ``import aiwf.stores`` never imports boto3.
See docs/artifacts.md for URLs, layouts, TTLs, checksums, guarantees and error codes.
"""

from __future__ import annotations

import importlib
import os
import re
from typing import TYPE_CHECKING, Any

from aiwf.stores._base import (
    MAX_KEY_BYTES,
    Artifact,
    ArtifactCorrupt,
    ArtifactInfo,
    ArtifactNotFound,
    ArtifactStore,
    Clock,
    InvalidArtifact,
    InvalidKey,
    Journal,
    Page,
    StoreError,
    UnknownStore,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from aiwf.stores._file import FileStore
    from aiwf.stores._s3 import S3Store

#: URL scheme -> "module:class" of its store. One line per store.
STORES: dict[str, str] = {
    "file": "aiwf.stores._file:FileStore",
    "s3": "aiwf.stores._s3:S3Store",
}

#: The store used when neither ``--store`` nor the project config names one.
DEFAULT_STORE_URL = "file://.aiwf/artifacts"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def open_store(
    url: str, *, base: str | os.PathLike[str] | None = None, **options: Any
) -> ArtifactStore:
    """Open the artifact store a URL names.

    Args:
        url: ``file://PATH`` (relative to ``base``, or absolute as ``file:///abs/path``),
            a plain filesystem path, or ``s3://BUCKET[/PREFIX]``.
        base: the directory relative file paths resolve against (default: the working
            directory); the CLI passes the project root.
        **options: keyword arguments of the store class (``clock=`` for all stores;
            ``base=`` and ``fsync=`` for files; ``endpoint_url=``, ``multipart_threshold=``,
            ... for S3).

    Raises:
        UnknownStore: the scheme has no store, or the URL is malformed.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnknownStore(str(url), "the URL is empty", hint=_known_schemes())
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else "file"
    target = STORES.get(scheme)
    if target is None:
        raise UnknownStore(url, f"unknown scheme {scheme!r}", hint=_known_schemes())
    store: ArtifactStore = _store_class(target).from_url(url, base=base, **options)
    return store


def _store_class(target: str) -> Any:
    module_name, attr = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:  # an optional dependency of the store (boto3 for S3)
        raise StoreError(
            f"this store needs the {exc.name!r} package, which is not installed",
            hint="install the extra: pip install 'aiwf[s3]'"
            if exc.name in ("boto3", "botocore")
            else None,
        ) from None
    return getattr(module, attr)


def _known_schemes() -> str:
    schemes = ", ".join(f"{scheme}://" for scheme in STORES)
    return f"use one of {schemes} (e.g. file://./.aiwf/artifacts or s3://bucket/prefix)"


def __getattr__(name: str) -> Any:
    # Store classes are importable from here without importing their dependencies early.
    if name == "FileStore":
        return _store_class(STORES["file"])
    if name == "S3Store":
        return _store_class(STORES["s3"])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_STORE_URL",
    "MAX_KEY_BYTES",
    "STORES",
    "Artifact",
    "ArtifactCorrupt",
    "ArtifactInfo",
    "ArtifactNotFound",
    "ArtifactStore",
    "Clock",
    "FileStore",
    "InvalidArtifact",
    "InvalidKey",
    "Journal",
    "Page",
    "S3Store",
    "StoreError",
    "UnknownStore",
    "open_store",
    "validate_key",
    "validate_prefix",
]
