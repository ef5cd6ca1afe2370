"""run_async (what aiwf run and aiwf dry-run run the engine with) hands the result back
without asyncio ever formatting it: its repr is the whole run (trace and output), and
asyncio.run formats its main task (result included) when it checks its SIGINT handler."""

from __future__ import annotations

import signal
import threading

import pytest

from aiwf.engine._session import run_async


class _Result:
    """A result whose repr counts how often it is asked for."""

    def __init__(self) -> None:
        self.reprs = 0

    def __repr__(self) -> str:
        self.reprs += 1
        return "_Result()"


def test_the_result_comes_back_unformatted() -> None:
    assert threading.current_thread() is threading.main_thread()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # asyncio.run's case
    result = _Result()

    async def main() -> _Result:
        return result

    assert run_async(main) is result
    assert result.reprs == 0


def test_a_failure_propagates() -> None:
    async def main() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_async(main)


def test_a_run_result_repr_stays_short_however_large_the_output() -> None:
    """Users run ``asyncio.run(engine.run(...))``, which formats the RunResult (above): its
    repr cuts the output short and sums the trace up instead of writing them whole."""
    from aiwf.engine import RunResult
    from aiwf.engine._trace import RunTrace

    trace = RunTrace(
        run_id="r1", workflow="fan", spec="s.aiwf.yaml", digest="d", status="succeeded"
    )
    result = RunResult(
        run_id="r1", workflow="fan", output=[{"n": i} for i in range(100_000)], trace=trace
    )
    text = repr(result)
    assert len(text) < 300, text
    assert text.startswith("RunResult(run_id='r1', workflow='fan', output=[{'n': 0}, ")
    assert text.endswith("trace=<RunTrace of 0 steps, succeeded>)")
