"""One spec pair per rule of ``aiwf breaking`` (some rules have more than one), each with a
caller in every SDK language written against the *old* SDK.

``breaks`` names the languages where the caller must stop compiling against the new SDK;
the measured test (test_measured.py) builds every caller with the real toolchain against
both SDKs, and the rule table test checks that each rule's ``affects`` is exactly what its
cases measure. ``instance`` is a JSON value that shows the wire break: an input the old
contract accepts and the new one refuses, or an output the new contract allows and the old
one refuses. The line marked ``# <-`` (in the new spec, or the old one for removals) is
where the finding must point.

Every case names its items after its id, so that all cases fit in one spec pair (one SDK
per language and side for the whole table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HEADER = """\
aiwf: 1
name: breakcases
models:
  m: {provider: openai, model: gpt-x}
  m2: {provider: openai, model: gpt-y}
"""


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    level: str
    old: str
    new: str
    #: Languages whose caller fails against the new SDK.
    breaks: tuple[str, ...] = ()
    #: Whether JSON written for one version is refused by the other.
    wire: bool = False
    #: A JSON value showing the wire break (see the module docstring), and its contract.
    instance: Any = None
    contract: str | None = None
    #: Other rules the same change triggers (reported too).
    also: tuple[str, ...] = ()
    python: str = "pass"
    go: str = ""
    typescript: str = ""


def _q(name: str) -> str:
    """An inline input for an assistant whose output is the case's subject."""
    return f"{{type: object, properties: {{q_{name}: {{type: string}}}}}}"


