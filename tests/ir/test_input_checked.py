"""``Step.input_checked``: the compiler says which step inputs are values an engine has already
checked against the assistant's input contract (and only those), and the IR carries it."""

from __future__ import annotations

from pathlib import Path

from spec_support import write

from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program, load_ir
from aiwf._spec import load_spec

SPEC = """
aiwf: 1
name: t
models: {m: {provider: openai, model: x}}
schemas:
  Num: {type: object, required: [n], properties: {n: {type: integer}}}
  Other: {type: object, required: [n], properties: {n: {type: integer}}}
  Box: {type: object, required: [nums], properties: {nums: {type: array, items: {$ref: "#/schemas/Num"}}}}
assistants:
  inc: {model: m, instructions: i, input: Num, output: Num}
  other: {model: m, instructions: i, input: Other, output: Num}
  box: {model: m, instructions: i, input: Num, output: Box}
  whole: {model: m, instructions: i, input: Box, output: Num}
  any: {model: m, instructions: i, input: true, output: Num}
workflows:
  w:
    input: Box
    steps:
      - {id: boxed, assistant: whole, input: "${input}"}
      - {id: made, assistant: box, input: "${steps.boxed.output}"}
      - {id: fan, assistant: inc, scatter: "${steps.made.output.nums}", input: "${item}"}
      - {id: again, assistant: inc, scatter: "${steps.fan.output}", input: "${item}"}
      - {id: skipping, assistant: inc, scatter: "${input.nums}", input: "${item}", on_error: skip}
      - {id: whole_in_fan, assistant: whole, scatter: "${input.nums}", input: "${input}"}
      - {id: item_path, assistant: inc, scatter: "${input.nums}", input: {n: "${item.n}"}}
      - {id: other_items, assistant: other, scatter: "${input.nums}", input: "${item}"}
      - {id: fan_as_input, assistant: any, input: "${steps.fan.output}"}
      - {id: prev, assistant: inc, input: "${prev.output}"}
      - {id: as_other, assistant: other, input: "${steps.boxed.output}"}
      - {id: field, assistant: whole, input: {nums: "${input.nums}"}}
    output: "${steps.prev.output}"
"""


def compile_text(tmp: Path, text: str) -> Program:
    result = compile_files(load_spec(write(tmp, text)).files)
    assert result.program is not None, result.diagnostics
    return result.program


def test_the_compiler_marks_exactly_the_inputs_checked_already(tmp_path: Path) -> None:
    program = compile_text(tmp_path, SPEC)
    steps = program.workflows["w"].steps
    assert {s.id: s.input_checked for s in steps} == {
        "boxed": True,          # the workflow input, of the assistant's input contract
        "made": True,           # an unscattered step's output, of that contract
        "fan": True,            # elements of a checked output, typed as the contract
        "again": True,          # the outputs of a scatter that fails on error: each checked
        "skipping": True,
        "whole_in_fan": False,  # only ${item} counts in a scattered step
        "item_path": False,     # a template builds a new value
        "other_items": False,   # the same shape under another name is not the contract
        "fan_as_input": False,  # an assistant without an input contract of its own
        "prev": True,           # ${prev.output} of an unscattered step with that contract
        "as_other": False,      # a Num where an Other is expected: checked again
        "field": False,
    }  # fmt: skip
    # It is part of the IR: written, read back and digested.
    again = load_ir(program.to_json())
    assert [s.input_checked for s in again.workflows["w"].steps] == [s.input_checked for s in steps]
    unchecked = program.written_as(1).written_as(2)
    assert unchecked.digest() != program.digest()
