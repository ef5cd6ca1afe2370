"""Errors of a workflow run; each renders as one line at the CLI boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiwf._errors import AiwfError

if TYPE_CHECKING:
    from aiwf.engine._trace import RunTrace

#: Codes: E500 a step failed, E501 the result is invalid, E502 the input is invalid,
#: E503 a resume was refused, E504 unknown workflow.
STEP_FAILED = "E500"
RESULT_INVALID = "E501"
INPUT_INVALID = "E502"
RESUME_REFUSED = "E503"
UNKNOWN_WORKFLOW = "E504"


def describe_cause(exc: BaseException) -> str:
    """One line about a failure: an :class:`AiwfError`'s message, else class and text."""
    if isinstance(exc, AiwfError):
        text = exc.message
        if exc.code:
            text = f"[{exc.code}] {text}"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())


class StepError(Exception):
    """A step (or one scatter item of it) failed; carries the step, index and cause."""

    def __init__(self, step: str, index: int | None, cause: BaseException | str) -> None:
        self.step = step
        self.index = index
        self.cause = cause
        text = cause if isinstance(cause, str) else describe_cause(cause)
        self.text = text
        where = f"step {step}" + (f" item {index}" if index is not None else "")
        super().__init__(f"{where} failed: {text}")


class RunFailed(AiwfError):
    """A workflow run failed. ``step`` and ``index`` say where (``step`` is ``None`` when the
    final result was invalid); ``run_id`` names the run for ``--resume``."""

    def __init__(
        self,
        message: str,
        *,
        run_id: str,
        step: str | None = None,
        index: int | None = None,
        cause: BaseException | None = None,
        code: str = STEP_FAILED,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        self.run_id = run_id
        self.step = step
        self.index = index
        self.cause = cause
        #: The run's trace up to the failure (set by the engine).
        self.trace: RunTrace | None = None


class StepFailed(RunFailed):
    """A run that failed in a step (``E500``): ``step`` names it, ``index`` the scatter item
    (``None`` for an unscattered step), ``cause`` the error of its call or of its check. A
    :class:`RunFailed` that is not a ``StepFailed`` failed outside the steps (the result
    did not fit its contract, ``E501``)."""
