"""Large payloads travel as references into the artifact store.

Temporal refuses a payload above 2 MB and a history above 50 MB. :class:`ArtifactCodec` is
the payload codec of aiwf's Temporal client and workers: a payload larger than the threshold
is written once into the artifact store, content-addressed
(``payloads/<sha256[:2]>/<sha256>``), and the history holds a small reference instead. The
workflow code never sees references (Temporal runs the codec outside the workflow sandbox),
and every read is checked against the digest, so a reference can only ever decode to the
payload it was made from. The client and every worker must therefore open the same store
(``--artifacts``, or the config's ``store``; a file store on a shared filesystem, or S3).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from aiwf._errors import AiwfError
from aiwf.stores import ArtifactNotFound, ArtifactStore

#: The ``encoding`` metadata of a reference payload.
REFERENCE_ENCODING = b"binary/aiwf-artifact-ref"
#: Decoded payloads kept in memory, in bytes (a replay or a continue-as-new reads them again).
CACHE_BYTES = 64 * 1024 * 1024


class ArtifactCodec(PayloadCodec):
    """Moves payloads above ``threshold`` bytes into ``store`` (kept ``ttl`` seconds)."""

    def __init__(self, store: ArtifactStore, *, threshold: int, ttl: float | None) -> None:
        self.store = store
        self.threshold = threshold
        self.ttl = ttl
        self._written: set[str] = set()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached = 0
        #: Payloads moved to the store and read back (for tests and benchmarks).
        self.stored = 0
        self.loaded = 0

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out: list[Payload] = []
        for payload in payloads:
            if payload.ByteSize() <= self.threshold:
                out.append(payload)
                continue
            data = payload.SerializeToString(deterministic=True)
            digest = hashlib.sha256(data).hexdigest()
            key = f"payloads/{digest[:2]}/{digest}"
            if digest not in self._written:
                await asyncio.to_thread(self._put, key, data)
                self._written.add(digest)
                self.stored += 1
            self._remember(digest, data)
            reference = {"key": key, "sha256": digest, "size": len(data), "store": self.store.url}
            out.append(
                Payload(
                    metadata={"encoding": REFERENCE_ENCODING},
                    data=json.dumps(reference, sort_keys=True).encode(),
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out: list[Payload] = []
        for payload in payloads:
            if payload.metadata.get("encoding") != REFERENCE_ENCODING:
                out.append(payload)
                continue
            reference = json.loads(payload.data)
            digest = str(reference["sha256"])
            data = self._cache.get(digest)
            if data is None:
                data = await asyncio.to_thread(self._get, reference)
                self._remember(digest, data)
                self.loaded += 1
            else:
                self._cache.move_to_end(digest)
            out.append(Payload.FromString(data))
        return out

    def _put(self, key: str, data: bytes) -> None:
        # Written again by each process that sends it, which renews its TTL.
        self.store.put(key, data, ttl=self.ttl, content_type="application/x-protobuf")

    def _get(self, reference: dict[str, object]) -> bytes:
        key, digest = str(reference["key"]), str(reference["sha256"])
        try:
            data, _ = self.store.get(key)
        except ArtifactNotFound:
            raise AiwfError(
                f"payload {key} is not in the artifact store {self.store.url} "
                f"(it was written to {reference.get('store')})",
                code="E521",
                hint="the client and every worker must open the same artifact store "
                "(--artifacts, or store in the project config)",
            ) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise AiwfError(f"payload {key} does not match its digest", code="E521")
        return data

    def _remember(self, digest: str, data: bytes) -> None:
        if len(data) > CACHE_BYTES // 4 or digest in self._cache:
            return
        self._cache[digest] = data
        self._cached += len(data)
        while self._cached > CACHE_BYTES:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old)