CASES: list[Case] = [
    # -- named items ------------------------------------------------------------------------
    Case(
        "s01",
        "schema-removed",
        "error",
        old="""
schemas:
  S01Gone:   # <-
    type: object
    properties:
      a_s01: {type: string}
""",
        new="",
        breaks=("python", "go", "typescript"),
        python='x = S01Gone(a_s01="x")\nprint(x)',
        go="var x sdk.S01Gone\n_ = x",
        typescript='const x: sdk.S01Gone = { a_s01: "x" };\nvoid x;',
    ),
    Case(
        "s02",
        "schema-renamed",
        "error",
        old="""
schemas:
  S02Old:
    type: object
    properties:
      v_s02: {type: integer}
""",
        new="""
schemas:
  S02New:   # <-
    type: object
    properties:
      v_s02: {type: integer}
""",
        breaks=("python", "go", "typescript"),
        python="x = S02Old(v_s02=1)\nprint(x)",
        go="x := sdk.S02Old{}\n_ = x",
        typescript="const x: sdk.S02Old = { v_s02: 1 };\nvoid x;",
    ),
    Case(
        "s03",
        "schema-added",
        "none",
        old="""
schemas:
  S03Keep: {type: object, properties: {k_s03: {type: string}}}
""",
        new="""
schemas:
  S03Keep: {type: object, properties: {k_s03: {type: string}}}
  S03Added: {type: object, properties: {n_s03: {type: string}}}   # <-
""",
        python='x = S03Keep(k_s03="x")\nprint(x)',
        go="x := sdk.S03Keep{}\n_ = x",
        typescript='const x: sdk.S03Keep = { k_s03: "x" };\nvoid x;',
    ),
    Case(
        "a04",
        "assistant-removed",
        "error",
        old="""
assistants:
  a04:   # <-
    {model: m, instructions: case a04, input: {type: string}, output: {type: string}}
""",
        new="",
        breaks=("python", "go", "typescript"),
        python='out = await a04(A04Input("q"))\nprint(out)',
        go='_, err := c.A04(ctx, "q")\n_ = err',
        typescript='await sdk.a04("q");',
    ),
    Case(
        "a05",
        "assistant-renamed",
        "error",
        old="""
assistants:
  a05old: {model: m, instructions: case a05, input: {type: string}, output: {type: string}}
""",
        new="""
assistants:
  a05new: {model: m, instructions: case a05, input: {type: string}, output: {type: string}}   # <-
""",
        breaks=("python", "go", "typescript"),
        python='out = await a05old(A05oldInput("q"))\nprint(out)',
        go='_, err := c.A05old(ctx, "q")\n_ = err',
        typescript='await sdk.a05old("q");',
    ),
    Case(
        "a06",
        "assistant-added",
        "none",
        old="""
assistants:
  a06: {model: m, instructions: case a06, input: {type: string}, output: {type: string}}
""",
        new="""
assistants:
  a06: {model: m, instructions: case a06, input: {type: string}, output: {type: string}}
  a06b: {model: m, instructions: case a06b, input: {type: string}, output: {type: string}}   # <-
""",
        python='out = await a06(A06Input("q"))\nprint(out)',
        go='_, err := c.A06(ctx, "q")\n_ = err',
        typescript='await sdk.a06("q");',
    ),
    Case(
        "w07",
        "workflow-removed",
        "error",
        old="""
assistants:
  a07: {model: m, instructions: case w07, input: {type: string}, output: {type: string}}
workflows:
  w07:   # <-
    input: {type: string}
    steps: [{id: s, assistant: a07, input: "${input}"}]
    output: {r: "${steps.s.output}"}
""",
        new="""
assistants:
  a07: {model: m, instructions: case w07, input: {type: string}, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        python='out = await w07(W07Input("q"))\nprint(out.r)',
        go='out, _, err := c.W07(ctx, "q")\n_, _ = out, err',
        typescript='const out = await sdk.w07("q");\nvoid out.r;',
    ),
    Case(
        "w08",
        "workflow-renamed",
        "error",
        old="""
assistants:
  a08: {model: m, instructions: case w08, input: {type: string}, output: {type: string}}
workflows:
  w08old:
    input: {type: string}
    steps: [{id: s, assistant: a08, input: "${input}"}]
    output: {r: "${steps.s.output}"}
""",
        new="""
assistants:
  a08: {model: m, instructions: case w08, input: {type: string}, output: {type: string}}
workflows:
  w08new:   # <-
    input: {type: string}
    steps: [{id: s, assistant: a08, input: "${input}"}]
    output: {r: "${steps.s.output}"}
""",
        breaks=("python", "go", "typescript"),
        python='out = await w08old(W08oldInput("q"))\nprint(out.r)',
        go='out, _, err := c.W08old(ctx, "q")\n_, _ = out, err',
        typescript='const out = await sdk.w08old("q");\nvoid out.r;',
    ),
    Case(
        "w09",
        "workflow-added",
        "none",
        old="""
assistants:
  a09: {model: m, instructions: case w09, input: {type: string}, output: {type: string}}
""",
        new="""
assistants:
  a09: {model: m, instructions: case w09, input: {type: string}, output: {type: string}}
workflows:
  w09:   # <-
    input: {type: string}
    steps: [{id: s, assistant: a09, input: "${input}"}]
    output: {r: "${steps.s.output}"}
""",
        python='out = await a09(A09Input("q"))\nprint(out)',
        go='_, err := c.A09(ctx, "q")\n_ = err',
        typescript='await sdk.a09("q");',
    ),
    # -- behaviour --------------------------------------------------------------------------
    Case(
        "b10",
        "assistant-model-changed",
        "info",
        old="""
assistants:
  b10: {model: m, instructions: case b10, input: {type: string}, output: {type: string}}
""",
        new="""
assistants:
  b10: {model: m2, instructions: case b10, input: {type: string}, output: {type: string}}   # <- model
""",
        python='out = await b10(B10Input("q"))\nprint(out)',
        go='_, err := c.B10(ctx, "q")\n_ = err',
        typescript='await sdk.b10("q");',
    ),
    Case(
        "b11",
        "assistant-instructions-changed",
        "info",
        old="""
assistants:
  b11:
    model: m
    instructions: Answer in one line.
    input: {type: string}
    output: {type: string}
""",
        new="""
assistants:
  b11:
    model: m
    instructions: Answer in one short line.   # <-
    input: {type: string}
    output: {type: string}
""",
        python='out = await b11(B11Input("q"))\nprint(out)',
        go='_, err := c.B11(ctx, "q")\n_ = err',
        typescript='await sdk.b11("q");',
    ),
    Case(
        "b12",
        "assistant-temperature-changed",
        "info",
        old="""
assistants:
  b12:
    model: m
    instructions: case b12
    temperature: 0.2
    input: {type: string}
    output: {type: string}
""",
        new="""
assistants:
  b12:
    model: m
    instructions: case b12
    temperature: 0.7   # <-
    input: {type: string}
    output: {type: string}
""",
        python='out = await b12(B12Input("q"))\nprint(out)',
        go='_, err := c.B12(ctx, "q")\n_ = err',
        typescript='await sdk.b12("q");',
    ),
    Case(
        "b13",
        "workflow-steps-changed",
        "info",
        old="""
assistants:
  a13: {model: m, instructions: case b13, input: {type: string}, output: {type: string}}
workflows:
  b13:
    input: {type: string}
    steps:
      - {id: s, assistant: a13, input: "${input}"}
    output: {r: "${steps.s.output}"}
""",
        new="""
assistants:
  a13: {model: m, instructions: case b13, input: {type: string}, output: {type: string}}
workflows:
  b13:
    input: {type: string}
    steps:   # <-
      - {id: s, assistant: a13, input: "${input}"}
      - {id: t, assistant: a13, input: "${prev.output}"}
    output: {r: "${steps.t.output}"}
""",
        python='out = await b13(B13Input("q"))\nprint(out.r)',
        go='out, _, err := c.B13(ctx, "q")\n_, _ = out, err',
        typescript='const out = await sdk.b13("q");\nvoid out.r;',
    ),
    # -- input properties -------------------------------------------------------------------
    Case(
        "p14",
        "input-required-property-added",
        "error",
        old="""
schemas:
  P14In: {type: object, required: [a], properties: {a: {type: string}}}
assistants:
  p14: {model: m, instructions: case p14, input: P14In, output: {type: string}}
""",
        new="""
schemas:
  P14In:
    type: object
    required: [a, b]
    properties:
      a: {type: string}
      b: {type: string}   # <-
assistants:
  p14: {model: m, instructions: case p14, input: P14In, output: {type: string}}
""",
        breaks=("python", "typescript"),
        wire=True,
        instance={"a": "x"},
        contract="P14In",
        python='await p14(P14In(a="x"))',
        go='_, err := c.P14(ctx, sdk.P14In{A: "x"})\n_ = err',
        typescript='await sdk.p14({ a: "x" });',
    ),
    Case(
        "p15",
        "input-property-added",
        "none",
        old="""
schemas:
  P15In: {type: object, required: [a], properties: {a: {type: string}}}
assistants:
  p15: {model: m, instructions: case p15, input: P15In, output: {type: string}}
""",
        new="""
schemas:
  P15In:
    type: object
    required: [a]
    properties:
      a: {type: string}
      b: {type: string}   # <-
assistants:
  p15: {model: m, instructions: case p15, input: P15In, output: {type: string}}
""",
        python='await p15(P15In(a="x"))',
        go='_, err := c.P15(ctx, sdk.P15In{A: "x"})\n_ = err',
        typescript='await sdk.p15({ a: "x" });',
    ),
    Case(
        "p16",
        "input-property-made-required",
        "error",
        old="""
schemas:
  P16In: {type: object, required: [a], properties: {a: {type: string}, b: {type: string}}}
assistants:
  p16: {model: m, instructions: case p16, input: P16In, output: {type: string}}
""",
        new="""
schemas:
  P16In:
    type: object
    required: [a, b]
    properties:
      a: {type: string}
      b: {type: string}   # <-
assistants:
  p16: {model: m, instructions: case p16, input: P16In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"a": "x"},
        contract="P16In",
        python='await p16(P16In(a="x"))\nawait p16(P16In(a="x", b="y"))',
        go='b := "y"\n_, err := c.P16(ctx, sdk.P16In{A: "x", B: &b})\n_ = err',
        typescript='await sdk.p16({ a: "x" });\nawait sdk.p16({ a: "x", b: "y" });',
    ),
    Case(
        "p17",
        "input-property-made-optional",
        "warning",
        old="""
schemas:
  P17In: {type: object, required: [a, b], properties: {a: {type: string}, b: {type: string}}}
assistants:
  p17: {model: m, instructions: case p17, input: P17In, output: {type: string}}
""",
        new="""
schemas:
  P17In:
    type: object
    required: [a]
    properties:
      a: {type: string}
      b: {type: string}   # <-
assistants:
  p17: {model: m, instructions: case p17, input: P17In, output: {type: string}}
""",
        breaks=("go",),
        python='await p17(P17In(a="x", b="y"))',
        go='_, err := c.P17(ctx, sdk.P17In{A: "x", B: "y"})\n_ = err',
        typescript='await sdk.p17({ a: "x", b: "y" });',
    ),
    Case(
        "p18",
        "input-property-removed",
        "warning",
        old="""
schemas:
  P18In:
    type: object
    required: [a]
    properties:
      a: {type: string}
      b: {type: string}   # <-
assistants:
  p18: {model: m, instructions: case p18, input: P18In, output: {type: string}}
""",
        new="""
schemas:
  P18In: {type: object, required: [a], properties: {a: {type: string}}}
assistants:
  p18: {model: m, instructions: case p18, input: P18In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        python='await p18(P18In(a="x", b="y"))',
        go='b := "y"\n_, err := c.P18(ctx, sdk.P18In{A: "x", B: &b})\n_ = err',
        typescript='await sdk.p18({ a: "x", b: "y" });',
    ),
    Case(
        "p19",
        "input-property-removed-closed",
        "error",
        old="""
schemas:
  P19In:
    type: object
    additionalProperties: false
    required: [a]
    properties:
      a: {type: string}
      b: {type: string}   # <-
assistants:
  p19: {model: m, instructions: case p19, input: P19In, output: {type: string}}
""",
        new="""
schemas:
  P19In:
    type: object
    additionalProperties: false
    required: [a]
    properties:
      a: {type: string}
assistants:
  p19: {model: m, instructions: case p19, input: P19In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"a": "x", "b": "y"},
        contract="P19In",
        python='await p19(P19In(a="x", b="y"))',
        go='b := "y"\n_, err := c.P19(ctx, sdk.P19In{A: "x", B: &b})\n_ = err',
        typescript='await sdk.p19({ a: "x", b: "y" });',
    ),
    Case(
        "p20",
        "input-json-name-changed",
        "error",
        old="""
schemas:
  P20In: {type: object, required: [ticket_id], properties: {ticket_id: {type: string}}}
assistants:
  p20: {model: m, instructions: case p20, input: P20In, output: {type: string}}
""",
        new="""
schemas:
  P20In:
    type: object
    required: [ticketId]
    properties:
      ticketId: {type: string}   # <-
assistants:
  p20: {model: m, instructions: case p20, input: P20In, output: {type: string}}
""",
        breaks=("python", "typescript"),
        wire=True,
        instance={"ticket_id": "x"},
        contract="P20In",
        python='await p20(P20In(ticket_id="x"))',
        go='_, err := c.P20(ctx, sdk.P20In{TicketId: "x"})\n_ = err',
        typescript='await sdk.p20({ ticket_id: "x" });',
    ),
    # -- output properties ------------------------------------------------------------------
    Case(
        "o21",
        "output-required-property-removed",
        "error",
        old=f"""
schemas:
  O21Out:
    type: object
    required: [x, y]
    properties:
      x: {{type: string}}
      y: {{type: string}}   # <-
assistants:
  o21: {{model: m, instructions: case o21, input: {_q("o21")}, output: O21Out}}
""",
        new=f"""
schemas:
  O21Out: {{type: object, required: [x], properties: {{x: {{type: string}}}}}}
assistants:
  o21: {{model: m, instructions: case o21, input: {_q("o21")}, output: O21Out}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"x": "a"},
        contract="O21Out",
        python="out = await o21(O21Input())\ny: str = out.y\nprint(y)",
        go="out, err := c.O21(ctx, sdk.O21Input{})\nvar y string = out.Y\n_, _ = y, err",
        typescript="const out = await sdk.o21({});\nconst y: string = out.y;\nvoid y;",
    ),
    Case(
        "o22",
        "output-property-removed",
        "error",
        old=f"""
schemas:
  O22Out:
    type: object
    required: [x]
    properties:
      x: {{type: string}}
      y: {{type: string}}   # <-
assistants:
  o22: {{model: m, instructions: case o22, input: {_q("o22")}, output: O22Out}}
""",
        new=f"""
schemas:
  O22Out: {{type: object, required: [x], properties: {{x: {{type: string}}}}}}
assistants:
  o22: {{model: m, instructions: case o22, input: {_q("o22")}, output: O22Out}}
""",
        breaks=("python", "go", "typescript"),
        python="out = await o22(O22Input())\ny: str | None = out.y\nprint(y)",
        go="out, err := c.O22(ctx, sdk.O22Input{})\nvar y *string = out.Y\n_, _ = y, err",
        typescript="const out = await sdk.o22({});\nconst y: string | undefined = out.y;\nvoid y;",
    ),
    Case(
        "o23",
        "output-property-made-optional",
        "error",
        old=f"""
schemas:
  O23Out: {{type: object, required: [x, y], properties: {{x: {{type: string}}, y: {{type: string}}}}}}
assistants:
  o23: {{model: m, instructions: case o23, input: {_q("o23")}, output: O23Out}}
""",
        new=f"""
schemas:
  O23Out:
    type: object
    required: [x]
    properties:
      x: {{type: string}}
      y: {{type: string}}   # <-
assistants:
  o23: {{model: m, instructions: case o23, input: {_q("o23")}, output: O23Out}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"x": "a"},
        contract="O23Out",
        python="out = await o23(O23Input())\ny: str = out.y\nprint(y)",
        go="out, err := c.O23(ctx, sdk.O23Input{})\nvar y string = out.Y\n_, _ = y, err",
        typescript="const out = await sdk.o23({});\nconst y: string = out.y;\nvoid y;",
    ),
    Case(
        "o24",
        "output-property-made-required",
        "error",
        old=f"""
schemas:
  O24Out: {{type: object, required: [x], properties: {{x: {{type: string}}, y: {{type: string}}}}}}
assistants:
  o24: {{model: m, instructions: case o24, input: {_q("o24")}, output: O24Out}}
""",
        new=f"""
schemas:
  O24Out:
    type: object
    required: [x, y]
    properties:
      x: {{type: string}}
      y: {{type: string}}   # <-
assistants:
  o24: {{model: m, instructions: case o24, input: {_q("o24")}, output: O24Out}}
""",
        breaks=("go",),
        python="out = await o24(O24Input())\ny: str | None = out.y\nprint(y)",
        go="out, err := c.O24(ctx, sdk.O24Input{})\nif out.Y != nil {\n\t_ = *out.Y\n}\n_ = err",
        typescript="const out = await sdk.o24({});\nconst y: string | undefined = out.y;\nvoid y;",
    ),
    Case(
        "o25",
        "output-property-added-closed",
        "error",
        old=f"""
schemas:
  O25Out:
    type: object
    additionalProperties: false
    properties: {{x: {{type: string}}}}
assistants:
  o25: {{model: m, instructions: case o25, input: {_q("o25")}, output: O25Out}}
""",
        new=f"""
schemas:
  O25Out:
    type: object
    additionalProperties: false
    properties:
      x: {{type: string}}
      y: {{type: string}}   # <-
assistants:
  o25: {{model: m, instructions: case o25, input: {_q("o25")}, output: O25Out}}
""",
        wire=True,
        instance={"x": "a", "y": "b"},
        contract="O25Out",
        python="out = await o25(O25Input())\nx: str | None = out.x\nprint(x)",
        go="out, err := c.O25(ctx, sdk.O25Input{})\nvar x *string = out.X\n_, _ = x, err",
        typescript="const out = await sdk.o25({});\nconst x: string | undefined = out.x;\nvoid x;",
    ),
    Case(
        "o26",
        "output-property-added",
        "none",
        old=f"""
schemas:
  O26Out: {{type: object, properties: {{x: {{type: string}}}}}}
assistants:
  o26: {{model: m, instructions: case o26, input: {_q("o26")}, output: O26Out}}
""",
        new=f"""
schemas:
  O26Out:
    type: object
    properties:
      x: {{type: string}}
      y: {{type: string}}   # <-
assistants:
  o26: {{model: m, instructions: case o26, input: {_q("o26")}, output: O26Out}}
""",
        python="out = await o26(O26Input())\nx: str | None = out.x\nprint(x)",
        go="out, err := c.O26(ctx, sdk.O26Input{})\nvar x *string = out.X\n_, _ = x, err",
        typescript="const out = await sdk.o26({});\nconst x: string | undefined = out.x;\nvoid x;",
    ),
    Case(
        "o27",
        "output-json-name-changed",
        "error",
        old=f"""
schemas:
  O27Out: {{type: object, required: [ticket_id], properties: {{ticket_id: {{type: string}}}}}}
assistants:
  o27: {{model: m, instructions: case o27, input: {_q("o27")}, output: O27Out}}
""",
        new=f"""
schemas:
  O27Out:
    type: object
    required: [ticketId]
    properties:
      ticketId: {{type: string}}   # <-
assistants:
  o27: {{model: m, instructions: case o27, input: {_q("o27")}, output: O27Out}}
""",
        breaks=("typescript",),
        wire=True,
        instance={"ticketId": "a"},
        contract="O27Out",
        python="out = await o27(O27Input())\nt: str = out.ticket_id\nprint(t)",
        go="out, err := c.O27(ctx, sdk.O27Input{})\nvar t string = out.TicketId\n_, _ = t, err",
        typescript="const out = await sdk.o27({});\nconst t: string = out.ticket_id;\nvoid t;",
    ),
]

