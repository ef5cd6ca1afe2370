"""Diagnostics: problems found in a spec, as values with a position, a code and a hint.

The compiler collects them; the CLI renders them (:func:`render`) as text, JSON or GitHub
workflow-command annotations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]
OutputFormat = Literal["text", "json", "github"]


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


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in reading order (file, line, column), duplicates dropped."""
    return sorted(set(diagnostics), key=Diagnostic.sort_key)


def _text(diagnostics: Sequence[Diagnostic], color: bool) -> str:
    import click

    lines = []
    for d in diagnostics:
        label = f"{d.severity}[{d.code}]"
        if color:
            label = click.style(label, fg="red" if d.is_error else "yellow", bold=True)
            loc = click.style(d.location(), bold=True)
        else:
            loc = d.location()
        lines.append(f"{loc}: {label}: {d.message}")
        if d.hint:
            hint = click.style("hint", fg="cyan") if color else "hint"
            lines.append(f"  {hint}: {d.hint}")
    return "\n".join(lines)


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
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        kind = "error" if d.is_error else "warning"
        lines.append(f"::{kind} {','.join(props)}::{_github_escape(message)}")
    return "\n".join(lines)


def render(diagnostics: Sequence[Diagnostic], fmt: OutputFormat, *, color: bool = False) -> str:
    """Render diagnostics in the given output format (no trailing newline)."""
    if fmt == "json":
        return json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False)
    if fmt == "github":
        return _github(diagnostics)
    return _text(diagnostics, color)
