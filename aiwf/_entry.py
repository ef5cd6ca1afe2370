"""The ``aiwf`` console script and ``python -m aiwf``: plain command lines without click.

``aiwf validate`` runs on every commit and ``aiwf sdk`` after every edit of a spec, and
importing click (with the ``gettext``, ``platform``, ``datetime``, ``uuid`` and
``threading`` it brings) is a tenth of such a run. So :func:`main` first reads a command line
of the shape hooks, CI and users type itself:

* ``aiwf validate [--format F] [--strict] [PATH]...``
* ``aiwf sdk [SPEC] [--lang L] [--out DIR] [--package P] [--module M] [--bump-version REF]
  [--exit-code]``

each with the shared ``--config FILE``, ``--env NAME``, ``-v``/``-vv``/``--verbose`` and
``-q``/``--quiet``, and runs the command's click-free body
(:func:`aiwf._commands._spec.validate`, :func:`aiwf._commands._sdk.run_sdk`) with the same
options, output and exit status as the click command. Everything else goes to
:func:`aiwf._cli.main` unchanged: other commands, ``--help``, ``--``, ``-``, combined short
flags, an unknown option, a missing or doubtful value (one that starts with ``-``, a
``--format`` that is not a choice, a path click would refuse: a directory as ``--config``, a
file as ``--out``, an unreadable path), a second SPEC, shell completion, and Windows (where
click expands wildcards and wraps the console). So any usage error still gets click's own
message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from aiwf._diagnostics import OUTPUT_FORMATS
from aiwf._echo import echo as _echo
from aiwf._errors import EXIT_FAILURE, exit_after

if TYPE_CHECKING:
    from aiwf._context import AppContext

#: The shared options (:data:`aiwf._cli.shared_options`): spelling -> option.
_SHARED_FLAGS = {"--verbose": "verbose", "--quiet": "quiet", "-q": "quiet"}
_SHARED_VALUED = {"--config": "config", "--env": "env"}


class _Syntax:
    """What the fast path accepts of one command: its flags and valued options (spelling ->
    parameter), the choices of a valued option, and how many arguments it takes."""

    def __init__(
        self,
        flags: dict[str, str],
        valued: dict[str, str],
        *,
        choices: dict[str, tuple[str, ...]] | None = None,
        max_args: int | None = None,
        directories: tuple[str, ...] = (),
    ) -> None:
        self.flags = {**_SHARED_FLAGS, **flags}
        self.valued = {**_SHARED_VALUED, **valued}
        self.choices = choices or {}
        self.max_args = max_args
        #: Valued options that name a directory (``click.Path(file_okay=False)``).
        self.directories = directories


_COMMANDS = {
    "validate": _Syntax(
        {"--strict": "strict"}, {"--format": "fmt"}, choices={"fmt": OUTPUT_FORMATS}
    ),
    "sdk": _Syntax(
        {"--exit-code": "exit_code"},
        {
            "--lang": "lang",
            "--out": "out",
            "--package": "package",
            "--module": "module",
            "--bump-version": "bump_ref",
        },
        max_args=1,
        directories=("out",),
    ),
}


class Parsed:
    """A command line as click would parse it: the command, its arguments and options, and the
    shared options given before the command (the group's) and after it, each in the order of
    their first appearance (click calls their callbacks group first, then in that order, once
    each, with the last value: a count for ``-v``)."""

    def __init__(self) -> None:
        self.command = ""
        self.args: list[Path] = []
        self.options: dict[str, Any] = {}
        self.group: dict[str, Any] = {}
        self.shared: dict[str, Any] = {}

    def set(self, name: str, value: Any) -> None:
        shared = self.shared if self.command else self.group
        if name == "verbose":
            shared[name] = shared.get(name, 0) + value
        elif name in ("config", "env", "quiet"):
            shared.setdefault(name, value)
            shared[name] = value
        else:
            self.options[name] = value


def _path_ok(path: str, *, dir_okay: bool = True, file_okay: bool = True) -> bool:
    """What ``click.Path(dir_okay=..., file_okay=...)`` accepts without a message and turns
    into the same ``Path``: a missing path, or an existing readable one of an allowed kind;
    never the empty string."""
    import stat

    if not path:
        return False
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True
    if (not dir_okay and stat.S_ISDIR(mode)) or (not file_okay and stat.S_ISREG(mode)):
        return False
    return os.access(path, os.R_OK)


def parse(argv: list[str]) -> Parsed | None:
    """``argv`` (without the program name) as one of the fast path's command lines, or None
    when click is to parse it (see the module docstring)."""
    if sys.platform == "win32" or "_AIWF_COMPLETE" in os.environ:
        return None
    parsed = Parsed()
    syntax = _Syntax({}, {})  # the group's options, until the command
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if not token.startswith("-"):
            if not parsed.command:
                command = _COMMANDS.get(token)
                if command is None:
                    return None
                parsed.command, syntax = token, command
                continue
            if not _path_ok(token):  # "" too: click would take it for "."
                return None
            parsed.args.append(Path(token))
            continue
        if token in syntax.flags:
            parsed.set(syntax.flags[token], True)
            continue
        if len(token) > 1 and token.strip("v") == "-":  # -v, -vv, ...
            parsed.set("verbose", len(token) - 1)
            continue
        name, eq, value = token.partition("=")
        option = syntax.valued.get(name)
        if option is None:
            return None  # --help, --version, --, -vq, an unknown option: click's to answer
        if not eq:
            if i == len(argv):
                return None
            value = argv[i]
            i += 1
        if value.startswith("-") or not value:
            return None
        if option in syntax.choices and value not in syntax.choices[option]:
            return None
        if option == "config":
            if not _path_ok(value, dir_okay=False):
                return None
            parsed.set(option, Path(value))
        elif option in syntax.directories:
            if not _path_ok(value, file_okay=False):
                return None
            parsed.set(option, Path(value))
        else:
            parsed.set(option, value)
    if not parsed.command:
        return None
    if syntax.max_args is not None and len(parsed.args) > syntax.max_args:
        return None
    return parsed


def parse_validate(argv: list[str]) -> Parsed | None:
    """:func:`parse`, for an ``aiwf validate`` command line only."""
    parsed = parse(argv)
    return parsed if parsed is not None and parsed.command == "validate" else None


def _validate(app: AppContext, parsed: Parsed) -> int:
    from aiwf._commands._spec import validate

    fmt = parsed.options.get("fmt", OUTPUT_FORMATS[0])
    result = validate(app, tuple(parsed.args), fmt, bool(parsed.options.get("strict")))
    if result.report is not None:
        _echo(result.report)
    if result.note is not None:
        _echo(result.note, err=True)
    return EXIT_FAILURE if result.failed else 0


def _sdk(app: AppContext, parsed: Parsed) -> int:
    from aiwf._commands._sdk import run_sdk

    get = parsed.options.get
    spec = parsed.args[0] if parsed.args else None
    run_sdk(app, spec, get("lang"), get("out"), get("package"), bool(get("exit_code")),
            get("module"), get("bump_ref"))  # fmt: skip
    return 0


def run(parsed: Parsed) -> NoReturn:
    """Run the command and exit as :func:`aiwf._cli.main` would (the same boundary,
    :func:`aiwf._errors.exit_after`)."""

    def work() -> int:
        from aiwf._context import AppContext

        try:
            app = AppContext()
            for shared in (parsed.group, parsed.shared):
                for name, value in shared.items():
                    app.merge_shared(name, value)
            if app.env is None:
                app.env = os.environ.get("AIWF_ENV") or None
            return (_validate if parsed.command == "validate" else _sdk)(app, parsed)
        except (KeyboardInterrupt, EOFError):
            _echo("", err=True)  # what click prints before it aborts
            _echo("aborted", err=True)
            return 130

    exit_after(work)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: a plain ``aiwf validate`` or ``aiwf sdk`` directly, else
    the click CLI (:func:`aiwf._cli.main`)."""
    parsed = parse(sys.argv[1:] if argv is None else list(argv))
    if parsed is not None:
        run(parsed)
    from aiwf._cli import main as cli_main

    cli_main(argv)
