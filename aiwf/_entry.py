"""The ``aiwf`` console script and ``python -m aiwf``: ``aiwf validate`` without click.

``aiwf validate`` runs on every commit, and importing click (with the ``gettext``,
``platform``, ``datetime``, ``uuid`` and ``threading`` it brings) is a tenth of a cold run.
So :func:`main` first reads a command line of the shape pre-commit and CI use,
``aiwf validate [--format F] [--strict] [--config FILE] [--env NAME] [-v|-q] [PATH]...``,
itself, and runs :func:`aiwf._commands._spec.validate` with the same options, the same
output and the same exit status as the click command. Everything else goes to
:func:`aiwf._cli.main` unchanged: other commands, ``--help``, ``--``, combined short flags,
an unknown option, a missing or doubtful value (one that starts with ``-``, a ``--format``
that is not a choice, a path click would refuse: a directory as ``--config``, an unreadable
file), shell completion, and Windows (where click expands wildcards and wraps the console).
So any usage error still gets click's own message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from aiwf._diagnostics import OUTPUT_FORMATS
from aiwf._errors import EXIT_FAILURE, AiwfError

if TYPE_CHECKING:
    from aiwf._diagnostics import OutputFormat

#: The shared options (:data:`aiwf._cli.shared_options`) by their spellings, and the
#: valued options of ``aiwf validate``.
_FLAGS = {"--verbose": "verbose", "--quiet": "quiet", "-q": "quiet", "--strict": "strict"}
_VALUED = {"--config": "config", "--env": "env", "--format": "fmt"}
_SHARED = ("config", "env", "verbose", "quiet")


class _Validate:
    """``aiwf validate``'s command line as click would parse it."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.fmt: OutputFormat = OUTPUT_FORMATS[0]
        self.strict = False
        #: Shared option -> its value, in the order of first appearance: click calls the
        #: options' callbacks in that order, once each, with the last value (a count for -v).
        self.shared: dict[str, Any] = {}

    def set(self, name: str, value: Any) -> None:
        if name == "strict":
            self.strict = True
        elif name == "fmt":
            self.fmt = value
        elif name == "verbose":
            self.shared[name] = self.shared.get(name, 0) + value
        else:
            self.shared.setdefault(name, value)
            self.shared[name] = value


def _readable(path: str, *, dir_okay: bool = True) -> bool:
    """What ``click.Path(dir_okay=...)`` accepts without a message and turns into the same
    ``Path``: a missing path, or an existing readable one (not a directory unless
    ``dir_okay``); never the empty string."""
    import stat

    if not path:
        return False
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    if not dir_okay and stat.S_ISDIR(mode):
        return False
    return os.access(path, os.R_OK)


def parse_validate(argv: list[str]) -> _Validate | None:
    """``argv`` (without the program name) as ``aiwf validate`` options and paths, or None
    when click is to parse it (see the module docstring)."""
    if not argv or argv[0] != "validate" or sys.platform == "win32":
        return None
    if "_AIWF_COMPLETE" in os.environ:
        return None
    parsed = _Validate()
    i = 1
    while i < len(argv):
        token = argv[i]
        i += 1
        if not token.startswith("-"):
            if not _readable(token):  # "" too: click would take it for "."
                return None
            parsed.paths.append(Path(token))
            continue
        if token in _FLAGS:
            parsed.set(_FLAGS[token], True)
            continue
        if len(token) > 1 and token.strip("v") == "-":  # -v, -vv, ...
            parsed.set("verbose", len(token) - 1)
            continue
        name, eq, value = token.partition("=")
        if name not in _VALUED:
            return None  # --help, --, -vq, an unknown option: click's to answer
        if not eq:
            if i == len(argv):
                return None
            value = argv[i]
            i += 1
        if value.startswith("-") or not value:
            return None
        option = _VALUED[name]
        if option == "fmt" and value not in OUTPUT_FORMATS:
            return None
        if option == "config" and not _readable(value, dir_okay=False):
            return None
        parsed.set(option, Path(value) if option == "config" else value)
    return parsed


def _echo(text: str, *, err: bool = False) -> None:
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


def run_validate(parsed: _Validate) -> NoReturn:
    """Run ``aiwf validate`` and exit as :func:`aiwf._cli.main` would."""
    try:
        from aiwf._commands._spec import validate
        from aiwf._context import AppContext

        app = AppContext()
        for name, value in parsed.shared.items():
            app.merge_shared(name, value)
        if app.env is None:
            app.env = os.environ.get("AIWF_ENV") or None
        result = validate(app, tuple(parsed.paths), parsed.fmt, parsed.strict)
        if result.report is not None:
            _echo(result.report)
        if result.note is not None:
            _echo(result.note, err=True)
        code = EXIT_FAILURE if result.failed else 0
    except AiwfError as exc:
        _echo(exc.render(), err=True)
        code = exc.exit_code
    except (KeyboardInterrupt, EOFError):
        _echo("", err=True)  # what click prints before it aborts
        _echo("aborted", err=True)
        code = 130
    except BrokenPipeError:  # the reader went away (aiwf validate | head): as click does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_FAILURE
    except Exception as exc:  # the last boundary: never a traceback unless asked for
        if os.environ.get("AIWF_TRACEBACK"):
            raise
        _echo(
            f"error[internal]: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in aiwf; set AIWF_TRACEBACK=1 for the traceback and report it",
            err=True,
        )
        code = 3
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: ``aiwf validate`` directly when its command line is plain,
    else the click CLI (:func:`aiwf._cli.main`)."""
    parsed = parse_validate(sys.argv[1:] if argv is None else list(argv))
    if parsed is not None:
        run_validate(parsed)
    from aiwf._cli import main as cli_main

    cli_main(argv)
