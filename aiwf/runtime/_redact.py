"""One redaction helper, used by logs, traces and error messages alike.

Secrets are removed in two ways: every API key the runtime reads is registered here and
replaced wherever it appears, and well-known credential shapes (``Bearer ...``, ``sk-...``,
``x-api-key: ...``) are masked even when they were never registered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

#: What a secret is replaced with.
MASK = "***"

#: Header names whose values are always masked (compared case-insensitively).
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
    }
)

_PATTERNS = (
    # Authorization: Bearer <token>
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # x-api-key: <key> / "x-api-key": "<key>" / api_key=<key>
    re.compile(r"(?i)((?:x-api-key|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{6,}"),
    # OpenAI / Anthropic style keys: sk-..., sk-proj-..., sk-ant-...
    re.compile(r"()\bsk-[A-Za-z0-9_-]{8,}"),
)

_lock = threading.Lock()
_secrets: set[str] = set()
# Keys shorter than this are not registered: masking them would mangle ordinary text.
_MIN_SECRET_LEN = 6
# Keys at least this long are also masked where a piece of _PARTIAL_WINDOW characters shows.
_MIN_PARTIAL_LEN = 16
_PARTIAL_WINDOW = 10


#: The registered secrets, longest first, each with the set of its pieces of
#: _PARTIAL_WINDOW characters (empty for a short one); rebuilt when one is registered, so
#: that :func:`redact`, which runs for every call's request id, does not sort or slice.
_ordered: tuple[tuple[str, frozenset[str]], ...] = ()


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`redact` masks it everywhere from now on."""
    global _ordered
    # A known one (every call registers its key) is seen without taking the lock.
    if value and len(value) >= _MIN_SECRET_LEN and value not in _secrets:
        with _lock:
            if value in _secrets:
                return
            _secrets.add(value)
            _ordered = tuple(
                (secret, frozenset(_pieces(secret)))
                for secret in sorted(_secrets, key=len, reverse=True)
            )


def _pieces(secret: str) -> list[str]:
    if len(secret) < _MIN_PARTIAL_LEN:
        return []
    return [
        secret[start : start + _PARTIAL_WINDOW]
        for start in range(len(secret) - _PARTIAL_WINDOW + 1)
    ]


def redact(text: str) -> str:
    """``text`` with every registered secret and every credential-shaped token masked."""
    if not text:
        return text
    for secret, pieces in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
        elif pieces and any(
            text[i : i + _PARTIAL_WINDOW] in pieces for i in range(len(text) - _PARTIAL_WINDOW + 1)
        ):
            # A server may echo part of a key ("...ETSENTINEL99"): mask every long piece.
            for piece in _pieces(secret):
                if piece in text:
                    text = text.replace(piece, MASK)
    lowered = text.lower()
    # Each pattern needs a word of its own (a cheap test before the regular expression).
    for pattern, needle in _NEEDLES:
        if needle in (lowered if needle != "sk-" else text):
            text = pattern.sub(_masked, text)
    return text


def _masked(match: re.Match[str]) -> str:
    return match.group(1) + MASK


_NEEDLES = tuple(zip(_PATTERNS, ("bearer", "key", "sk-"), strict=True))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential headers masked and other values redacted."""
    return {
        name: MASK if name.lower() in SENSITIVE_HEADERS else redact(value)
        for name, value in headers.items()
    }


def redact_value(value: Any) -> Any:
    """``value`` (a JSON-like structure) with every string in it redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            k: MASK if str(k).lower() in SENSITIVE_HEADERS else redact_value(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value
