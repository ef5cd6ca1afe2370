"""Helpers for spec tests: write a spec, validate it in-process, find positions in its text."""

from __future__ import annotations

import io
import json
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from aiwf._cli import main

BASE = textwrap.dedent(
    """\
    aiwf: 1
    name: support
    models:
      fast: {provider: openai, model: gpt-5.4-mini}
    schemas:
      Ticket:
        type: object
        required: [id, body]
        properties:
          id: {type: string}
          body: {type: string}
          tier: {enum: [free, pro]}
      Triage:
        type: object
        required: [ticket_id, category]
        properties:
          ticket_id: {type: string}
          category: {enum: [billing, bug, other]}
          urgency: {type: integer, minimum: 1, maximum: 5}
    assistants:
      classify:
        model: fast
        instructions: Classify the ticket.
        input: Ticket
        output: Triage
      summarize:
        model: fast
        instructions: Summarise.
        input: {type: array, items: {$ref: "#/schemas/Triage"}}
        output: {type: object, required: [headline], properties: {headline: {type: string}}}
    workflows:
      triage:
        input:
          type: object
          required: [tickets]
          properties:
            tickets: {type: array, items: {$ref: "#/schemas/Ticket"}}
        steps:
          - id: classify
            assistant: classify
            scatter: ${input.tickets}
            input: ${item}
          - id: digest
            assistant: summarize
            input: ${prev.output}
        output:
          digest: ${steps.digest.output}
          triaged: ${steps.classify.output}
    """
)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> list[dict[str, object]]:
        data: list[dict[str, object]] = json.loads(self.out)
        return data


def run_cli(*args: str) -> Run:
    """Run the aiwf CLI in-process; return its exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def write(tmp: Path, text: str, name: str = "spec.aiwf.yaml") -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th occurrence of ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column
