"""``python -m tests.conformance.report``: every vector on every runner, as a table
(``ok`` or the first difference), and exit 1 when any vector disagrees anywhere."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conformance import RUNNERS, VECTORS, problems, run, vector_id  # noqa: E402


def main() -> int:
    names = [n for n in RUNNERS if importlib.util.find_spec(f"runner_{n}") is not None]
    missing = [n for n in RUNNERS if n not in names]
    table: dict[str, dict[str, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="aiwf-conformance-") as tmp:
        for name in names:
            report = run(name, VECTORS, Path(tmp) / name)
            table[name] = {vector_id(v): problems(v, report) for v in VECTORS}
    width = max(len(vector_id(v)) for v in VECTORS)
    print(f"{'vector':<{width}}  " + "  ".join(f"{n:<10}" for n in names))
    failed = 0
    for path in VECTORS:
        vid = vector_id(path)
        cells = []
        for name in names:
            found = table[name][vid]
            cells.append(f"{'ok' if not found else 'DIFFERS':<10}")
            failed += bool(found)
        print(f"{vid:<{width}}  " + "  ".join(cells))
    agree = sum(all(not table[n][vector_id(v)] for n in names) for v in VECTORS)
    print(f"\n{agree}/{len(VECTORS)} vectors agree on all {len(names)} runners "
          f"({', '.join(names)}), requests included")  # fmt: skip
    if missing:
        print(f"runners without a harness here: {', '.join(missing)}")
    for name in names:
        for vid, found in table[name].items():
            if found:
                print(f"\n{name} / {vid}:\n  " + "\n  ".join(f[:600] for f in found))
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
