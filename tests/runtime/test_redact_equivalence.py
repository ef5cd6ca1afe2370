"""redact() precomputes what it can; its answers are those of the plain algorithm (every
registered secret, longest first, whole or by pieces, then the credential shapes)."""

from __future__ import annotations

import importlib

from hypothesis import given, settings
from hypothesis import strategies as st

# The module (``aiwf.runtime._redact`` the attribute is the function of that name).
r = importlib.import_module("aiwf.runtime._redact")

SECRETS = ["sk-test-SENTINEL-0123456789", "tok_abcdef", "ABCDEFGHIJKLMNOPQRSTUV"]


def plain(text: str) -> str:
    if not text:
        return text
    for secret in sorted(r._secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, r.MASK)
        elif len(secret) >= r._MIN_PARTIAL_LEN:
            for start in range(len(secret) - r._PARTIAL_WINDOW + 1):
                piece = secret[start : start + r._PARTIAL_WINDOW]
                if piece in text:
                    text = text.replace(piece, r.MASK)
    for pattern in r._PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + r.MASK, text)
    return text


FRAGMENTS = st.sampled_from(
    [*SECRETS, *(s[3:15] for s in SECRETS), "Bearer ", "bearer\t", "x-api-key: ", "API_KEY=",
     '"api-key": "', "sk-", "sk-proj-", "abcdefgh12", "KEY", "\u212aey: ", " ", ";", "req_1"]
)  # fmt: skip
TEXTS = st.lists(FRAGMENTS | st.text(max_size=6), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_redact_answers_as_the_plain_algorithm(text: str) -> None:
    for secret in SECRETS:
        r.register_secret(secret)
    assert r.redact(text) == plain(text)