CASES += [
    # -- types ---------------------------------------------------------------------------------
    Case(
        "t28",
        "input-type-changed",
        "error",
        old="""
schemas:
  T28In: {type: object, required: [v], properties: {v: {type: string}}}
assistants:
  t28: {model: m, instructions: case t28, input: T28In, output: {type: string}}
""",
        new="""
schemas:
  T28In:
    type: object
    required: [v]
    properties:
      v: {type: integer}   # <-
assistants:
  t28: {model: m, instructions: case t28, input: T28In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"v": "x"},
        contract="T28In",
        python='await t28(T28In(v="x"))',
        go='_, err := c.T28(ctx, sdk.T28In{V: "x"})\n_ = err',
        typescript='await sdk.t28({ v: "x" });',
    ),
    Case(
        "t29",
        "output-type-changed",
        "error",
        old=f"""
schemas:
  T29Out: {{type: object, required: [v], properties: {{v: {{type: string}}}}}}
assistants:
  t29: {{model: m, instructions: case t29, input: {_q("t29")}, output: T29Out}}
""",
        new=f"""
schemas:
  T29Out:
    type: object
    required: [v]
    properties:
      v: {{type: integer}}   # <-
assistants:
  t29: {{model: m, instructions: case t29, input: {_q("t29")}, output: T29Out}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"v": 1},
        contract="T29Out",
        python="out = await t29(T29Input())\nv: str = out.v\nprint(v)",
        go="out, err := c.T29(ctx, sdk.T29Input{})\nvar v string = out.V\n_, _ = v, err",
        typescript="const out = await sdk.t29({});\nconst v: string = out.v;\nvoid v;",
    ),
    Case(
        "t30",
        "input-type-narrowed",
        "error",
        old="""
schemas:
  T30In: {type: object, required: [v], properties: {v: {type: number}}}
assistants:
  t30: {model: m, instructions: case t30, input: T30In, output: {type: string}}
""",
        new="""
schemas:
  T30In:
    type: object
    required: [v]
    properties:
      v: {type: integer}   # <-
assistants:
  t30: {model: m, instructions: case t30, input: T30In, output: {type: string}}
""",
        breaks=("python", "go"),
        wire=True,
        instance={"v": 1.5},
        contract="T30In",
        python="f: float = 1.5\nawait t30(T30In(v=f))",
        go="var f float64 = 1.5\n_, err := c.T30(ctx, sdk.T30In{V: f})\n_ = err",
        typescript="const f: number = 1.5;\nawait sdk.t30({ v: f });",
    ),
    Case(
        "t30u",
        "input-type-narrowed",
        "error",
        old="""
schemas:
  T30uIn: {type: object, required: [v], properties: {v: {anyOf: [{type: string}, {type: integer}]}}}
assistants:
  t30u: {model: m, instructions: case t30u, input: T30uIn, output: {type: string}}
""",
        new="""
schemas:
  T30uIn:
    type: object
    required: [v]
    properties:
      v: {type: string}   # <-
assistants:
  t30u: {model: m, instructions: case t30u, input: T30uIn, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"v": 1},
        contract="T30uIn",
        python="await t30u(T30uIn(v=1))",
        go='_, err := c.T30u(ctx, sdk.T30uIn{V: json.RawMessage("1")})\n_ = err',
        typescript="await sdk.t30u({ v: 1 });",
    ),
    Case(
        "t31",
        "input-type-widened",
        "warning",
        old="""
schemas:
  T31In: {type: object, required: [v], properties: {v: {type: integer}}}
assistants:
  t31: {model: m, instructions: case t31, input: T31In, output: {type: string}}
""",
        new="""
schemas:
  T31In:
    type: object
    required: [v]
    properties:
      v: {type: number}   # <-
assistants:
  t31: {model: m, instructions: case t31, input: T31In, output: {type: string}}
""",
        breaks=("go",),
        python="n: int = 2\nawait t31(T31In(v=n))",
        go="var n int64 = 2\n_, err := c.T31(ctx, sdk.T31In{V: n})\n_ = err",
        typescript="const n: number = 2;\nawait sdk.t31({ v: n });",
    ),
    Case(
        "t31e",
        "input-type-widened",
        "warning",
        old="""
schemas:
  T31eIn: {type: object, required: [k], properties: {k: {enum: [red, blue]}}}
assistants:
  t31e: {model: m, instructions: case t31e, input: T31eIn, output: {type: string}}
""",
        new="""
schemas:
  T31eIn:
    type: object
    required: [k]
    properties:
      k: {type: string}   # <-
assistants:
  t31e: {model: m, instructions: case t31e, input: T31eIn, output: {type: string}}
""",
        breaks=("go",),
        python='await t31e(T31eIn(k="red"))',
        go="_, err := c.T31e(ctx, sdk.T31eIn{K: sdk.T31eInKRed})\n_ = err",
        typescript='await sdk.t31e({ k: "red" });',
    ),
    Case(
        "t32",
        "output-type-widened",
        "error",
        old=f"""
schemas:
  T32Out: {{type: object, required: [v], properties: {{v: {{type: integer}}}}}}
assistants:
  t32: {{model: m, instructions: case t32, input: {_q("t32")}, output: T32Out}}
""",
        new=f"""
schemas:
  T32Out:
    type: object
    required: [v]
    properties:
      v: {{type: number}}   # <-
assistants:
  t32: {{model: m, instructions: case t32, input: {_q("t32")}, output: T32Out}}
""",
        breaks=("python", "go"),
        wire=True,
        instance={"v": 1.5},
        contract="T32Out",
        python="out = await t32(T32Input())\nv: int = out.v\nprint(v)",
        go="out, err := c.T32(ctx, sdk.T32Input{})\nvar v int64 = out.V\n_, _ = v, err",
        typescript="const out = await sdk.t32({});\nconst v: number = out.v;\nvoid v;",
    ),
    Case(
        "t32u",
        "output-type-widened",
        "error",
        old=f"""
schemas:
  T32uOut: {{type: object, required: [v], properties: {{v: {{type: string}}}}}}
assistants:
  t32u: {{model: m, instructions: case t32u, input: {_q("t32u")}, output: T32uOut}}
""",
        new=f"""
schemas:
  T32uOut:
    type: object
    required: [v]
    properties:
      v: {{anyOf: [{{type: string}}, {{type: integer}}]}}   # <-
assistants:
  t32u: {{model: m, instructions: case t32u, input: {_q("t32u")}, output: T32uOut}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"v": 1},
        contract="T32uOut",
        python="out = await t32u(T32uInput())\nv: str = out.v\nprint(v)",
        go="out, err := c.T32u(ctx, sdk.T32uInput{})\nvar v string = out.V\n_, _ = v, err",
        typescript="const out = await sdk.t32u({});\nconst v: string = out.v;\nvoid v;",
    ),
    Case(
        "t33",
        "output-type-narrowed",
        "error",
        old=f"""
schemas:
  T33Out: {{type: object, required: [v], properties: {{v: {{type: number}}}}}}
assistants:
  t33: {{model: m, instructions: case t33, input: {_q("t33")}, output: T33Out}}
""",
        new=f"""
schemas:
  T33Out:
    type: object
    required: [v]
    properties:
      v: {{type: integer}}   # <-
assistants:
  t33: {{model: m, instructions: case t33, input: {_q("t33")}, output: T33Out}}
""",
        breaks=("go",),
        python="out = await t33(T33Input())\nv: float = out.v\nprint(v)",
        go="out, err := c.T33(ctx, sdk.T33Input{})\nvar v float64 = out.V\n_, _ = v, err",
        typescript="const out = await sdk.t33({});\nconst v: number = out.v;\nvoid v;",
    ),
    Case(
        "t34",
        "input-type-replaced",
        "warning",
        old="""
schemas:
  T34A: {type: object, properties: {k34: {type: string}}}
  T34B: {type: object, properties: {k34: {type: string}}}
  T34In: {type: object, properties: {meta: {$ref: "#/schemas/T34A"}}}
assistants:
  t34: {model: m, instructions: case t34, input: T34In, output: {type: string}}
""",
        new="""
schemas:
  T34A: {type: object, properties: {k34: {type: string}}}
  T34B: {type: object, properties: {k34: {type: string}}}
  T34In:
    type: object
    properties:
      meta: {$ref: "#/schemas/T34B"}   # <-
assistants:
  t34: {model: m, instructions: case t34, input: T34In, output: {type: string}}
""",
        breaks=("python", "go"),
        python='await t34(T34In(meta=T34A(k34="x")))',
        go="_, err := c.T34(ctx, sdk.T34In{Meta: &sdk.T34A{}})\n_ = err",
        typescript='const meta: sdk.T34A = { k34: "x" };\nawait sdk.t34({ meta });',
    ),
    Case(
        "t35",
        "output-type-replaced",
        "error",
        old=f"""
schemas:
  T35A: {{type: object, properties: {{k35: {{type: string}}}}}}
  T35B: {{type: object, properties: {{k35: {{type: string}}}}}}
  T35Out: {{type: object, required: [meta], properties: {{meta: {{$ref: "#/schemas/T35A"}}}}}}
assistants:
  t35: {{model: m, instructions: case t35, input: {_q("t35")}, output: T35Out}}
""",
        new=f"""
schemas:
  T35A: {{type: object, properties: {{k35: {{type: string}}}}}}
  T35B: {{type: object, properties: {{k35: {{type: string}}}}}}
  T35Out:
    type: object
    required: [meta]
    properties:
      meta: {{$ref: "#/schemas/T35B"}}   # <-
assistants:
  t35: {{model: m, instructions: case t35, input: {_q("t35")}, output: T35Out}}
""",
        breaks=("python", "go"),
        python="out = await t35(T35Input())\nmeta: T35A = out.meta\nprint(meta)",
        go="out, err := c.T35(ctx, sdk.T35Input{})\nvar meta sdk.T35A = out.Meta\n_, _ = meta, err",
        typescript="const out = await sdk.t35({});\nconst meta: sdk.T35A = out.meta;\nvoid meta;",
    ),
    # -- null ----------------------------------------------------------------------------------
    Case(
        "n36",
        "input-null-added",
        "warning",
        old="""
schemas:
  N36In: {type: object, required: [v], properties: {v: {type: string}}}
assistants:
  n36: {model: m, instructions: case n36, input: N36In, output: {type: string}}
""",
        new="""
schemas:
  N36In:
    type: object
    required: [v]
    properties:
      v: {type: [string, "null"]}   # <-
assistants:
  n36: {model: m, instructions: case n36, input: N36In, output: {type: string}}
""",
        breaks=("go",),
        python='await n36(N36In(v="x"))',
        go='_, err := c.N36(ctx, sdk.N36In{V: "x"})\n_ = err',
        typescript='await sdk.n36({ v: "x" });',
    ),
    Case(
        "n37",
        "input-null-removed",
        "error",
        old="""
schemas:
  N37In: {type: object, required: [v], properties: {v: {type: [string, "null"]}}}
assistants:
  n37: {model: m, instructions: case n37, input: N37In, output: {type: string}}
""",
        new="""
schemas:
  N37In:
    type: object
    required: [v]
    properties:
      v: {type: string}   # <-
assistants:
  n37: {model: m, instructions: case n37, input: N37In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"v": None},
        contract="N37In",
        python="await n37(N37In(v=None))",
        go="_, err := c.N37(ctx, sdk.N37In{V: nil})\n_ = err",
        typescript="await sdk.n37({ v: null });",
    ),
    Case(
        "n38",
        "output-null-added",
        "error",
        old=f"""
schemas:
  N38Out: {{type: object, required: [v], properties: {{v: {{type: string}}}}}}
assistants:
  n38: {{model: m, instructions: case n38, input: {_q("n38")}, output: N38Out}}
""",
        new=f"""
schemas:
  N38Out:
    type: object
    required: [v]
    properties:
      v: {{type: [string, "null"]}}   # <-
assistants:
  n38: {{model: m, instructions: case n38, input: {_q("n38")}, output: N38Out}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"v": None},
        contract="N38Out",
        python="out = await n38(N38Input())\nv: str = out.v\nprint(v)",
        go="out, err := c.N38(ctx, sdk.N38Input{})\nvar v string = out.V\n_, _ = v, err",
        typescript="const out = await sdk.n38({});\nconst v: string = out.v;\nvoid v;",
    ),
    Case(
        "n39",
        "output-null-removed",
        "error",
        old=f"""
schemas:
  N39Out: {{type: object, required: [v], properties: {{v: {{type: [string, "null"]}}}}}}
assistants:
  n39: {{model: m, instructions: case n39, input: {_q("n39")}, output: N39Out}}
""",
        new=f"""
schemas:
  N39Out:
    type: object
    required: [v]
    properties:
      v: {{type: string}}   # <-
assistants:
  n39: {{model: m, instructions: case n39, input: {_q("n39")}, output: N39Out}}
""",
        breaks=("go",),
        python="out = await n39(N39Input())\nv: str | None = out.v\nprint(v)",
        go="out, err := c.N39(ctx, sdk.N39Input{})\nif out.V != nil {\n\t_ = *out.V\n}\n_ = err",
        typescript="const out = await sdk.n39({});\nconst v: string | null = out.v;\nvoid v;",
    ),
    # -- enums and consts --------------------------------------------------------------------
    Case(
        "e40",
        "input-enum-value-removed",
        "error",
        old="""
schemas:
  E40In: {type: object, required: [k], properties: {k: {enum: [a, b]}}}
assistants:
  e40: {model: m, instructions: case e40, input: E40In, output: {type: string}}
""",
        new="""
schemas:
  E40In:
    type: object
    required: [k]
    properties:
      k: {enum: [a]}   # <- enum
assistants:
  e40: {model: m, instructions: case e40, input: E40In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"k": "b"},
        contract="E40In",
        python='await e40(E40In(k="b"))',
        go="_, err := c.E40(ctx, sdk.E40In{K: sdk.E40InKB})\n_ = err",
        typescript='await sdk.e40({ k: "b" });',
    ),
    Case(
        "e41",
        "input-enum-value-added",
        "none",
        old="""
schemas:
  E41In: {type: object, required: [k], properties: {k: {enum: [a]}}}
assistants:
  e41: {model: m, instructions: case e41, input: E41In, output: {type: string}}
""",
        new="""
schemas:
  E41In:
    type: object
    required: [k]
    properties:
      k: {enum: [a, b]}   # <- enum
assistants:
  e41: {model: m, instructions: case e41, input: E41In, output: {type: string}}
""",
        python='await e41(E41In(k="a"))',
        go="_, err := c.E41(ctx, sdk.E41In{K: sdk.E41InKA})\n_ = err",
        typescript='await sdk.e41({ k: "a" });',
    ),
    Case(
        "e42",
        "output-enum-value-added",
        "error",
        old=f"""
schemas:
  E42Out: {{type: object, required: [k], properties: {{k: {{enum: [a]}}}}}}
assistants:
  e42: {{model: m, instructions: case e42, input: {_q("e42")}, output: E42Out}}
""",
        new=f"""
schemas:
  E42Out:
    type: object
    required: [k]
    properties:
      k: {{enum: [a, b]}}   # <- enum
assistants:
  e42: {{model: m, instructions: case e42, input: {_q("e42")}, output: E42Out}}
""",
        wire=True,
        instance={"k": "b"},
        contract="E42Out",
        python='out = await e42(E42Input())\nif out.k == "a":\n    print(out.k)',
        go="out, err := c.E42(ctx, sdk.E42Input{})\nif out.K == sdk.E42OutKA {\n\t_ = err\n}",
        typescript='const out = await sdk.e42({});\nif (out.k === "a") {\n  void out.k;\n}',
    ),
    Case(
        "e43",
        "output-enum-value-removed",
        "error",
        old=f"""
schemas:
  E43Out: {{type: object, required: [k], properties: {{k: {{enum: [a, b]}}}}}}
assistants:
  e43: {{model: m, instructions: case e43, input: {_q("e43")}, output: E43Out}}
""",
        new=f"""
schemas:
  E43Out:
    type: object
    required: [k]
    properties:
      k: {{enum: [a]}}   # <- enum
assistants:
  e43: {{model: m, instructions: case e43, input: {_q("e43")}, output: E43Out}}
""",
        breaks=("python", "go", "typescript"),
        python='out = await e43(E43Input())\nif out.k == "b":\n    print(out.k)',
        go="out, err := c.E43(ctx, sdk.E43Input{})\nif out.K == sdk.E43OutKB {\n\t_ = err\n}",
        typescript='const out = await sdk.e43({});\nif (out.k === "b") {\n  void out.k;\n}',
    ),
    Case(
        "e44",
        "input-const-changed",
        "error",
        old="""
schemas:
  E44In: {type: object, required: [kind], properties: {kind: {const: v1}}}
assistants:
  e44: {model: m, instructions: case e44, input: E44In, output: {type: string}}
""",
        new="""
schemas:
  E44In:
    type: object
    required: [kind]
    properties:
      kind: {const: v2}   # <- const
assistants:
  e44: {model: m, instructions: case e44, input: E44In, output: {type: string}}
""",
        breaks=("python", "typescript"),
        wire=True,
        instance={"kind": "v1"},
        contract="E44In",
        python='await e44(E44In(kind="v1"))',
        go='_, err := c.E44(ctx, sdk.E44In{Kind: "v1"})\n_ = err',
        typescript='await sdk.e44({ kind: "v1" });',
    ),
    Case(
        "e45",
        "output-const-changed",
        "error",
        old=f"""
schemas:
  E45Out: {{type: object, required: [kind], properties: {{kind: {{const: v1}}}}}}
assistants:
  e45: {{model: m, instructions: case e45, input: {_q("e45")}, output: E45Out}}
""",
        new=f"""
schemas:
  E45Out:
    type: object
    required: [kind]
    properties:
      kind: {{const: v2}}   # <- const
assistants:
  e45: {{model: m, instructions: case e45, input: {_q("e45")}, output: E45Out}}
""",
        breaks=("python", "typescript"),
        wire=True,
        instance={"kind": "v2"},
        contract="E45Out",
        python='out = await e45(E45Input())\nif out.kind == "v1":\n    print(out.kind)',
        go='out, err := c.E45(ctx, sdk.E45Input{})\nif out.Kind == "v1" {\n\t_ = err\n}',
        typescript='const out = await sdk.e45({});\nif (out.kind === "v1") {\n  void out.kind;\n}',
    ),
]

CASES += [
    # -- constraints -------------------------------------------------------------------------
    Case(
        "k46",
        "input-bounds-tightened",
        "error",
        old="""
schemas:
  K46In: {type: object, required: [v], properties: {v: {type: string}}}
assistants:
  k46: {model: m, instructions: case k46, input: K46In, output: {type: string}}
""",
        new="""
schemas:
  K46In:
    type: object
    required: [v]
    properties:
      v:
        type: string
        maxLength: 3   # <-
assistants:
  k46: {model: m, instructions: case k46, input: K46In, output: {type: string}}
""",
        wire=True,
        instance={"v": "abcdef"},
        contract="K46In",
        python='await k46(K46In(v="abcdef"))',
        go='_, err := c.K46(ctx, sdk.K46In{V: "abcdef"})\n_ = err',
        typescript='await sdk.k46({ v: "abcdef" });',
    ),
    Case(
        "k46p",
        "input-bounds-tightened",
        "error",
        old="""
schemas:
  K46pIn: {type: object, required: [v], properties: {v: {type: string, pattern: "^[a-z]+$"}}}
assistants:
  k46p: {model: m, instructions: case k46p, input: K46pIn, output: {type: string}}
""",
        new="""
schemas:
  K46pIn:
    type: object
    required: [v]
    properties:
      v:
        type: string
        pattern: "^[a-z]{1,3}$"   # <-
assistants:
  k46p: {model: m, instructions: case k46p, input: K46pIn, output: {type: string}}
""",
        also=("input-bounds-loosened",),
        wire=True,
        instance={"v": "abcdef"},
        contract="K46pIn",
        python='await k46p(K46pIn(v="abc"))',
        go='_, err := c.K46p(ctx, sdk.K46pIn{V: "abc"})\n_ = err',
        typescript='await sdk.k46p({ v: "abc" });',
    ),
    Case(
        "k47",
        "input-bounds-loosened",
        "none",
        old="""
schemas:
  K47In: {type: object, required: [v], properties: {v: {type: integer, maximum: 5}}}
assistants:
  k47: {model: m, instructions: case k47, input: K47In, output: {type: string}}
""",
        new="""
schemas:
  K47In:
    type: object
    required: [v]
    properties:
      v:
        type: integer
        maximum: 50   # <-
assistants:
  k47: {model: m, instructions: case k47, input: K47In, output: {type: string}}
""",
        python="await k47(K47In(v=3))",
        go="_, err := c.K47(ctx, sdk.K47In{V: 3})\n_ = err",
        typescript="await sdk.k47({ v: 3 });",
    ),
    Case(
        "k48",
        "output-bounds-loosened",
        "error",
        old=f"""
schemas:
  K48Out: {{type: object, required: [v], properties: {{v: {{type: array, items: {{type: string}}, maxItems: 2}}}}}}
assistants:
  k48: {{model: m, instructions: case k48, input: {_q("k48")}, output: K48Out}}
""",
        new=f"""
schemas:
  K48Out:
    type: object
    required: [v]
    properties:
      v:
        type: array
        items: {{type: string}}
        maxItems: 5   # <-
assistants:
  k48: {{model: m, instructions: case k48, input: {_q("k48")}, output: K48Out}}
""",
        wire=True,
        instance={"v": ["a", "b", "c"]},
        contract="K48Out",
        python="out = await k48(K48Input())\nv: list[str] = out.v\nprint(v)",
        go="out, err := c.K48(ctx, sdk.K48Input{})\nvar v []string = out.V\n_, _ = v, err",
        typescript="const out = await sdk.k48({});\nconst v: string[] = out.v;\nvoid v;",
    ),
    Case(
        "k49",
        "output-bounds-tightened",
        "none",
        old=f"""
schemas:
  K49Out: {{type: object, required: [v], properties: {{v: {{type: number}}}}}}
assistants:
  k49: {{model: m, instructions: case k49, input: {_q("k49")}, output: K49Out}}
""",
        new=f"""
schemas:
  K49Out:
    type: object
    required: [v]
    properties:
      v:
        type: number
        minimum: 0   # <-
assistants:
  k49: {{model: m, instructions: case k49, input: {_q("k49")}, output: K49Out}}
""",
        python="out = await k49(K49Input())\nv: float = out.v\nprint(v)",
        go="out, err := c.K49(ctx, sdk.K49Input{})\nvar v float64 = out.V\n_, _ = v, err",
        typescript="const out = await sdk.k49({});\nconst v: number = out.v;\nvoid v;",
    ),
    # -- objects and maps ----------------------------------------------------------------------
    Case(
        "j50",
        "input-object-closed",
        "error",
        old="""
schemas:
  J50In: {type: object, properties: {a: {type: string}}}
assistants:
  j50: {model: m, instructions: case j50, input: J50In, output: {type: string}}
""",
        new="""
schemas:
  J50In:
    type: object
    additionalProperties: false   # <-
    properties: {a: {type: string}}
assistants:
  j50: {model: m, instructions: case j50, input: J50In, output: {type: string}}
""",
        breaks=("go",),
        wire=True,
        instance={"a": "x", "other": 1},
        contract="J50In",
        python='await j50(J50In(a="x"))',
        go='_, err := c.J50(ctx, sdk.J50In{AdditionalProperties: map[string]json.RawMessage{"other": json.RawMessage("1")}})\n_ = err',
        typescript='await sdk.j50({ a: "x" });',
    ),
    Case(
        "j51",
        "input-object-opened",
        "none",
        old="""
schemas:
  J51In: {type: object, additionalProperties: false, properties: {a: {type: string}}}
assistants:
  j51: {model: m, instructions: case j51, input: J51In, output: {type: string}}
""",
        new="""
schemas:
  J51In:
    type: object
    additionalProperties: true   # <-
    properties: {a: {type: string}}
assistants:
  j51: {model: m, instructions: case j51, input: J51In, output: {type: string}}
""",
        python='await j51(J51In(a="x"))',
        go='a := "x"\n_, err := c.J51(ctx, sdk.J51In{A: &a})\n_ = err',
        typescript='await sdk.j51({ a: "x" });',
    ),
    Case(
        "j52",
        "output-object-opened",
        "error",
        old=f"""
schemas:
  J52Out: {{type: object, additionalProperties: false, properties: {{a: {{type: string}}}}}}
assistants:
  j52: {{model: m, instructions: case j52, input: {_q("j52")}, output: J52Out}}
""",
        new=f"""
schemas:
  J52Out:
    type: object
    additionalProperties: true   # <-
    properties: {{a: {{type: string}}}}
assistants:
  j52: {{model: m, instructions: case j52, input: {_q("j52")}, output: J52Out}}
""",
        wire=True,
        instance={"a": "x", "other": 1},
        contract="J52Out",
        python="out = await j52(J52Input())\na: str | None = out.a\nprint(a)",
        go="out, err := c.J52(ctx, sdk.J52Input{})\nvar a *string = out.A\n_, _ = a, err",
        typescript="const out = await sdk.j52({});\nconst a: string | undefined = out.a;\nvoid a;",
    ),
    Case(
        "j53",
        "output-object-closed",
        "error",
        old=f"""
schemas:
  J53Out: {{type: object, properties: {{a: {{type: string}}}}}}
assistants:
  j53: {{model: m, instructions: case j53, input: {_q("j53")}, output: J53Out}}
""",
        new=f"""
schemas:
  J53Out:
    type: object
    additionalProperties: false   # <-
    properties: {{a: {{type: string}}}}
assistants:
  j53: {{model: m, instructions: case j53, input: {_q("j53")}, output: J53Out}}
""",
        breaks=("go",),
        python="out = await j53(J53Input())\na: str | None = out.a\nprint(a)",
        go="out, err := c.J53(ctx, sdk.J53Input{})\nfor key := range out.AdditionalProperties {\n\t_ = key\n}\n_ = err",
        typescript="const out = await sdk.j53({});\nconst a: string | undefined = out.a;\nvoid a;",
    ),
    Case(
        "j53m",
        "output-type-changed",
        "error",
        old=f"""
schemas:
  J53mOut: {{type: object, required: [tags], properties: {{tags: {{type: object, additionalProperties: {{type: integer}}}}}}}}
assistants:
  j53m: {{model: m, instructions: case j53m, input: {_q("j53m")}, output: J53mOut}}
""",
        new=f"""
schemas:
  J53mOut:
    type: object
    required: [tags]
    properties:
      tags:
        type: object
        additionalProperties: {{type: string}}   # <-
assistants:
  j53m: {{model: m, instructions: case j53m, input: {_q("j53m")}, output: J53mOut}}
""",
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"tags": {"a": "x"}},
        contract="J53mOut",
        python="out = await j53m(J53mInput())\ntags: dict[str, int] = out.tags\nprint(tags)",
        go="out, err := c.J53m(ctx, sdk.J53mInput{})\nvar tags map[string]int64 = out.Tags\n_, _ = tags, err",
        typescript="const out = await sdk.j53m({});\nconst tags: Record<string, number> = out.tags;\nvoid tags;",
    ),
    # -- unions ----------------------------------------------------------------------------------
    Case(
        "u54",
        "input-variant-removed",
        "error",
        old="""
schemas:
  U54In:
    type: object
    required: [v]
    properties:
      v:
        anyOf:
          - {type: string}
          - {type: integer}
          - {type: array, items: {type: string}}   # <-
assistants:
  u54: {model: m, instructions: case u54, input: U54In, output: {type: string}}
""",
        new="""
schemas:
  U54In: {type: object, required: [v], properties: {v: {anyOf: [{type: string}, {type: integer}]}}}
assistants:
  u54: {model: m, instructions: case u54, input: U54In, output: {type: string}}
""",
        breaks=("python", "typescript"),
        wire=True,
        instance={"v": ["a"]},
        contract="U54In",
        python='await u54(U54In(v=["a"]))',
        go='_, err := c.U54(ctx, sdk.U54In{V: json.RawMessage(`["a"]`)})\n_ = err',
        typescript='await sdk.u54({ v: ["a"] });',
    ),
    Case(
        "u55",
        "input-variant-added",
        "none",
        old="""
schemas:
  U55In: {type: object, required: [v], properties: {v: {anyOf: [{type: string}, {type: integer}]}}}
assistants:
  u55: {model: m, instructions: case u55, input: U55In, output: {type: string}}
""",
        new="""
schemas:
  U55In:
    type: object
    required: [v]
    properties:
      v:
        anyOf:
          - {type: string}
          - {type: integer}
          - {type: array, items: {type: string}}   # <-
assistants:
  u55: {model: m, instructions: case u55, input: U55In, output: {type: string}}
""",
        python="await u55(U55In(v=1))",
        go='_, err := c.U55(ctx, sdk.U55In{V: json.RawMessage("1")})\n_ = err',
        typescript="await sdk.u55({ v: 1 });",
    ),
    Case(
        "u56",
        "output-variant-added",
        "error",
        old=f"""
schemas:
  U56Out: {{type: object, required: [v], properties: {{v: {{anyOf: [{{type: string}}, {{type: integer}}]}}}}}}
assistants:
  u56: {{model: m, instructions: case u56, input: {_q("u56")}, output: U56Out}}
""",
        new=f"""
schemas:
  U56Out:
    type: object
    required: [v]
    properties:
      v:
        anyOf:
          - {{type: string}}
          - {{type: integer}}
          - {{type: array, items: {{type: string}}}}   # <-
assistants:
  u56: {{model: m, instructions: case u56, input: {_q("u56")}, output: U56Out}}
""",
        breaks=("python", "typescript"),
        wire=True,
        instance={"v": ["a"]},
        contract="U56Out",
        python="out = await u56(U56Input())\nv: str | int = out.v\nprint(v)",
        go="out, err := c.U56(ctx, sdk.U56Input{})\nvar v json.RawMessage = out.V\n_, _ = v, err",
        typescript="const out = await sdk.u56({});\nconst v: string | number = out.v;\nvoid v;",
    ),
    Case(
        "u57",
        "output-variant-removed",
        "none",
        old=f"""
schemas:
  U57Out:
    type: object
    required: [v]
    properties:
      v:
        anyOf:
          - {{type: string}}
          - {{type: integer}}
          - {{type: array, items: {{type: string}}}}   # <-
assistants:
  u57: {{model: m, instructions: case u57, input: {_q("u57")}, output: U57Out}}
""",
        new=f"""
schemas:
  U57Out: {{type: object, required: [v], properties: {{v: {{anyOf: [{{type: string}}, {{type: integer}}]}}}}}}
assistants:
  u57: {{model: m, instructions: case u57, input: {_q("u57")}, output: U57Out}}
""",
        python="out = await u57(U57Input())\nv: str | int | list[str] = out.v\nprint(v)",
        go="out, err := c.U57(ctx, sdk.U57Input{})\nvar v json.RawMessage = out.V\n_, _ = v, err",
        typescript="const out = await sdk.u57({});\nconst v: string | number | string[] = out.v;\nvoid v;",
    ),
    Case(
        "u58",
        "variants-reordered",
        "error",
        old="""
schemas:
  U58In:
    type: object
    required: [v]
    properties:
      v: {anyOf: [{type: string}, {type: object, properties: {z58: {type: integer}}}]}
assistants:
  u58: {model: m, instructions: case u58, input: U58In, output: {type: string}}
""",
        new="""
schemas:
  U58In:
    type: object
    required: [v]
    properties:
      v:
        anyOf:   # <-
          - {type: object, properties: {z58: {type: integer}}}
          - {type: string}
assistants:
  u58: {model: m, instructions: case u58, input: U58In, output: {type: string}}
""",
        breaks=("python", "go", "typescript"),
        python="await u58(U58In(v=U58InVVariant2(z58=1)))",
        go="var o sdk.U58InVVariant2\n_ = o",
        typescript="const o: sdk.U58InVVariant2 = { z58: 1 };\nawait sdk.u58({ v: o });",
    ),
]


def spec(fragments: list[str]) -> str:
    """A spec made of the header and the given case fragments (merged section by section)."""
    import yaml

    merged: dict[str, dict[str, Any]] = {}
    for text in fragments:
        data = yaml.safe_load(text) or {}
        for section, entries in data.items():
            merged.setdefault(section, {}).update(entries)
    body = yaml.safe_dump(merged, sort_keys=False) if merged else ""
    return HEADER + body


def case_spec(case: Case, side: str) -> str:
    """The spec of one case, as written (the fragment follows the header line for line)."""
    return HEADER + (case.old if side == "old" else case.new)


def by_rule() -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for case in CASES:
        out.setdefault(case.rule, []).append(case)
    return out


CASES += [
    Case(
        "t35s",
        "output-type-replaced",
        "error",
        old=f"""
schemas:
  T35sA: {{type: object, properties: {{k35s: {{type: string}}}}}}
  T35sB: {{type: object, properties: {{k35s: {{type: string}}}}}}
assistants:
  t35s: {{model: m, instructions: case t35s, input: {_q("t35s")}, output: T35sA}}
""",
        new=f"""
schemas:
  T35sA: {{type: object, properties: {{k35s: {{type: string}}}}}}
  T35sB: {{type: object, properties: {{k35s: {{type: string}}}}}}
assistants:
  t35s: {{model: m, instructions: case t35s, input: {_q("t35s")}, output: T35sB}}   # <- output
""",
        breaks=("python", "go"),
        python="out: T35sA = await t35s(T35sInput())\nprint(out)",
        go="var out sdk.T35sA\nout, err := c.T35s(ctx, sdk.T35sInput{})\n_, _ = out, err",
        typescript="const out: sdk.T35sA = await sdk.t35s({});\nvoid out;",
    ),
    Case(
        "w59",
        "output-type-changed",
        "error",
        old="""
assistants:
  a59s: {model: m, instructions: case w59 s, input: {type: string}, output: {type: string}}
  a59i: {model: m, instructions: case w59 i, input: {type: string}, output: {type: integer}}
workflows:
  w59:
    input: {type: string}
    steps: [{id: s, assistant: a59s, input: "${input}"}]
    output: {r: "${steps.s.output}"}
""",
        new="""
assistants:
  a59s: {model: m, instructions: case w59 s, input: {type: string}, output: {type: string}}
  a59i: {model: m, instructions: case w59 i, input: {type: string}, output: {type: integer}}
workflows:
  w59:
    input: {type: string}
    steps: [{id: s, assistant: a59i, input: "${input}"}]
    output:
      r: "${steps.s.output}"   # <-
""",
        also=("output-type-replaced", "workflow-steps-changed"),
        breaks=("python", "go", "typescript"),
        wire=True,
        instance={"r": 1},
        contract="W59Output",
        python='out = await w59(W59Input("q"))\nr: A59sOutput = out.r\nprint(r)',
        go='out, _, err := c.W59(ctx, "q")\nvar r sdk.A59sOutput = out.R\n_, _ = r, err',
        typescript='const out = await sdk.w59("q");\nconst r: string = out.r;\nvoid r;',
    ),
]
