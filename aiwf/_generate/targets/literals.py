"""String literals of the target languages: one quoting loop, each language's escapes."""

from __future__ import annotations

from collections.abc import Callable

#: Escapes the three languages write alike.
SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: The escapes of :data:`SIMPLE_ESCAPES` a printable text can need.
_PRINTABLE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def quoted(text: str, escape: Callable[[int], str]) -> str:
    """``text`` in double quotes: printable characters (emoji included) as they are, quotes,
    backslashes and the usual controls by :data:`SIMPLE_ESCAPES`, and every other code point
    (controls, U+2028/U+2029, lone surrogates) as ``escape(code_point)`` writes it."""
    if text.isprintable():  # the common case, in one pass: only quotes and backslashes
        return '"' + text.translate(_PRINTABLE_ESCAPES) + '"'
    out = ['"']
    for ch in text:
        simple = SIMPLE_ESCAPES.get(ch)
        if simple is not None:
            out.append(simple)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(escape(ord(ch)))
    out.append('"')
    return "".join(out)
