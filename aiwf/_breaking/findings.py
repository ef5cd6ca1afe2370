"""The gate: which changes ``aiwf breaking`` reports and fails on, as diagnostics for the
renderer ``aiwf validate`` uses.

Rules listed under ``skip`` (project config or ``--skip``) are not reported; a change whose
fingerprint is under ``[[breaking.accept]]`` is reported as accepted (with ``-v``, and in
JSON) and never fails the gate; changes of level ``none`` (additions, relaxed inputs) are
left to ``aiwf changelog``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aiwf._breaking import SpecComparison
from aiwf._breaking.changes import Change
from aiwf._breaking.rules import LEVELS, RULES, at_least
from aiwf._config import AcceptedChange, BreakingConfig
from aiwf._diagnostics import Diagnostic
from aiwf._errors import AiwfError
from aiwf._suggest import did_you_mean


@dataclass
class Finding:
    """A reported change, with the comparison it comes from."""

    comparison: SpecComparison
    change: Change
    #: Why it is accepted (from the project config), or None.
    accepted: str | None = None

    @property
    def level(self) -> str:
        return RULES[self.change.rule].level


@dataclass
class Gate:
    """What the gate reports for a set of comparisons."""

    findings: list[Finding] = field(default_factory=list)
    #: Accepted fingerprints that match no change (stale entries in the config).
    unused: list[AcceptedChange] = field(default_factory=list)

    @property
    def open(self) -> list[Finding]:
        return [f for f in self.findings if f.accepted is None]

    def fails(self, fail_on: str) -> bool:
        return any(at_least(f.level, fail_on) for f in self.open)


def check_rules(ids: Iterable[str], source: Path | None) -> None:
    """Refuse unknown rule ids (in ``skip``), naming the closest one."""
    for rule_id in ids:
        if rule_id not in RULES:
            raise AiwfError(
                f"unknown rule {rule_id!r} in breaking.skip",
                code="C004",
                file=str(source) if source else None,
                hint=did_you_mean(rule_id, RULES) or "aiwf breaking --list-rules prints them",
            )


def gate(
    comparisons: list[SpecComparison], config: BreakingConfig, skip: Iterable[str] = ()
) -> Gate:
    """The findings of ``comparisons`` under the project config's ``skip`` and ``accept``."""
    skipped = {*config.skip, *skip}
    accepted = {a.fingerprint: a for a in config.accept}
    used: set[str] = set()
    out = Gate()
    for comparison in comparisons:
        for change in comparison.changes:
            rule = RULES[change.rule]
            if rule.level == "none" or rule.id in skipped:
                continue
            entry = accepted.get(change.fingerprint)
            if entry is not None:
                used.add(entry.fingerprint)
            out.findings.append(
                Finding(comparison, change, entry.reason if entry is not None else None)
            )
    out.findings.sort(key=_order)
    out.unused = [a for a in config.accept if a.fingerprint not in used]
    return out


def _order(finding: Finding) -> tuple[str, int, int, str]:
    pos = finding.change.position
    if pos is None:
        return ("", 0, 0, finding.change.rule)
    return (pos.file, pos.line or 0, pos.column or 0, finding.change.rule)


def spelled_names(finding: Finding, langs: Iterable[str]) -> dict[str, str]:
    """The names of what a finding is about in each of ``langs`` (those that have one)."""
    from aiwf._breaking.names import spelled

    langs = list(langs)
    if not langs or not finding.change.symbols:
        return {}
    old, new = finding.comparison.names()
    out = {}
    for lang in langs:
        text = spelled(finding.change.symbols, old, new, lang)
        if text:
            out[lang] = text
    return out


def to_diagnostic(finding: Finding) -> Diagnostic:
    """A finding as a diagnostic: the rule id as its code, the level as its severity, and
    what it affects, the generated names and its fingerprint as notes (and JSON members)."""
    from aiwf._breaking.names import LANGUAGES

    change, rule = finding.change, RULES[finding.change.rule]
    names = spelled_names(finding, [lang for lang in LANGUAGES if lang in rule.affects])
    notes: list[tuple[str, str]] = [("affects", ", ".join(rule.affects))]
    if names:
        notes.append(("names", "; ".join(f"{lang} {text}" for lang, text in names.items())))
    if finding.accepted is not None:
        notes.append(("accepted", finding.accepted))
    notes.append(("fingerprint", change.fingerprint))
    pos = change.position
    return Diagnostic(
        severity=rule.level,  # type: ignore[arg-type]
        code=rule.id,
        message=change.message,
        file=pos.file if pos else None,
        line=pos.line if pos else None,
        column=pos.column if pos else None,
        hint=rule.hint,
        notes=tuple(notes),
        extra=(
            ("rule", rule.id),
            ("level", rule.level),
            ("subject", change.subject),
            ("affects", rule.affects),
            ("names", names),
            ("old", change.old),
            ("new", change.new),
            ("against", finding.comparison.against),
            ("accepted", finding.accepted),
            ("fingerprint", change.fingerprint),
        ),
    )


def summary(result: Gate) -> str:
    """``3 changes: 1 error, 1 warning, 1 info`` (and how many were accepted)."""
    counts: dict[str, int] = dict.fromkeys(LEVELS, 0)
    for finding in result.open:
        counts[finding.level] += 1
    total = len(result.open)
    parts = [f"{n} {level}{'s' if n > 1 and level != 'info' else ''}"
             for level, n in counts.items() if n]  # fmt: skip
    text = f"{total} change{'' if total == 1 else 's'}" + (f": {', '.join(parts)}" if parts else "")
    accepted = len(result.findings) - total
    if accepted:
        text += f" ({accepted} accepted)"
    return text if total or accepted else "no changes"


__all__ = ["Finding", "Gate", "check_rules", "gate", "spelled_names", "summary", "to_diagnostic"]
