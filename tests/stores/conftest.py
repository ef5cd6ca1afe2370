"""Fixtures for the artifact store tests: a controllable clock, and the same store contract
run against the file store, S3 through moto in-process, and S3 through a moto server on
127.0.0.1 reached over real HTTP with ``AWS_ENDPOINT_URL`` (as a MinIO user would)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_support import Backend, FakeClock

from aiwf.stores import ArtifactStore, open_store

BACKENDS = ["file", "s3-mock", "s3-server"]
S3_BACKENDS = ["s3-mock", "s3-server"]

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def fake_aws_env() -> Iterator[None]:
    """Fake credentials, so nothing could ever reach real AWS with real ones."""
    saved = {name: os.environ.get(name) for name in [*_FAKE_AWS, "AWS_ENDPOINT_URL"]}
    os.environ.update(_FAKE_AWS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def moto_endpoint(fake_aws_env: None) -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 on a free port, for the whole session."""
    from moto.server import ThreadedMotoServer

    # One log record per request slows the server down and says nothing a failure needs.
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    werkzeug_log.setLevel(level)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def s3_mock(fake_aws_env: None) -> Iterator[str]:
    """moto in-process; yields a fresh bucket name."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        bucket = "aiwf-test"
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
        yield bucket


@pytest.fixture
def s3_server(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server, reached through AWS_ENDPOINT_URL; yields a fresh bucket name."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    bucket = f"aiwf-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    client.close()
    return bucket


def make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    clock = FakeClock()
    if name == "file":
        url = (tmp_path / "store").as_uri()
    else:
        bucket = request.getfixturevalue("s3_mock" if name == "s3-mock" else "s3_server")
        url = f"s3://{bucket}/some/prefix"

    def reopen(**options: Any) -> Any:
        options.setdefault("clock", clock)
        return open_store(url, **options)

    return Backend(name, reopen(), clock, reopen)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = make_backend(request.param, request, tmp_path)
    yield made
    made.store.close()


@pytest.fixture(params=S3_BACKENDS)
def s3_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = make_backend(request.param, request, tmp_path)
    yield made
    made.store.close()


@pytest.fixture
def store(backend: Backend) -> ArtifactStore:
    return backend.store  # type: ignore[no-any-return]
