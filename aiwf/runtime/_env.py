"""Environment reads on a model call's path.

Every call reads the variables its route depends on (the API key, and what a provider's
request uses, such as ``$OPENAI_BASE_URL``), so that a variable changed between calls is
followed by the next call. :func:`getenv` is ``os.environ.get(name)`` for a tenth of its
CPU: ``os.environ.get`` of an unset variable raises and catches a ``KeyError`` inside
``os`` (about 2 µs), a cost that every call paid for each optional variable it reads.

It reads the mapping ``os.environ`` keeps in step with every change made through it
(``os.environ[...] = ...``, ``del``, ``monkeypatch.setenv``, ``mock.patch.dict``), under
the key ``os.environ`` would look up; where that mapping is not there (another Python) or
``os.environ`` was replaced by another object, it asks ``os.environ`` itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

_ENVIRON = os.environ
#: What ``os.environ`` reads and writes (bytes keys and values on POSIX, str on Windows).
_DATA: dict[Any, Any] | None = getattr(_ENVIRON, "_data", None)
_ENCODE: Callable[[str], Any] | None = getattr(_ENVIRON, "encodekey", None)
_DECODE: Callable[[Any], str] | None = getattr(_ENVIRON, "decodevalue", None)
if not isinstance(_DATA, dict) or _ENCODE is None or _DECODE is None:  # pragma: no cover
    _DATA = None
#: Variable name -> its key in ``_DATA``.
_KEYS: dict[str, Any] = {}
#: Raw value -> decoded value, for the values read lately (an API key is read every call).
_VALUES: dict[Any, str] = {}


def getenv(name: str) -> str | None:
    """``os.environ.get(name)``: the variable's value now, ``None`` when it is unset."""
    data = _DATA
    if data is None or os.environ is not _ENVIRON:
        return os.environ.get(name)
    key = _KEYS.get(name)
    if key is None:
        assert _ENCODE is not None
        if len(_KEYS) >= 256:
            _KEYS.clear()
        key = _KEYS[name] = _ENCODE(name)
    raw = data.get(key)
    if raw is None:
        return None
    value = _VALUES.get(raw)
    if value is None:
        assert _DECODE is not None
        value = _DECODE(raw)
        if len(_VALUES) >= 64:
            _VALUES.clear()
        _VALUES[raw] = value
    return value
