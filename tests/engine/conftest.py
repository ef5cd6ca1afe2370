"""Fixtures for the engine tests (helpers live in engine_support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from engine_support import ModelServer

from aiwf.stores import open_store


@pytest.fixture
def model_server() -> Iterator[Callable[[Callable[[str, Any], Any]], ModelServer]]:
    """Start OpenAI-compatible servers on 127.0.0.1; all are closed after the test."""
    started: list[ModelServer] = []

    def start(answer: Callable[[str, Any], Any]) -> ModelServer:
        server = ModelServer(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "AIWF_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3_store(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An S3 store on moto in-process (fake credentials, no endpoint)."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="aiwf-journal")
        store = open_store("s3://aiwf-journal/p")
        yield store
        store.close()
