"""SDK generation speed: `aiwf sdk` and `aiwf check` (Python target) against `baml-cli
generate` and a bare `copier copy` of the template, in one run.

The spec has 20 contracts and 50 assistants (and one workflow); the BAML project the same
shape (20 classes, 50 functions). baml-py is installed in the benchmark's own venv
(default .bench/baml-venv), never in the project's.

    .venv/bin/python benchmarks/generate.py [--runs 7] [--baml-venv DIR]

Figures are medians of wall time per command (a fresh process each run; the commands take
turns, one run of each per round, so load from other work falls on all of them alike), and
ratios to `baml-cli generate`. aiwf runs from a wheel of this tree installed in a venv of its own, as a
user has it (an SDK in step is then checked without a render; a source checkout always
renders). Targets: check (in step) <= 1x, sdk <= 2x.

aiwf's cache directory (compiled templates, and the format cache: ruff's output by its input,
docs/build-integration.md) is a fresh one of the run's own (AIWF_CACHE_DIR). Each `aiwf sdk`
run follows an edit of one assistant's instructions, which changes 4 of the 7 Python files;
"warm" rows find the other files' formatted text in the format cache (as a user's second and
later runs do), "cold" rows start each run with an empty format cache (the compiled templates
stay cached), so ruff formats every file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def spec_text(contracts: int = 20, assistants: int = 50) -> str:
    lines = [
        "aiwf: 1",
        "name: bench",
        "models:",
        "  fast: {provider: openai, model: m}",
        "schemas:",
    ]
    for i in range(contracts):
        lines += [
            f"  Thing{i}:",
            "    type: object",
            "    required: [id, name, score]",
            "    properties:",
            "      id: {type: string}",
            "      name: {type: string, maxLength: 80}",
            "      score: {type: integer, minimum: 0, maximum: 100}",
            "      kind: {enum: [a, b, c]}",
            "      tags: {type: array, items: {type: string}}",
        ]
    lines.append("assistants:")
    for i in range(assistants):
        lines += [
            f"  act{i}:",
            "    model: fast",
            f"    instructions: Do task {i} on the thing.",
            f"    input: Thing{i % contracts}",
            f"    output: Thing{(i + 1) % contracts}",
        ]
    lines += [
        "workflows:",
        "  chain:",
        "    input: Thing0",
        "    steps:",
        "      - {id: first, assistant: act0, input: '${input}'}",
        "      - {id: second, assistant: act1, input: '${prev.output}'}",
        "    output: ${steps.second.output}",
    ]
    return "\n".join(lines) + "\n"


def baml_project(root: Path, classes: int = 20, functions: int = 50) -> None:
    src = root / "baml_src"
    src.mkdir(parents=True)
    (src / "generators.baml").write_text(
        'generator target {\n  output_type "python/pydantic"\n  output_dir "../"\n'
        '  version "VERSION"\n  default_client_mode async\n}\n'
    )
    (src / "clients.baml").write_text(
        'client<llm> Fast {\n  provider openai\n  options {\n    model "gpt-4o-mini"\n'
        "    api_key env.OPENAI_API_KEY\n  }\n}\n"
    )
    body = []
    for i in range(classes):
        body.append(
            f"enum Kind{i} {{\n  A\n  B\n  C\n}}\n"
            f"class Thing{i} {{\n  id string\n  name string\n  score int\n"
            f"  kind Kind{i}?\n  tags string[]\n}}\n"
        )
    for i in range(functions):
        body.append(
            f"function Act{i}(thing: Thing{i % classes}) -> Thing{(i + 1) % classes} {{\n"
            f'  client Fast\n  prompt #"\n    Do task {i} on the thing.\n    {{{{ thing }}}}\n'
            f'    {{{{ ctx.output_format }}}}\n  "#\n}}\n'
        )
    (src / "main.baml").write_text("\n".join(body))


@dataclass
class Row:
    """One command of the table, with what to do before each run of it."""

    name: str
    cmd: list[str]
    cwd: Path
    ok: tuple[int, ...] = (0,)
    before: Callable[[], None] | None = None
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def round_robin(rows: list[Row], env: dict[str, str], runs: int) -> None:
    """``runs`` rounds, each running every row once in order (a fresh process each): a burst
    of load from other work lands on every row alike, not on one row's runs."""
    for _ in range(runs):
        for row in rows:
            if row.before is not None:
                row.before()
            start = time.perf_counter()
            proc = subprocess.run(
                row.cmd, cwd=row.cwd, env=env, capture_output=True, text=True, check=False
            )
            row.samples.append(time.perf_counter() - start)
            if proc.returncode not in row.ok:
                raise SystemExit(
                    f"{' '.join(row.cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                )


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _version() -> str:
    from aiwf import __version__

    return __version__


def wheel_aiwf(work: Path) -> Path:
    """aiwf installed from a wheel of this tree in a fresh venv (its dependencies seen from
    the project's venv through a .pth, so nothing is downloaded); the venv's ``aiwf``."""
    import site

    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)  # fmt: skip
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    lib = next((venv / "lib").glob("python3*")) / "site-packages"
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in site.getsitepackages())
    (lib / "_deps.pth").write_text(lines)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "-q", "--no-deps", *map(str, dist.glob("*.whl"))], check=True)  # fmt: skip
    return venv / "bin" / "aiwf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baml-venv", type=Path, default=ROOT / ".bench" / "baml-venv")
    args = parser.parse_args()

    baml = args.baml_venv / "bin" / "baml-cli"
    if not baml.exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.baml_venv)], check=True)
        subprocess.run(
            [str(args.baml_venv / "bin" / "pip"), "install", "-q", "baml-py"], check=True
        )
    version = subprocess.run([str(baml), "--version"], capture_output=True, text=True, check=True)
    baml_version = version.stdout.split()[-1]

    with tempfile.TemporaryDirectory(prefix="aiwf-bench-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        env = {**os.environ, "AIWF_CACHE_DIR": str(cache)}
        aiwf = [str(wheel_aiwf(work))]

        project = work / "project"
        project.mkdir()
        git(project, "init", "-q")
        (project / "bench.aiwf.yaml").write_text(spec_text())
        sdk = [*aiwf, "sdk", "bench.aiwf.yaml", "--out", "sdk", "--package", "bench_sdk"]
        subprocess.run(sdk, cwd=project, env=env, check=True, capture_output=True)  # scaffold once
        # aiwf sdk after an edit of the spec: what a user runs (compile, render, format, write)
        edits = iter(range(10_000))

        def edited() -> None:
            (project / "bench.aiwf.yaml").write_text(
                spec_text().replace("task 7 ", f"task {next(edits)} ")
            )

        def edited_cold() -> None:
            edited()
            shutil.rmtree(cache / "format", ignore_errors=True)

        def stale_spec() -> None:  # the spec changed since: compile + render + ruff + diff
            (project / "bench.aiwf.yaml").write_text(spec_text().replace("task 7 ", "task seven "))

        def stale_cold() -> None:
            shutil.rmtree(cache / "format", ignore_errors=True)

        from aiwf._generate.history import build_repository

        repo, _ = build_repository(ROOT, work / "templates.git", _version())
        copy_dst = work / "copied"
        copier = [str(BIN / "copier"), "copy", "--trust", "--defaults", "--overwrite", "--quiet",
                  "-d", "lang=python", "-d", "package=bench_sdk", str(repo), str(copy_dst)]  # fmt: skip

        bproj = work / "baml"
        baml_project(bproj)
        gen = bproj / "baml_src" / "generators.baml"
        gen.write_text(gen.read_text().replace("VERSION", baml_version))

        stale = [*aiwf, "check", "sdk", "--no-diff"]
        rows = [
            Row("baml-cli generate (baseline)", [str(baml), "generate", "--from", "baml_src"],
                bproj),
            Row("aiwf sdk (after an edit, warm)", sdk, project, before=edited),
            Row("aiwf check (in step)", [*aiwf, "check", "sdk"], project),
            Row("aiwf sdk (after an edit, cold)", sdk, project, before=edited_cold),
            Row("aiwf check (stale spec, warm)", stale, project, ok=(1,), before=stale_spec),
            Row("aiwf check (stale spec, cold)", stale, project, ok=(1,), before=stale_cold),
            Row("copier copy (scaffold only)", copier, work),
        ]  # fmt: skip
        round_robin(rows, env, args.runs)

    t_baml = rows[0].median
    by_name = {row.name: row.median for row in rows}
    t_check = by_name["aiwf check (in step)"]
    t_sdk = by_name["aiwf sdk (after an edit, warm)"]
    t_sdk_cold = by_name["aiwf sdk (after an edit, cold)"]
    print(f"20 contracts, 50 assistants; median of {args.runs} rounds; baml-cli {baml_version}")
    print("warm: the format cache holds the files the edit did not change; cold: it is empty")
    for row in rows:
        print(f"  {row.name:<32} {row.median * 1000:8.1f} ms   {row.median / t_baml:5.2f}x")
    print(
        f"targets: check <= 1x ({t_check / t_baml:.2f}x), sdk <= 2x "
        f"({t_sdk / t_baml:.2f}x warm, {t_sdk_cold / t_baml:.2f}x cold)"
    )


if __name__ == "__main__":
    main()
