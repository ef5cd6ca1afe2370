"""``click.echo`` without importing click: what the click-free command paths print with
(:mod:`aiwf._entry`), byte for byte what click would print."""

from __future__ import annotations

import sys
from typing import Any


def echo(text: str, *, err: bool = False) -> None:
    """``click.echo(text, err=err)``: the same bytes, without importing click unless the
    text holds an escape sequence (click strips styles off a stream that is not a
    terminal) or characters the stream's encoding may not take (click writes UTF-8)."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if "\x1b" in text or not (text.isascii() or _is_utf8(stream)):
        import click

        click.echo(text, err=err)
        return
    stream.write(text + "\n")
    stream.flush()


def _is_utf8(stream: Any) -> bool:
    import codecs

    try:
        return codecs.lookup(stream.encoding or "ascii").name == "utf-8"
    except (LookupError, AttributeError, TypeError):
        return False
