"""Helpers shared by the artifact store tests (imported by conftest and the test modules)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


class FakeClock:
    """A clock for TTL tests: stands still until advanced."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """A store under test plus what a test needs to reach behind its back."""

    name: str
    store: Any  # FileStore | S3Store; Any keeps the tests free of casts
    clock: FakeClock
    reopen: Callable[..., Any]  # the same store with other options

    def corrupt(self, key: str) -> None:
        """Change the stored payload of ``key`` without telling the store."""
        if self.name == "file":
            path = self.store._path(key)
            raw = bytearray(path.read_bytes())
            raw[-1] ^= 0xFF
            path.write_bytes(bytes(raw))
        else:
            client, bucket, object_key = (
                self.store.client,
                self.store.bucket,
                self.store._object_key(key),
            )
            head = client.head_object(Bucket=bucket, Key=object_key)
            body = client.get_object(Bucket=bucket, Key=object_key)["Body"].read()
            client.put_object(
                Bucket=bucket,
                Key=object_key,
                Body=body[:-1] + bytes([body[-1] ^ 0xFF]),
                Metadata=head["Metadata"],
                ContentType=head["ContentType"],
            )

    def physically_present(self, key: str) -> bool:
        """Whether anything is stored under ``key``, expired or not."""
        if self.name == "file":
            return bool(self.store._path(key).exists())
        try:
            self.store.client.head_object(Bucket=self.store.bucket, Key=self.store._object_key(key))
        except self.store.client.exceptions.ClientError:
            return False
        return True


class FakeRaw(io.BytesIO):
    """The raw body botocore reads from a response a test made up."""

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.getvalue()


def s3_error_response(url: str, status: int, code: str) -> Any:
    """An S3 error response, as an ``AWSResponse`` a ``before-send`` hook can return."""
    from botocore.awsrequest import AWSResponse

    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>injected by the test</Message></Error>"
    ).encode()
    return AWSResponse(url, status, {"Content-Type": "application/xml"}, FakeRaw(body))
