"""Diagnostics: problems found in a spec, as values with a position, a code and a hint.

The compiler collects them; the CLI renders them (:func:`render`) as text, JSON or GitHub
workflow-command annotations. ``aiwf breaking`` renders its findings through the same
renderer: they add an ``info`` level, ``notes`` (more ``label: value`` lines in text and
annotations) and ``extra`` (more members in JSON).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from aiwf._ir._dc import dataclass

if TYPE_CHECKING:
    from aiwf._codes import Code

Severity = Literal["error", "warning", "info"]
OutputFormat = Literal["text", "json", "github"]
#: The values of ``--format``, the default first.
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("text", "json", "github")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a spec.

    ``line`` and ``column`` are 1-based; ``file`` is the path as the user gave it (relative
    paths stay relative).
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    #: More lines shown after the hint, each ``label: value`` (text and GitHub output).
    notes: tuple[tuple[str, str], ...] = ()
    #: More members of the JSON object (JSON output only); values are JSON data.
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(
        cls,
        code: Code,
        message: str,
        file: str | None = None,
        pos: tuple[int, int] | None = None,
        hint: str | None = None,
    ) -> Diagnostic:
        """A diagnostic of a registered code (:mod:`aiwf._codes`): its severity, and its
        default hint when ``hint`` is None. ``pos`` is a 1-based (line, column)."""
        line, column = pos if pos is not None else (None, None)
        return cls(code.severity, str(code), message, file, line, column, hint or code.hint)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def location(self) -> str:
        """``file:line:col`` (as much as is known)."""
        parts = [self.file or "<spec>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``--format json``: the fields, then the extra members."""
        data: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }
        for key, value in self.extra:
            data[key] = list(value) if isinstance(value, tuple) else value
        return data


_RANK = {"error": 0, "warning": 1, "info": 2}


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Errors first, then warnings, then notes, each in reading order (file, line,
    column); duplicates dropped. What fails the build is what a reader sees first."""
    return sorted(set(diagnostics), key=lambda d: (_RANK[d.severity], *d.sort_key()))


def _text(diagnostics: Sequence[Diagnostic], color: bool) -> str:
    if color:  # only then: aiwf validate runs without click (aiwf._entry)
        import click

    lines = []
    for d in diagnostics:
        label = f"{d.severity}[{d.code}]"
        if color:
            label = click.style(label, fg=_COLORS[d.severity], bold=True)
            loc = click.style(d.location(), bold=True)
        else:
            loc = d.location()
        lines.append(f"{loc}: {label}: {d.message}")
        for name, text in (("hint", d.hint), *d.notes):
            if text:
                shown = click.style(name, fg="cyan") if color else name
                lines.append(f"  {shown}: {text}")
    return "\n".join(lines)


_COLORS = {"error": "red", "warning": "yellow", "info": "blue"}


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        props = []
        if d.file:
            props.append(f"file={_github_escape(d.file, prop=True)}")
        if d.line is not None:
            props.append(f"line={d.line}")
        if d.column is not None:
            props.append(f"col={d.column}")
        props.append(f"title={_github_escape(f'aiwf {d.code}', prop=True)}")
        extra = [("hint", d.hint), *d.notes]
        message = d.message + "".join(f"\n{name}: {text}" for name, text in extra if text)
        kind = {"error": "error", "warning": "warning", "info": "notice"}[d.severity]
        lines.append(f"::{kind} {','.join(props)}::{_github_escape(message)}")
    return "\n".join(lines)


def render(diagnostics: Sequence[Diagnostic], fmt: OutputFormat, *, color: bool = False) -> str:
    """Render diagnostics in the given output format (no trailing newline)."""
    if fmt == "json":
        return json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        return _github(diagnostics)
    return _text(diagnostics, color)
