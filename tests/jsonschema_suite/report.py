"""The conformance report: per keyword file and per target, cases passed / cases run, then
the groups outside aiwf's supported keyword set with the reason.

    python -m tests.jsonschema_suite.report [--targets ir,python,go,typescript] [--details]

Exits 1 when any target disagrees with the suite on a supported case.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from .runners import run_all
from .suite import TARGETS, Outcome, Suite, disagreements, load


def table(suite: Suite, results: dict[str, list[Outcome]]) -> str:
    targets = list(results)
    head = ["file", "groups", "supported", *targets]
    rows: list[list[str]] = []
    totals = {t: [0, 0] for t in targets}
    for file in suite.files:
        groups = [g for g in suite.groups if g.file == file]
        supported = [g for g in groups if g.reason is None]
        row = [file, str(len(groups)), str(len(supported))]
        for target in targets:
            mine = [o for o in results[target] if o.case.file == file]
            ok = sum(o.agrees for o in mine)
            totals[target][0] += ok
            totals[target][1] += len(mine)
            row.append(f"{ok}/{len(mine)}")
        rows.append(row)
    rows.append(
        ["total", str(len(suite.groups)), str(len(suite.supported))]
        + [f"{totals[t][0]}/{totals[t][1]}" for t in targets]
    )
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def unsupported(suite: Suite) -> str:
    lines = [
        f"Unsupported groups ({len(suite.unsupported)} of {len(suite.groups)}, "
        f"{sum(len(g.cases) for g in suite.unsupported)} cases not run):",
        "",
    ]
    for g in suite.unsupported:
        lines.append(f"- {g.file}#{g.index} {g.description!r}: {g.reason}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--details", action="store_true", help="list every disagreement")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    targets = tuple(t for t in args.targets.split(",") if t)
    with tempfile.TemporaryDirectory(prefix="aiwf-suite-") as tmp:
        workdir = args.workdir or Path(tmp)
        started = time.perf_counter()
        suite = load(workdir)
        results = run_all(suite, workdir, targets)
        elapsed = time.perf_counter() - started
    print(f"JSON-Schema-Test-Suite ({suite.root.name}/draft2020-12), aiwf contracts")
    print()
    print(table(suite, results))
    print()
    print(unsupported(suite))
    failed = False
    for target, outcomes in results.items():
        problems = disagreements(outcomes)
        if problems:
            failed = True
            print(f"\n{target}: {len(problems)} disagreement(s)")
            for p in problems if args.details else problems[:10]:
                print(f"  {p}")
    print(f"\n({elapsed:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
