"""A writer process for the file store's crash and multi-process tests (not a test module).

python writer_proc.py slow ROOT KEY SIZE BYTE   # one put, chunk by chunk, reporting each
python writer_proc.py loop ROOT KEY COUNT SIZE BYTE   # COUNT puts of one payload
python writer_proc.py journal ROOT KEY COUNT   # COUNT appends, never committed, each reported
"""

from __future__ import annotations

import sys
import time
from typing import BinaryIO

import aiwf.stores._file as file_store
from aiwf.stores import open_store


def slow_write_payload(fh: BinaryIO, data: bytes) -> None:
    """Write in small chunks, flushed to the file, telling the parent after each one, so the
    parent can kill this process at a point of its choosing mid-write."""
    view = memoryview(data)
    step = 64 * 1024
    for number, start in enumerate(range(0, len(view), step), start=1):
        fh.write(view[start : start + step])
        fh.flush()
        print(f"chunk {number}", flush=True)
        time.sleep(0.002)


def main(argv: list[str]) -> None:
    mode, root, key = argv[:3]
    store = open_store(root)
    if mode == "slow":
        size, byte = int(argv[3]), int(argv[4])
        file_store.write_payload = slow_write_payload
        store.put(key, bytes([byte]) * size)
        print("done", flush=True)
    elif mode == "loop":
        count, size, byte = int(argv[3]), int(argv[4]), int(argv[5])
        for _ in range(count):
            store.put(key, bytes([byte]) * size)
    elif mode == "journal":
        journal = store.open_journal(key)
        for i in range(int(argv[3])):
            journal.append(b'{"i": %d}' % i)
            print(f"appended {i + 1}", flush=True)
        print("done", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
