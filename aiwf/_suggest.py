""" "Did you mean ...?" hints for unknown names."""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``name``, if any is close enough to be a likely typo."""
    pool = sorted(set(candidates))
    if not pool:
        return None
    import difflib  # only when there is a typo to explain

    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    lowered = {c.lower(): c for c in pool}
    return lowered.get(name.lower())


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint such as ``did you mean 'classify'?``, or None when nothing is close."""
    pool = sorted(set(candidates))
    match = closest(name, pool)
    if match is not None:
        return f"did you mean {match!r}?"
    return None
