"""S3-only behaviour: multipart uploads, botocore retries on throttling, failed parts, object
layout, and URL handling. Faults are injected with botocore ``before-send`` hooks, so the
requests go through botocore's real retry machinery (in-process and over HTTP)."""

from __future__ import annotations

import datetime
import hashlib
import os
import subprocess
import sys
from typing import Any

import pytest
from store_support import Backend, s3_error_response

from aiwf.stores import ArtifactNotFound, StoreError, UnknownStore, open_store

MiB = 1024 * 1024


class Injector:
    """A ``before-send`` hook answering matching requests with an S3 error ``times`` times."""

    def __init__(self, status: int, code: str, *, times: int, match: str = "") -> None:
        self.status, self.code, self.times, self.match = status, code, times, match
        self.seen = 0
        self.injected = 0

    def __call__(self, request: Any, **_kwargs: Any) -> Any:
        if self.match not in request.url:
            return None
        self.seen += 1
        if self.injected >= self.times:
            return None  # let it through to moto
        self.injected += 1
        return s3_error_response(request.url, self.status, self.code)


def inject(store: Any, operation: str, injector: Injector) -> Injector:
    store.client.meta.events.register_first(
        f"before-send.s3.{operation}", injector, unique_id=f"test-{operation}"
    )
    return injector


def test_throttled_put_survives_through_botocore_retries(s3_backend: Backend) -> None:
    store = s3_backend.store
    slowdown = inject(store, "PutObject", Injector(503, "SlowDown", times=2))
    store.put("throttled", b"made it")
    assert slowdown.injected == 2
    assert slowdown.seen == 3  # two refused attempts, then the one that landed
    assert store.get("throttled").data == b"made it"


def test_throttled_head_survives_through_botocore_retries(s3_backend: Backend) -> None:
    store = s3_backend.store
    store.put("k", b"v")
    throttle = inject(store, "HeadObject", Injector(400, "ThrottlingException", times=2))
    assert store.head("k").size == 1
    assert throttle.seen == 3


def test_throttling_beyond_the_retry_budget_is_a_clear_error(s3_backend: Backend) -> None:
    store = s3_backend.reopen(max_attempts=2)
    slowdown = inject(store, "PutObject", Injector(503, "SlowDown", times=10**6))
    with pytest.raises(StoreError) as failed:
        store.put("k", b"v")
    assert slowdown.seen == 2
    assert failed.value.code == "A004"
    assert "SlowDown" in failed.value.message
    assert failed.value.hint is not None
    assert "throttling" in failed.value.hint
    if s3_backend.name == "s3-server":
        # Over HTTP the refused requests never reached the server. (moto in-process runs
        # every before-send handler, so there the request is executed and then discarded.)
        slowdown.times = 0
        assert not store.exists("k")
    store.close()


def test_large_artifacts_use_multipart_upload(s3_backend: Backend) -> None:
    store = s3_backend.reopen(multipart_threshold=5 * MiB, part_size=5 * MiB)
    data = os.urandom(11 * MiB)
    store.put("big", data, content_type="application/x-big", metadata={"a": "b"})
    head = store.client.head_object(
        Bucket=store.bucket, Key=store._object_key("big"), ChecksumMode="ENABLED"
    )
    assert head["ETag"].strip('"').endswith("-3")  # 5 + 5 + 1 MiB
    assert head["ContentType"] == "application/x-big"
    got = store.get("big")
    assert got.data == data
    assert got.info.sha256 == hashlib.sha256(data).hexdigest()
    assert got.info.metadata == {"a": "b"}
    store.close()


@pytest.mark.parametrize("existing", [None, b"the old artifact"])
def test_failed_multipart_part_is_aborted_and_invisible(
    s3_backend: Backend, existing: bytes | None
) -> None:
    store = s3_backend.reopen(multipart_threshold=5 * MiB, part_size=5 * MiB)
    if existing is not None:
        store.put("target", existing)
    bad_part = inject(
        store, "UploadPart", Injector(400, "BadDigest", times=1, match="partNumber=2")
    )
    with pytest.raises(StoreError) as failed:
        store.put("target", os.urandom(11 * MiB))
    assert bad_part.injected == 1
    assert failed.value.code == "A004"
    assert "BadDigest" in failed.value.message
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
    assert uploads.get("Uploads", []) == []  # aborted, no parts left behind
    if existing is None:
        assert not store.exists("target")
        assert list(store.list()) == []
    else:
        assert store.get("target").data == existing
    store.close()


