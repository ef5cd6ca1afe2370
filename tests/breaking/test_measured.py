"""The rule table is measured, not asserted: every case's caller (written against the old
SDK) is built with the real toolchain against the SDKs ``aiwf sdk`` writes from the old and
the new spec of all cases at once (one SDK pair per language): it must build against the
old one, fail against the new one exactly in the languages the case lists, and each rule's
``affects`` must be exactly the languages its cases break."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cases import CASES, by_rule, spec
from sdkgen_support import git, run_cli
from toolchains import (
    PACKAGES,
    build_go,
    build_python,
    build_typescript,
    copy_sdk,
    write_callers,
)
from tssdk_support import fill_npm_cache, npm_ci

from aiwf._breaking.names import LANGUAGES
from aiwf._breaking.rules import RULES


@dataclass
class Measured:
    lang: str
    old: set[str]
    new: set[str]
    old_output: str
    new_output: str
    old_sdk: Path
    new_sdk: Path


def _sdk(project: Path, spec: str, lang: str, out: str) -> Path:
    result = run_cli(
        ["sdk", spec, "--lang", lang, "--out", out, "--package", PACKAGES[lang]],
        project,
    )
    assert result.exit_code == 0, result.output
    return project / out


@pytest.fixture(scope="session")
def npm_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scaffold's node_modules (its pinned TypeScript), installed once from the lock file
    into a fresh npm cache, then offline."""
    return fill_npm_cache(tmp_path_factory.mktemp("breaking-npm-cache"),
                          tmp_path_factory.mktemp("breaking-npm"))  # fmt: skip


@pytest.fixture(scope="session")
def measured(npm_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Measured]:
    """Per language: the cases whose caller fails against the old and the new SDK."""
    project = tmp_path_factory.mktemp("breaking-measured")
    git(project, "init", "-q", "-b", "main")
    (project / "old.aiwf.yaml").write_text(spec([c.old for c in CASES]), encoding="utf-8")
    (project / "new.aiwf.yaml").write_text(spec([c.new for c in CASES]), encoding="utf-8")
    old_sdks = {lang: _sdk(project, "old.aiwf.yaml", lang, f"old-{lang}") for lang in LANGUAGES}
    npm_ci(old_sdks["typescript"], npm_modules, offline=True)
    new_sdks = {}
    for lang, sdk in old_sdks.items():  # the consumer's upgrade: regenerate the SDK in place
        copy_sdk(sdk, project / f"new-{lang}")
        new_sdks[lang] = _sdk(project, "new.aiwf.yaml", lang, f"new-{lang}")
    out: dict[str, Measured] = {}
    cache = project / ".mypy-cache"
    results = {}
    for side, sdks in (("old", old_sdks), ("new", new_sdks)):
        callers = {lang: project / f"callers-{side}-{lang}" for lang in ("python", "go")}
        write_callers("python", CASES, callers["python"])
        write_callers("go", CASES, callers["go"])
        write_callers("typescript", CASES, sdks["typescript"] / "callers")
        results[side] = {
            "python": build_python(sdks["python"], callers["python"], cache),
            "go": build_go(sdks["go"], callers["go"]),
            "typescript": build_typescript(sdks["typescript"]),
        }
    for lang in LANGUAGES:
        (old_fail, old_out), (new_fail, new_out) = results["old"][lang], results["new"][lang]
        out[lang] = Measured(
            lang, old_fail, new_fail, old_out, new_out, old_sdks[lang], new_sdks[lang]
        )
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_caller_builds_against_the_old_sdk(measured: dict[str, Measured], lang: str) -> None:
    result = measured[lang]
    assert not result.old, result.old_output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_breaks_exactly_where_it_says(measured: dict[str, Measured], case) -> None:  # type: ignore[no-untyped-def]
    broken = {lang for lang in LANGUAGES if case.id in measured[lang].new}
    outputs = "\n".join(
        line for lang in LANGUAGES for line in measured[lang].new_output.splitlines()
        if f"case_{case.id}." in line
    )  # fmt: skip
    assert broken == set(case.breaks), outputs


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_table_matches_what_its_cases_measure(
    measured: dict[str, Measured], rule_id: str
) -> None:
    cases = by_rule()[rule_id]
    measured_langs = {lang for c in cases for lang in LANGUAGES if c.id in measured[lang].new}
    claimed = {a for a in RULES[rule_id].affects if a in LANGUAGES}
    assert claimed == measured_langs, (
        f"{rule_id}: table says {sorted(claimed)}, measured {sorted(measured_langs)}"
    )


def _source(sdk: Path, lang: str) -> str:
    pattern = {"python": "src/**/*.py", "go": "*.go", "typescript": "src/*.ts"}[lang]
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(sdk.glob(pattern)))


def _block(source: str, head: str, lang: str) -> str:
    """The declaration that starts with ``head``: a Python class up to the next top-level
    statement, a Go struct or TypeScript interface up to its closing brace."""
    start = source.index(head)
    end = source.find("\n\n\n" if lang == "python" else "\n}", start)
    return source[start : end if end >= 0 else len(source)]


_DECLARES = {
    "python": {"type": "class {}(", "function": "async def {}("},
    "go": {"type": "type {} ", "function": ") {}(ctx context.Context"},
    "typescript": {"type": "export interface {} ", "function": "export async function {}("},
}
_FIELD = {"python": "\n    {}: ", "go": "\n\t{} ", "typescript": "\n  {}"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_in_findings_are_what_the_generated_code_declares(
    measured: dict[str, Measured], lang: str
) -> None:
    """Every name a finding gives (from aiwf._breaking.names) is declared in the SDK it
    comes from: old names in the old SDK, new names in the new one."""
    from aiwf._breaking import compare_specs
    from aiwf._breaking.names import symbol_text
    from aiwf._config import ProjectConfig

    result = measured[lang]
    project = result.old_sdk.parent
    comparison = compare_specs(project / "new.aiwf.yaml", str(project / "old.aiwf.yaml"),
                               ProjectConfig())  # fmt: skip
    old_names, new_names = comparison.names()
    sources = {"old": _source(result.old_sdk, lang), "new": _source(result.new_sdk, lang)}
    checked = 0
    for change in comparison.changes:
        for symbol in change.symbols:
            names = (old_names if symbol.side == "old" else new_names)[lang]
            text = symbol_text(symbol, names)
            if text is None:
                continue
            source = sources[symbol.side]
            if symbol.kind == "field":
                owner, field = text.split(".", 1)
                head = _DECLARES[lang]["type"].format(owner)
                if lang == "go":
                    head = f"type {owner} struct {{"
                assert head in source, (change.subject, text)
                assert _FIELD[lang].format(field) in _block(source, head, lang), (
                    change.subject,
                    text,
                )
            elif symbol.kind == "function":
                assert _DECLARES[lang]["function"].format(text) in source, (change.subject, text)
            elif symbol.kind == "constant":
                assert f"\t{text} " in source, (change.subject, text)
            else:  # a contract's or an inline type's name
                kinds = ("type", "interface") if lang == "typescript" else ("type",)
                heads = [_DECLARES[lang][k].format(text) if k != "interface"
                         else f"export type {text} " for k in kinds]  # fmt: skip
                assert any(h in source for h in heads), (change.subject, text)
            checked += 1
    assert checked > 60, checked
