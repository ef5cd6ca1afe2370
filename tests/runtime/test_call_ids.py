"""Call ids: 16 random hex digits each, never repeated, a forked child's its own."""

from __future__ import annotations

import os
import re
import sys

import pytest

from aiwf.runtime._client import _call_id


def test_call_ids_are_16_hex_digits_and_unique() -> None:
    ids = [_call_id() for _ in range(1_000)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", one) for one in ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.skipif(sys.platform == "win32", reason="os.fork is POSIX")
def test_a_forked_child_does_not_reuse_its_parents_ids() -> None:
    _call_id()  # the parent has ids read ahead
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its next ids, leave at once
        os.close(read)
        os.write(write, "".join(_call_id() for _ in range(8)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        child = pipe.read().decode()
    os.waitpid(pid, 0)
    parent = "".join(_call_id() for _ in range(8))
    child_ids = {child[i : i + 16] for i in range(0, len(child), 16)}
    assert len(child_ids) == 8
    assert not child_ids & {parent[i : i + 16] for i in range(0, len(parent), 16)}
