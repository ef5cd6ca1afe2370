"""The S3 store: artifacts as objects under ``s3://BUCKET/PREFIX`` (AWS, MinIO, LocalStack).

An artifact ``KEY`` is the object ``PREFIX/KEY``. Its content type is the object's
``Content-Type``; aiwf's own facts ride in user metadata (``x-amz-meta-aiwf-sha256``,
``-aiwf-created``, ``-aiwf-expires``, ``-aiwf-meta`` holding the user metadata as ASCII JSON),
so a PUT writes data and metadata in one atomic request. S3 also checks a SHA-256 on upload
(``ChecksumSHA256``), and every read recomputes the SHA-256 against the metadata.

This module imports boto3; :func:`aiwf.stores.open_store` imports it only for ``s3://`` URLs.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import math
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, FlexibleChecksumError

from aiwf._errors import AiwfError
from aiwf.stores._base import (
    OCTET_STREAM,
    ArtifactCorrupt,
    ArtifactInfo,
    ArtifactNotFound,
    ArtifactStore,
    Clock,
    InvalidKey,
    Page,
    StoreError,
    UnknownStore,
    decode_metadata,
    encode_metadata,
    validate_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

MiB = 1024 * 1024
#: S3 refuses parts below 5 MiB (except the last one).
MIN_PART_SIZE = 5 * MiB

META_SHA256 = "aiwf-sha256"
META_CREATED = "aiwf-created"
META_EXPIRES = "aiwf-expires"
META_USER = "aiwf-meta"
#: Object tag carrying the TTL in whole days (rounded up), for bucket lifecycle rules.
TTL_TAG = "aiwf-ttl-days"

_THROTTLING = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottledException",
}
_MISSING = {"NoSuchKey", "404", "NotFound"}
_CREDENTIALS = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
}


class S3Store(ArtifactStore):
    """Artifacts as objects in an S3 bucket, under an optional key prefix.

    Args:
        bucket: the bucket name.
        prefix: key prefix inside the bucket (``runs`` keeps artifacts under ``runs/``).
        client: a ready boto3 S3 client (the other connection options are then ignored).
        endpoint_url: S3 endpoint for MinIO / LocalStack (default: ``$AWS_ENDPOINT_URL_S3``,
            else ``$AWS_ENDPOINT_URL``, else AWS).
        region_name: AWS region (default: boto3's configuration chain).
        addressing_style: ``"path"``, ``"virtual"`` or ``"auto"``; default ``"path"`` when an
            endpoint URL is set (what MinIO expects), else ``"auto"``.
        retry_mode: botocore retry mode, ``"standard"`` or ``"adaptive"`` (client-side rate
            limiting on throttling).
        max_attempts: attempts per request, first one included, for botocore's retries.
        multipart_threshold: artifacts of this many bytes or more are uploaded in parts.
        part_size: bytes per part (at least 5 MiB).
        clock: epoch-seconds clock for ``created`` and expiry (default ``time.time``).
        list_workers: concurrent HEAD requests when listing and sweeping (listing has to read
            each object's metadata to skip expired artifacts).
        upload_grace: seconds after which :meth:`sweep` aborts an unfinished multipart
            upload under the prefix (left by a crashed writer).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: S3Client | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        addressing_style: Literal["auto", "virtual", "path"] | None = None,
        retry_mode: Literal["standard", "adaptive", "legacy"] = "standard",
        max_attempts: int = 5,
        multipart_threshold: int = 16 * MiB,
        part_size: int = 8 * MiB,
        clock: Clock | None = None,
        list_workers: int = 8,
        upload_grace: float = 86400.0,
    ) -> None:
        super().__init__(clock=clock)
        if not bucket:
            raise UnknownStore(f"s3://{bucket}/{prefix}", "no bucket name")
        prefix = prefix.strip("/")
        if prefix:
            try:
                validate_key(prefix)
            except InvalidKey as exc:
                raise UnknownStore(f"s3://{bucket}/{prefix}", f"bad prefix: {exc.reason}") from None
        if part_size < MIN_PART_SIZE:
            raise UnknownStore(
                f"s3://{bucket}/{prefix}",
                f"part_size {part_size} is below S3's minimum of {MIN_PART_SIZE} bytes",
            )
        self.bucket = bucket
        self.prefix = prefix
        self._root = prefix + "/" if prefix else ""
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.multipart_threshold = max(1, multipart_threshold)
        self.part_size = part_size
        self.list_workers = max(1, list_workers)
        self.upload_grace = upload_grace
        if client is None:
            endpoint_url = (
                endpoint_url
                or os.environ.get("AWS_ENDPOINT_URL_S3")
                or os.environ.get("AWS_ENDPOINT_URL")
                or None
            )
            config = Config(
                retries={"mode": retry_mode, "total_max_attempts": max_attempts},
                s3={"addressing_style": addressing_style or ("path" if endpoint_url else "auto")},
            )
            with self._errors("cannot create the S3 client"):
                client = boto3.client(
                    "s3", endpoint_url=endpoint_url, region_name=region_name, config=config
                )
        self.client: S3Client = client

    @classmethod
    def from_url(cls, url: str, *, base: object = None, **options: Any) -> S3Store:
        """A store for ``s3://BUCKET`` or ``s3://BUCKET/PREFIX`` (``base``, the directory
        relative file paths resolve against, means nothing here)."""
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise UnknownStore(
                url,
                "S3 store URLs take no query or fragment",
                hint="pass connection settings as options or AWS_* environment variables",
            )
        if not parts.netloc:
            raise UnknownStore(url, "no bucket name", hint="use s3://BUCKET/PREFIX")
        return cls(parts.netloc, parts.path, **options)

    # Writing.

    def _write(self, info: ArtifactInfo, data: bytes) -> None:
        meta = {
            META_SHA256: info.sha256,
            META_CREATED: repr(info.created),
            META_USER: encode_metadata(info.metadata),
        }
        if info.expires is not None:
            meta[META_EXPIRES] = repr(info.expires)
        extra: dict[str, Any] = {"ContentType": info.content_type, "Metadata": meta}
        if info.expires is not None:
            ttl = round(info.expires - info.created, 3)  # the put's ttl, without float noise
            days = math.ceil(ttl / 86400)
            extra["Tagging"] = f"{TTL_TAG}={max(1, days)}"
        body = data
        with self._errors(f"cannot write artifact {info.key!r}"):
            if len(body) >= self.multipart_threshold:
                self._put_multipart(self._object_key(info.key), body, extra)
            else:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=self._object_key(info.key),
                    Body=body,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=_b64(hashlib.sha256(body).digest()),
                    **extra,
                )

    def _put_multipart(self, object_key: str, body: bytes, extra: dict[str, Any]) -> None:
        upload = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=object_key, ChecksumAlgorithm="SHA256", **extra
        )
        upload_id = upload["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            view = memoryview(body)
            for number, start in enumerate(range(0, len(body), self.part_size), start=1):
                chunk = bytes(view[start : start + self.part_size])
                checksum = _b64(hashlib.sha256(chunk).digest())
                response = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=object_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=chunk,
                    ChecksumSHA256=checksum,
                )
                parts.append(
                    {"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": checksum}
                )
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=object_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            # Never leave parts behind: they cost storage and are invisible to listings.
            with contextlib.suppress(ClientError, BotoCoreError):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=object_key, UploadId=upload_id
                )
            raise

    # Reading.

    def _read(self, key: str) -> tuple[ArtifactInfo, bytes]:
        with self._errors(f"cannot read artifact {key!r}", key=key):
            response = self.client.get_object(
                Bucket=self.bucket, Key=self._object_key(key), ChecksumMode="ENABLED"
            )
        body = response["Body"]
        try:
            info = self._ensure_live(
                self._info(
                    key,
                    response["ContentLength"],
                    response.get("ContentType"),
                    response.get("Metadata", {}),
                )
            )
            try:
                with self._errors(f"cannot read artifact {key!r}", key=key):
                    data = body.read()
            except FlexibleChecksumError as exc:
                raise self._corrupt(key, f"S3 checksum mismatch ({exc})") from None
        finally:
            body.close()
        return info, data

    def _head(self, key: str) -> ArtifactInfo:
        return self._head_raw(key)[0]

    def _head_raw(self, key: str) -> tuple[ArtifactInfo, str]:
        """The artifact's info (expired or not) and its object's ETag."""
        with self._errors(f"cannot read artifact {key!r}", key=key):
            response = self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        info = self._info(
            key, response["ContentLength"], response.get("ContentType"), response["Metadata"]
        )
        return info, response["ETag"]

    def _head_many(self, keys: Sequence[str]) -> list[tuple[ArtifactInfo, str] | None]:
        """:meth:`_head_raw` for many keys at once; ``None`` for vanished or foreign objects."""

        def one(key: str) -> tuple[ArtifactInfo, str] | None:
            try:
                validate_key(key)
                return self._head_raw(key)
            except (ArtifactNotFound, ArtifactCorrupt, InvalidKey):
                return None

        if len(keys) <= 1:
            return [one(key) for key in keys]
        with ThreadPoolExecutor(max_workers=min(self.list_workers, len(keys))) as pool:
            return list(pool.map(one, keys))

    def _info(
        self, key: str, size: int, content_type: str | None, meta: Mapping[str, str]
    ) -> ArtifactInfo:
        if META_SHA256 not in meta:
            raise self._corrupt(key, "the object has no aiwf-sha256 metadata (not written by aiwf)")
        try:
            expires = meta.get(META_EXPIRES)
            return ArtifactInfo(
                key=key,
                size=size,
                content_type=content_type or OCTET_STREAM,
                created=float(meta[META_CREATED]),
                expires=None if expires is None else float(expires),
                sha256=meta[META_SHA256],
                metadata=decode_metadata(meta.get(META_USER, "{}")),
            )
        except (KeyError, ValueError) as exc:
            raise self._corrupt(key, f"unreadable aiwf metadata ({exc})") from None

    # Removing.

    def _delete(self, key: str, *, missing_ok: bool) -> None:
        if not missing_ok:
            with self._errors(f"cannot delete artifact {key!r}", key=key):
                self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        with self._errors(f"cannot delete artifact {key!r}", key=key):
            self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def sweep(self) -> int:
        now = self.clock()
        removed = 0
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors("cannot sweep the artifact store"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._root):
                keys = [self._artifact_key(obj["Key"]) for obj in page.get("Contents", [])]
                for found in self._head_many(keys):
                    if found is not None and found[0].is_expired(now):
                        removed += self._delete_if_unchanged(found[0].key, found[1])
            self._abort_stale_uploads()
        return removed

    def _delete_if_unchanged(self, key: str, etag: str) -> int:
        """Delete ``key`` only if it is still the object with ``etag``: a writer may have put a
        fresh artifact since we read the expired one."""
        object_key = self._object_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=object_key, IfMatch=etag)
        except ClientError as exc:
            code = _code(exc)
            if code in ("PreconditionFailed", "412", *_MISSING):
                return 0
            if code != "NotImplemented":
                raise
            self.client.delete_object(Bucket=self.bucket, Key=object_key)
        return 1

    def _abort_stale_uploads(self) -> None:
        cutoff = datetime.datetime.fromtimestamp(
            time.time() - self.upload_grace, tz=datetime.timezone.utc
        )
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._root):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] <= cutoff:
                    with contextlib.suppress(ClientError):
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )

    # Listing.

    def _list_page(self, prefix: str, limit: int, token: str | None) -> Page:
        now = self.clock()
        items: list[ArtifactInfo] = []
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": self._root + prefix,
            "PaginationConfig": {"PageSize": min(limit, 1000)},
        }
        if token is not None:
            kwargs["StartAfter"] = self._root + token
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors("cannot list artifacts"):
            for page in paginator.paginate(**kwargs):
                keys = [self._artifact_key(obj["Key"]) for obj in page.get("Contents", [])]
                for index, found in enumerate(self._head_many(keys)):
                    if found is None or found[0].is_expired(now):
                        continue
                    items.append(found[0])
                    if len(items) == limit:
                        more = index + 1 < len(keys) or page.get("IsTruncated", False)
                        return Page(items, keys[index] if more else None)
        return Page(items, None)

    # Helpers.

    def _object_key(self, key: str) -> str:
        return self._root + key

    def _artifact_key(self, object_key: str) -> str:
        return object_key[len(self._root) :]

    def close(self) -> None:
        self.client.close()

    @contextlib.contextmanager
    def _errors(self, what: str, *, key: str | None = None) -> Iterator[None]:
        """Turn botocore's exceptions into aiwf's errors."""
        try:
            yield
        except AiwfError:
            raise
        except ClientError as exc:
            code = _code(exc)
            if key is not None and code in _MISSING:
                raise self._not_found(key) from None
            message = exc.response.get("Error", {}).get("Message") or str(exc)
            hint = None
            if code in _THROTTLING:
                hint = (
                    "S3 kept throttling after all retries; try again later, or raise "
                    "max_attempts / use retry_mode='adaptive'"
                )
            elif code in _CREDENTIALS:
                hint = "check the AWS credentials and that they may use this bucket"
            elif code == "NoSuchBucket":
                hint = f"create bucket {self.bucket!r} or fix the store URL"
            raise StoreError(f"{what} in {self.url}: {code}: {message}", hint=hint) from None
        except FlexibleChecksumError:
            raise
        except BotoCoreError as exc:
            hint = (
                "check AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), the region, "
                "and for MinIO or LocalStack the endpoint (AWS_ENDPOINT_URL)"
            )
            raise StoreError(f"{what} in {self.url}: {exc}", hint=hint) from None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")
