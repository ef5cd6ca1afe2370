"""The runtime's environment reads (aiwf.runtime._env.getenv) are os.environ.get's."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwf.runtime._env import getenv

NAME = "AIWF_TEST_ENV_READ"


def test_set_changed_and_unset_values_are_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert getenv(NAME) is None
    monkeypatch.setenv(NAME, "one")
    assert getenv(NAME) == "one"
    os.environ[NAME] = "two"
    assert getenv(NAME) == "two"
    del os.environ[NAME]
    assert getenv(NAME) is None
    with mock.patch.dict(os.environ, {NAME: "three"}):
        assert getenv(NAME) == "three"
    assert getenv(NAME) is None
    os.environ[NAME] = ""
    assert getenv(NAME) == ""  # set but empty is not unset
    del os.environ[NAME]


def test_a_replaced_os_environ_is_read_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", {NAME: "replaced"})
    assert getenv(NAME) == "replaced"
    assert getenv(NAME + "_NOT_SET") is None


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_any_value_reads_back_as_os_environ_has_it(value: str) -> None:
    os.environ[NAME] = value
    try:
        assert getenv(NAME) == os.environ.get(NAME)
    finally:
        del os.environ[NAME]
    assert getenv(NAME) is None
