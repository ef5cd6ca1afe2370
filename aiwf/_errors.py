"""The one exception type for user-facing failures.

Anything that a user can cause (a bad spec path, a broken config, a provider refusing a key)
is raised as :class:`AiwfError` wherever it is found and rendered once, at the CLI boundary,
as a single line (``file:line:col: error[CODE]: message``) followed by an optional hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

#: Exit code for errors in the user's input (spec, config, data) or a failed run.
EXIT_FAILURE = 1
#: Exit code for usage errors: a missing path, an unknown option value.
EXIT_USAGE = 2


class AiwfError(Exception):
    """A failure the user can act on; never shown with a traceback.

    Args:
        message: what went wrong, in one sentence.
        code: a stable diagnostic code such as ``E001`` (optional).
        hint: how to fix it (optional).
        file: the file the error is about, as the user would type it (optional).
        line: 1-based line in ``file`` (optional).
        column: 1-based column in ``file`` (optional).
        exit_code: the process exit code when this error ends a command.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        exit_code: int = EXIT_FAILURE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
        self.file = file
        self.line = line
        self.column = column
        self.exit_code = exit_code

    def location(self) -> str:
        """``file:line:col`` (as much of it as is known), or an empty string."""
        if self.file is None:
            return ""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self) -> str:
        """The one-line form shown to users, plus an indented hint line when there is one."""
        head = f"error[{self.code}]" if self.code else "error"
        loc = self.location()
        text = f"{loc}: {head}: {self.message}" if loc else f"{head}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class UsageError(AiwfError):
    """A command was called wrongly (missing path, bad option value): exit code 2."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, exit_code=EXIT_USAGE)


def exit_after(work: Callable[[], int]) -> NoReturn:
    """The CLI boundary: run a command's ``work`` and exit with the status it returns. An
    :class:`AiwfError` is its one line (and hint); a reader that went away
    (``aiwf schema | head``) is not an error of ours and ends quietly; anything else is one
    ``error[internal]`` line, and the traceback only with ``AIWF_TRACEBACK`` set."""
    import os
    import sys

    from aiwf._echo import echo

    try:
        code = work()
    except AiwfError as exc:
        echo(exc.render(), err=True)
        code = exc.exit_code
    except BrokenPipeError:
        sys.stderr.close()  # nor a message about stdout's last flush at exit
        code = EXIT_FAILURE
    except Exception as exc:  # the last boundary: never a traceback unless asked for
        if os.environ.get("AIWF_TRACEBACK"):
            raise
        echo(
            f"error[internal]: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in aiwf; set AIWF_TRACEBACK=1 for the traceback and report it",
            err=True,
        )
        code = 3
    sys.exit(code)
