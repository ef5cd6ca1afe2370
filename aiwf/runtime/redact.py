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


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`redact` masks it everywhere from now on."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret and every credential-shaped token masked."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
        elif len(secret) >= _MIN_PARTIAL_LEN:
            # A server may echo part of a key ("...ETSENTINEL99"): mask every long piece.
            for start in range(len(secret) - _PARTIAL_WINDOW + 1):
                piece = secret[start : start + _PARTIAL_WINDOW]
                if piece in text:
                    text = text.replace(piece, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


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
