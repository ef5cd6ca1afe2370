"""Cold ``aiwf validate``: a new process per run, as a pre-commit hook runs it.

Two cases, each as a ratio to a baseline measured in the same run with the same interpreter
(baseline and aiwf take turns, one run of each per round):

* the presets ``presets/workflows/*.aiwf.yaml`` (each file its own spec) against ``python -c "import yaml"`` (target < 4x, issue 17);
* a generated spec (1,000 assistants, 1,000 workflows of 10 steps: a handful of schemas,
  step chains through ``${prev.output}`` and ``${steps.X.output.field}``, object and array
  templates, interpolations, scatters) against a process that only loads the same file with
  PyYAML's C loader, ``yaml.load(f, Loader=yaml.CSafeLoader)`` (target < 1.5x).

When the large-spec ratio misses its target, the in-process load + compile of the large spec
is profiled with cProfile and the top functions by cumulative time are printed.

    .venv/bin/python benchmarks/validate.py [--small-runs 15] [--large-runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PRESET_DIR = REPO / "presets" / "workflows"
SMALL_TARGET = 4.0
LARGE_TARGET = 1.5
DEFAULT_MAX_SPEC_BYTES = 8 * 1024 * 1024


# -- the generated spec --------------------------------------------------------------------------

SCHEMAS = {
    "Doc": {
        "type": "object",
        "required": ["id", "title", "body"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Summary": {
        "type": "object",
        "required": ["doc_id", "summary"],
        "properties": {
            "doc_id": {"type": "string"},
            "summary": {"type": "string"},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        },
    },
    "Label": {
        "type": "object",
        "required": ["doc_id", "label", "confidence"],
        "additionalProperties": False,
        "properties": {
            "doc_id": {"type": "string"},
            "label": {"enum": ["news", "opinion", "spam", "other"]},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
    },
    "Report": {
        "type": "object",
        "required": ["headline", "count"],
        "properties": {
            "headline": {"type": "string", "maxLength": 280},
            "count": {"type": "integer", "minimum": 0},
        },
    },
    "Note": {
        "type": "object",
        "required": ["doc_id", "note"],
        "properties": {"doc_id": {"type": "string"}, "note": {"type": "string"}},
    },
}

#: Assistant kinds: (input, output). Strings name schemas; dicts are inline schemas.
KINDS = {
    "summarize": ("Doc", "Summary"),
    "label": ("Summary", "Label"),
    "annotate": ("Note", "Summary"),
    "report": ({"type": "array", "items": {"$ref": "#/schemas/Label"}}, "Report"),
    "merge": (
        {
            "type": "object",
            "required": ["headline", "summaries"],
            "properties": {
                "headline": {"type": "string"},
                "summaries": {"type": "array", "items": {"$ref": "#/schemas/Summary"}},
            },
        },
        {
            "type": "object",
            "required": ["doc_id", "summary"],
            "properties": {"doc_id": {"type": "string"}, "summary": {"type": "string"}},
        },
    ),
}
KIND_NAMES = list(KINDS)


def assistant_name(kind: str, i: int) -> str:
    return f"{kind}_{i:04d}"


def generate_spec(n_assistants: int = 1000, n_workflows: int = 1000) -> dict[str, object]:
    """The large spec as plain data: every assistant is used, every workflow type-checks."""
    per_kind = n_assistants // len(KINDS)
    assistants: dict[str, object] = {}
    for kind, (input_schema, output_schema) in KINDS.items():
        for i in range(per_kind):
            assistants[assistant_name(kind, i)] = {
                "model": "fast" if i % 3 else "careful",
                "instructions": f"You are {kind} assistant number {i}. Follow the contract; "
                "answer with JSON only.",
                "input": input_schema,
                "output": output_schema,
                **({"retry": {"max_attempts": 3}} if i % 7 == 0 else {}),
            }

    def pick(kind: str, w: int, k: int) -> str:
        return assistant_name(kind, (w + k * 37) % per_kind)

    workflows: dict[str, object] = {}
    for w in range(n_workflows):
        steps = [
            {"id": "summary", "assistant": pick("summarize", w, 0), "input": "${input.doc}"},
            {"id": "label", "assistant": pick("label", w, 0), "input": "${prev.output}"},
            {
                "id": "note",
                "assistant": pick("annotate", w, 0),
                "input": {
                    "doc_id": "${steps.summary.output.doc_id}",
                    "note": "Label ${steps.label.output.label} for ${input.doc.title}",
                },
            },
            {
                "id": "each_summary",
                "assistant": pick("summarize", w, 1),
                "scatter": "${input.docs}",
                "input": "${item}",
                "concurrency": 8,
            },
            {
                "id": "each_label",
                "assistant": pick("label", w, 1),
                "scatter": "${steps.each_summary.output}",
                "input": "${item}",
            },
            {"id": "report", "assistant": pick("report", w, 0), "input": "${prev.output}"},
            {
                "id": "merged",
                "assistant": pick("merge", w, 0),
                "input": {
                    "headline": "${steps.report.output.headline}",
                    "summaries": "${steps.each_summary.output}",
                },
            },
            {"id": "relabel", "assistant": pick("label", w, 2), "input": "${prev.output}"},
            {
                "id": "final_note",
                "assistant": pick("annotate", w, 1),
                "input": {
                    "doc_id": "${steps.relabel.output.doc_id}",
                    "note": "${steps.note.output.summary}",
                },
                "needs": ["merged"],
            },
            {
                "id": "final_report",
                "assistant": pick("report", w, 1),
                "input": ["${steps.label.output}", "${steps.relabel.output}"],
            },
        ]
        workflows[f"flow_{w:04d}"] = {
            "description": f"Generated workflow {w}.",
            "input": {
                "type": "object",
                "required": ["doc", "docs"],
                "properties": {
                    "doc": {"$ref": "#/schemas/Doc"},
                    "docs": {"type": "array", "items": {"$ref": "#/schemas/Doc"}, "maxItems": 100},
                },
            },
            "steps": steps,
            "output": {
                "report": "${steps.final_report.output}",
                "headline": "${steps.report.output.headline}",
                "note": "${steps.final_note.output}",
            },
        }

    return {
        "aiwf": 1,
        "name": "generated",
        "description": "A large generated spec for the validate benchmark.",
        "models": {
            "fast": {"provider": "openai", "model": "gpt-5.4-mini"},
            "careful": {"provider": "anthropic", "model": "claude-sonnet-5-5", "max_tokens": 1024},
        },
        "schemas": SCHEMAS,
        "assistants": assistants,
        "workflows": workflows,
    }


def write_spec(directory: Path) -> Path:
    path = directory / "large.aiwf.yaml"
    text = yaml.dump(generate_spec(), Dumper=yaml.CSafeDumper, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")
    return path


# -- timing --------------------------------------------------------------------------------------


def time_runs(
    argvs: list[list[str]], runs: int, env: dict[str, str], expect: int = 0
) -> list[list[float]]:
    """Wall time in ms of ``runs`` cold processes of each command (after one untimed warm-up
    round). The commands take turns, one run of each per round, so a burst of load from
    other work falls on the baseline and on aiwf alike."""
    times: list[list[float]] = [[] for _ in argvs]
    for i in range(runs + 1):
        for argv, samples in zip(argvs, times, strict=True):
            start = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, env=env, check=False)
            elapsed = (time.perf_counter() - start) * 1000
            if proc.returncode != expect:
                sys.exit(
                    f"{' '.join(argv)} exited {proc.returncode} (expected {expect}):\n"
                    + proc.stdout.decode()[-3000:]
                    + proc.stderr.decode()[-3000:]
                )
            if i:  # the first round warms the page cache and the .pyc files
                samples.append(elapsed)
    return times


def profile_compile(path: Path, top: int = 25) -> str:
    """cProfile of the in-process load + compile of ``path``; the top functions."""
    from aiwf._ir.compiler import compile_files
    from aiwf._spec import load_spec

    profiler = cProfile.Profile()
    profiler.enable()
    loaded = load_spec(path)
    result = compile_files(loaded.files)
    profiler.disable()
    assert not result.errors, result.errors[:5]
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-runs", type=int, default=15)
    parser.add_argument("--large-runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile even when on target")
    parser.add_argument("--keep", action="store_true", help="keep the generated spec")
    args = parser.parse_args()

    python = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWF_")}
    # As installed: pip compiles aiwf's bytecode when it installs a wheel, and a checkout
    # writes it on the first run, unless PYTHONDONTWRITEBYTECODE is set (as on some CI
    # machines), when every process would compile aiwf from source. Compile it once here.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(str(REPO / "aiwf"), quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="aiwf-bench-"))
    (tmp / "aiwf.toml").write_text("", encoding="utf-8")  # no project config from upwards
    config = ["--config", str(tmp / "aiwf.toml")]
    validate = [python, "-m", "aiwf", "validate", *config]

    large = write_spec(tmp)
    size = large.stat().st_size
    limit = DEFAULT_MAX_SPEC_BYTES
    print(f"generated spec: {large} ({size / 1024 / 1024:.1f} MiB, {size:,} bytes)")
    if size > limit:
        print(f"note: over the default AIWF_MAX_SPEC_BYTES ({limit:,}); raising it for the run")
        env["AIWF_MAX_SPEC_BYTES"] = str(size * 2)

    # The generated spec must validate cleanly (and silently) before anything is timed.
    check = subprocess.run([*validate, str(large)], capture_output=True, env=env, check=False)
    assert check.returncode == 0, check.stdout.decode()[:5000] + check.stderr.decode()[:5000]
    assert not check.stdout.strip(), check.stdout.decode()[:5000]

    # The preset directory holds several independent specs (one per file, each with its own
    # name), so they are passed as separate paths, the way a pre-commit hook passes files.
    presets = sorted(str(p) for p in PRESET_DIR.glob("*.aiwf.yaml"))
    small_base, small = time_runs(
        [[python, "-c", "import yaml"], [*validate, *presets]], args.small_runs, env
    )
    large_base, large_run = time_runs(
        [
            [
                python,
                "-c",
                "import sys, yaml\nwith open(sys.argv[1], 'rb') as f: "
                "yaml.load(f, Loader=yaml.CSafeLoader)",
                str(large),
            ],
            [*validate, str(large)],
        ],
        args.large_runs,
        env,
    )

    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    small_ratio = med(small) / med(small_base)
    large_ratio = med(large_run) / med(large_base)
    rows = [
        ('baseline: python -c "import yaml"', med(small_base), None, None),
        (
            f"aiwf validate presets/workflows/*.aiwf.yaml ({len(presets)} files)",
            med(small),
            small_ratio,
            SMALL_TARGET,
        ),
        ("baseline: yaml.load(large, CSafeLoader)", med(large_base), None, None),
        ("aiwf validate large.aiwf.yaml", med(large_run), large_ratio, LARGE_TARGET),
    ]
    print()
    print(f"python: {python} ({sys.version.split()[0]}); runs: small {args.small_runs}, "
          f"large {args.large_runs}; libyaml: {yaml.__with_libyaml__}")  # fmt: skip
    print()
    print("| command | median ms | ratio | target | ok |")
    print("|---|---:|---:|---:|:--:|")
    for name, ms, ratio, target in rows:
        if ratio is None:
            print(f"| {name} | {ms:.0f} | 1.00x | | |")
        else:
            ok = "yes" if ratio < target else "**no**"
            print(f"| {name} | {ms:.0f} | {ratio:.2f}x | < {target:g}x | {ok} |")

    if large_ratio >= LARGE_TARGET or args.profile:
        print()
        print("## profile: in-process load + compile of the large spec")
        os.environ.update({k: v for k, v in env.items() if k == "AIWF_MAX_SPEC_BYTES"})
        start = time.perf_counter()
        report = profile_compile(large)
        print(f"(profiled wall time {time.perf_counter() - start:.1f} s)")
        print(report)

    if not args.keep:
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
