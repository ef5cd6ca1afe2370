"""The key rules, shared by every store, checked with hypothesis."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwf.stores import MAX_KEY_BYTES, FileStore, InvalidKey, validate_key, validate_prefix

segments = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\"),
    min_size=1,
    max_size=24,
).filter(
    lambda s: (
        s not in (".", "..")
        and not s.lower().startswith(".aiwf-")
        and not s.lower().endswith(".aiwf")
        and len(s.encode()) <= 200
    )
)
keys = st.lists(segments, min_size=1, max_size=6).map("/".join)

#: A segment that is wrong wherever it appears.
BAD_SEGMENTS = ["", ".", "..", "a\\b", "nul\x00", "new\nline", "esc\x1b", ".aiwf-tmp-1", "x.aiwf"]


@given(st.text(max_size=700))
def test_any_text_is_accepted_only_when_it_follows_the_rules(text: str) -> None:
    refused: InvalidKey | None = None
    try:
        accepted = validate_key(text)
    except InvalidKey as exc:
        refused = exc
    if refused is not None:
        assert refused.code == "A001"
        assert refused.hint
        return
    assert accepted == text
    assert not text.startswith("/")
    assert "\\" not in text
    assert len(text.encode("utf-8")) <= MAX_KEY_BYTES
    assert all(unicodedata.category(c) != "Cc" for c in text)
    for segment in text.split("/"):
        assert segment not in ("", ".", "..")


@given(keys)
def test_well_formed_keys_are_accepted(key: str) -> None:
    assert validate_key(key) == key
    assert validate_prefix(key) == key
    assert validate_prefix(key + "/") == key + "/"


@given(keys, st.sampled_from(BAD_SEGMENTS), st.integers(min_value=0, max_value=6))
def test_one_bad_segment_anywhere_is_refused(key: str, bad: str, position: int) -> None:
    parts = key.split("/")
    parts.insert(min(position, len(parts)), bad)
    with pytest.raises(InvalidKey):
        validate_key("/".join(parts))


@given(keys)
def test_absolute_and_oversized_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidKey, match="starts with '/'"):
        validate_key("/" + key)
    with pytest.raises(InvalidKey, match="bytes"):
        validate_key(
            "/".join([key] * (MAX_KEY_BYTES // max(1, len(key.encode())) + 1) + ["x" * 200])
        )


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=keys, data=st.binary(max_size=64))
def test_any_valid_key_round_trips_through_the_file_store(
    tmp_path_factory: pytest.TempPathFactory, key: str, data: bytes
) -> None:
    root = tmp_path_factory.mktemp("keys")
    store = FileStore(root, fsync=False)
    store.put(key, data)
    assert store.get(key).data == data
    assert [i.key for i in store.list()] == [key]
    # Nothing escaped the store's directory.
    assert all(root in p.parents for p in root.rglob("*"))


def test_s3_without_boto3_is_a_clear_error() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['boto3'] = None\n"
        "from aiwf.stores import open_store\n"
        "from aiwf._errors import AiwfError\n"
        "try:\n"
        "    open_store('s3://bucket/prefix')\n"
        "except AiwfError as exc:\n"
        "    print(exc.render())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs the 'boto3' package" in out.stdout
    assert "pip install 'aiwf[s3]'" in out.stdout