def test_object_layout_and_metadata(s3_backend: Backend) -> None:
    store = s3_backend.store
    info = store.put("runs/1/out.json", b"{}", content_type="application/json", ttl=3 * 86400)
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["some/prefix/runs/1/out.json"]
    head = store.client.head_object(
        Bucket=store.bucket, Key="some/prefix/runs/1/out.json", ChecksumMode="ENABLED"
    )
    assert head["ContentType"] == "application/json"
    assert head["Metadata"]["aiwf-sha256"] == info.sha256
    assert float(head["Metadata"]["aiwf-expires"]) == info.expires
    assert head.get("ChecksumSHA256")  # S3 verified the upload's SHA-256 too
    tags = store.client.get_object_tagging(Bucket=store.bucket, Key="some/prefix/runs/1/out.json")
    assert tags["TagSet"] == [{"Key": "aiwf-ttl-days", "Value": "3"}]
    # The tag rounds the ttl up to whole days (a lifecycle rule expires by day).
    for ttl, days in ((86400, "1"), (86401, "2"), (60, "1")):
        store.put(f"runs/1/{ttl}.json", b"{}", ttl=ttl)
        key = f"some/prefix/runs/1/{ttl}.json"
        tags = store.client.get_object_tagging(Bucket=store.bucket, Key=key)
        assert tags["TagSet"] == [{"Key": "aiwf-ttl-days", "Value": days}], ttl


def test_foreign_objects_are_ignored_by_listing(s3_backend: Backend) -> None:
    store = s3_backend.store
    store.put("mine", b"1")
    store.client.put_object(Bucket=store.bucket, Key="some/prefix/theirs", Body=b"2")
    store.client.put_object(Bucket=store.bucket, Key="some/prefix/a//b", Body=b"3")
    assert [i.key for i in store.list()] == ["mine"]
    assert store.sweep() == 0


def test_sweep_aborts_stale_multipart_uploads(s3_backend: Backend) -> None:
    store = s3_backend.reopen(upload_grace=0)
    started = store.client.create_multipart_upload(Bucket=store.bucket, Key="some/prefix/left")
    elsewhere = store.client.create_multipart_upload(Bucket=store.bucket, Key="other/left")
    assert store.sweep() == 0
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [elsewhere["UploadId"]]
    assert started["UploadId"] != elsewhere["UploadId"]
    store.close()


def test_sweep_keeps_an_artifact_rewritten_after_it_was_read(s3_backend: Backend) -> None:
    store = s3_backend.store
    store.put("k", b"old", ttl=1)
    s3_backend.clock.advance(5)
    # Simulate a writer landing between sweep's HEAD and its DELETE: the ETag no longer
    # matches, so the conditional delete leaves the fresh artifact alone.
    _info, etag = store._head_raw("k")
    store.put("k", b"fresh")
    assert store._delete_if_unchanged("k", etag) == 0
    assert store.get("k").data == b"fresh"


def test_missing_bucket_is_a_clear_error(s3_backend: Backend) -> None:
    store = open_store("s3://aiwf-no-such-bucket/x", max_attempts=1)
    with pytest.raises(StoreError) as failed:
        store.put("k", b"v")
    assert "NoSuchBucket" in failed.value.message
    assert failed.value.hint is not None
    assert "aiwf-no-such-bucket" in failed.value.hint
    with pytest.raises(StoreError):
        list(store.list())
    store.close()


def test_url_forms(fake_aws_env: None) -> None:
    store: Any = open_store("s3://bucket-name/a/b/", region_name="us-east-1")
    assert (store.bucket, store.prefix, store.url) == ("bucket-name", "a/b", "s3://bucket-name/a/b")
    root: Any = open_store("s3://bucket-name", region_name="us-east-1")
    assert (root.prefix, root.url) == ("", "s3://bucket-name")
    for bad in ["s3://", "s3:///prefix", "s3://b/../x", "s3://b/p?endpoint=x"]:
        with pytest.raises(UnknownStore) as refused:
            open_store(bad)
        assert refused.value.code == "A005"
    with pytest.raises(UnknownStore, match="part_size"):
        open_store("s3://bucket-name", part_size=1024)


def test_endpoint_url_option_and_environment(
    moto_endpoint: str, s3_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # s3_server set AWS_ENDPOINT_URL; an explicit option works without it.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    store: Any = open_store(f"s3://{s3_server}", endpoint_url=moto_endpoint)
    assert store.client.meta.endpoint_url == moto_endpoint
    store.put("k", b"over http")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    again: Any = open_store(f"s3://{s3_server}")
    assert again.client.meta.endpoint_url == moto_endpoint
    assert again.get("k").data == b"over http"
    store.close()
    again.close()


def test_importing_stores_does_not_import_boto3(tmp_path: Any) -> None:
    code = (
        "import sys, aiwf.stores\n"
        f"store = aiwf.stores.open_store({str(tmp_path)!r})\n"
        "store.put('k', b'v')\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'boto3 imported'\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_expired_get_does_not_download(s3_backend: Backend) -> None:
    store = s3_backend.store
    store.put("k", b"x" * 1000, ttl=10)
    s3_backend.clock.advance(11)
    with pytest.raises(ArtifactNotFound) as expired:
        store.get("k")
    assert expired.value.expired_at is not None
    assert datetime.datetime.fromtimestamp(expired.value.expired_at, tz=datetime.timezone.utc)
