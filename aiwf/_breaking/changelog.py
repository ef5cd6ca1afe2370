"""``aiwf changelog``: the changes of a spec as a Markdown section for the generated SDKs'
consumers, and the SemVer bump they call for.

Every change is listed once per assistant and workflow it concerns (a change to a shared
schema under each of them), in four groups: **Breaking** (level ``error``), **Removed**,
**Changed** and **Added**; renamed and retyped items show their names in each SDK language,
before and after. The bump: any ``error`` calls for a major version (a minor one below
1.0.0), any addition for a minor one, anything else for a patch; no change, none.
Accepted changes count (accepting a break does not make it compatible); skipped rules do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from aiwf._breaking import SpecComparison
from aiwf._breaking.changes import Change
from aiwf._breaking.compare import usage
from aiwf._breaking.names import LANGUAGES, spelled
from aiwf._breaking.rules import RULES
from aiwf._errors import UsageError

Bump = str  # "major" | "minor" | "patch"
_LANG_TITLE = {"python": "Python", "go": "Go", "typescript": "TypeScript"}
_GROUPS = (("breaking", "Breaking"), ("removed", "Removed"), ("changed", "Changed"),
           ("added", "Added"))  # fmt: skip
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


def counted(comparisons: Iterable[SpecComparison], skip: Iterable[str] = ()) -> list[Change]:
    """The changes a changelog and a bump count: all but those of skipped rules."""
    skipped = set(skip)
    return [c for comp in comparisons for c in comp.changes if c.rule not in skipped]


def bump_for(changes: Iterable[Change]) -> Bump | None:
    """``major`` for any error, ``minor`` for any addition, ``patch`` for anything else,
    None for no change."""
    rules = [RULES[c.rule] for c in changes]
    if any(r.level == "error" for r in rules):
        return "major"
    if any(r.category == "added" for r in rules):
        return "minor"
    return "patch" if rules else None


def parse_version(text: str) -> tuple[int, int, int]:
    """``1.2.3`` (or ``v1.2.3``, a pre-release or build suffix ignored) as numbers."""
    match = _VERSION.match(text.strip())
    if match is None:
        raise UsageError(
            f"not a SemVer version: {text!r}", hint="write MAJOR.MINOR.PATCH, e.g. 1.4.0"
        )
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def next_version(current: str, bump: Bump | None) -> str:
    """The version after ``current`` for ``bump`` (below 1.0.0 a major bump is a minor
    one); ``current`` itself for no bump."""
    major, minor, patch = parse_version(current)
    if bump is None:
        return f"{major}.{minor}.{patch}"
    if bump == "major" and major > 0:
        return f"{major + 1}.0.0"
    if bump in ("major", "minor"):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


@dataclass
class Entry:
    change: Change
    comparison: SpecComparison


def _group(change: Change) -> str:
    rule = RULES[change.rule]
    return "breaking" if rule.level == "error" else rule.category


def _entities(entry: Entry) -> list[str]:
    """The assistants and workflows a change concerns (``assistant classify``)."""
    change = entry.change
    if change.entity is not None:
        return [f"{change.entity[0]} {change.entity[1]}"]
    if change.contract is None:
        return []
    side = entry.comparison.old if change.anchor.side == "old" else entry.comparison.new
    users = usage(side).get(change.contract, {})
    out: list[str] = []
    for who in (*users.get("input", []), *users.get("output", [])):
        if who not in out:
            out.append(who)
    return out


def _names(entry: Entry) -> str:
    old, new = entry.comparison.names()
    parts = []
    for lang in LANGUAGES:
        text = spelled(entry.change.symbols, old, new, lang)
        if text:
            parts.append(f"{_LANG_TITLE[lang]} `{text}`")
    return "; ".join(parts)


def _line(entry: Entry) -> str:
    change = entry.change
    if change.entity is not None:  # the entity is the heading
        text = f"- {change.detail}"
    else:
        text = f"- `{change.subject}`: {change.detail}"
    names = _names(entry)
    if names:
        text += f" — {names}"
    return text


def render(
    comparisons: list[SpecComparison],
    *,
    skip: Iterable[str] = (),
    current: str | None = None,
    title: str | None = None,
) -> str:
    """The Markdown section (``## ...``) for ``comparisons``; with ``current`` (the version
    released at the old side), the heading names the next version."""
    changes = counted(comparisons, skip)
    bump = bump_for(changes)
    name = title or ", ".join(dict.fromkeys(c.new.name for c in comparisons))
    against = ", ".join(dict.fromkeys(c.against for c in comparisons))
    version = next_version(current, bump) if current is not None else None
    heading = f"## {name} {version}" if version else f"## {name}: unreleased"
    lines = [heading, ""]
    if bump is None:
        lines.append(f"No changes to the SDKs since {against}.")
        return "\n".join(lines) + "\n"
    errors = sum(1 for c in changes if RULES[c.rule].level == "error")
    why = {
        "major": f"{errors} breaking change{'s' if errors != 1 else ''}",
        "minor": "additions, nothing breaking",
        "patch": "no breaking change and no addition",
    }[bump]
    step = f" ({current} -> {version})" if version else ""
    if bump == "major" and current is not None and parse_version(current)[0] == 0:
        why += "; below 1.0.0 a breaking change bumps the minor version"
    lines += [f"SemVer: **{bump}**{step}: {why}. Compared with {against}.", ""]
    entries = [Entry(c, comp) for comp in comparisons for c in comp.changes if c in changes]
    for key, label in _GROUPS:
        group = [e for e in entries if _group(e.change) == key]
        if not group:
            continue
        lines += [f"### {label}", ""]
        by_entity: dict[str, list[Entry]] = {}
        for entry in group:
            for who in _entities(entry) or ["other schemas"]:
                by_entity.setdefault(who, []).append(entry)
        for who in sorted(by_entity, key=_entity_order):
            lines += [f"#### {_entity_title(who)}", ""]
            lines += [_line(e) for e in by_entity[who]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _entity_order(who: str) -> tuple[int, str]:
    kind = who.split(" ", 1)[0]
    return ({"workflow": 0, "assistant": 1}.get(kind, 2), who)


def _entity_title(who: str) -> str:
    if " " in who and who.split(" ", 1)[0] in ("workflow", "assistant"):
        kind, name = who.split(" ", 1)
        return f"{kind} `{name}`"
    return "Schemas used by no assistant or workflow"


__all__ = ["bump_for", "counted", "next_version", "parse_version", "render"]
