"""The Go runtime (runtimes/go) checked where it lives: gofmt, go vet and go test in place,
and its canonical JSON, contract order, template interpolation and validation problems
compared with the Python runtime's own functions on values hypothesis makes up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwf.engine._bindings import interpolate
from aiwf._generate.targets.go_types import type_descriptor
from aiwf._ir.compiler import compile_files
from aiwf._ir.model import Program
from aiwf._ir.types import RefType
from aiwf._ir.validate import Validator
from aiwf.runtime._canonical import dumps, in_contract_order
from aiwf._spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtimes" / "go"
CHECKS = Path(__file__).parent / "checks.aiwf.yaml"


def tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required to check runtimes/go and was not found on PATH"
    return found


def go_env() -> dict[str, str]:
    """No downloads, no toolchain switch (the runtime needs the standard library only)."""
    return {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=RUNTIME, env=go_env(), capture_output=True, text=True, check=False
    )


def test_runtime_is_gofmt_clean() -> None:
    proc = run([tool("gofmt"), "-l", "."])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "", f"not gofmt-clean: {proc.stdout}"


def test_runtime_is_vet_clean() -> None:
    proc = run([tool("go"), "vet", "./..."])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_runtime_tests_pass() -> None:
    # Under the race detector (which needs cgo, and so a C compiler): the runtime runs a
    # workflow's steps and a scatter's items in goroutines, and a consumer's client may hand
    # them shared values.
    tool("gcc")
    proc = subprocess.run(
        [tool("go"), "test", "-race", "-count=1", "./..."],
        cwd=RUNTIME,
        env={**go_env(), "CGO_ENABLED": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok  \tgithub.com/aiwf-dev/aiwf/runtimes/go" in proc.stdout, proc.stdout


def test_runtime_needs_the_standard_library_only() -> None:
    assert (RUNTIME / "go.mod").read_text(encoding="utf-8").split("\n")[0] == (
        "module github.com/aiwf-dev/aiwf/runtimes/go"
    )
    proc = run(
        [tool("go"), "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "."]
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["github.com/aiwf-dev/aiwf/runtimes/go"], proc.stdout


# -- the same answers as the Python runtime ---------------------------------------------------


class CrossCheck:
    """The runtime's crosscheck program, one case per line in and out."""

    def __init__(self, binary: Path) -> None:
        self.proc = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            encoding="utf-8",
        )  # fmt: skip

    def ask(self, case: dict[str, Any]) -> Any:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(case) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        assert "error" not in answer, answer["error"]
        return answer["result"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def crosscheck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrossCheck]:
    binary = tmp_path_factory.mktemp("crosscheck") / "crosscheck"
    proc = run([tool("go"), "build", "-o", str(binary), "./internal/crosscheck"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checker = CrossCheck(binary)
    yield checker
    checker.close()


KEYS = st.sampled_from(["id", "body", "a", "b", "z", "é", "ｚ", "😀", "~/", ""]) | st.text(
    max_size=4
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=16,
)
CHECKED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKED
@given(value=VALUES)
def test_canonical_json_is_the_python_runtimes(crosscheck: CrossCheck, value: Any) -> None:
    assert crosscheck.ask({"op": "canonical", "value": value}) == dumps(value)


@CHECKED
@given(value=VALUES)
def test_template_interpolation_is_the_engines(crosscheck: CrossCheck, value: Any) -> None:
    assert crosscheck.ask({"op": "interpolate", "value": value}) == interpolate(value)


ORDER_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "body": {}, "z": {"$ref": "#/$defs/Z"}},
    "allOf": [{"properties": {"b": {"type": "array", "items": {"$ref": "#/$defs/Z"}}}}],
    "anyOf": [{"$ref": "#/$defs/Z"}],
    "additionalProperties": {"properties": {"😀": {}, "a": {}}},
    "$defs": {"Z": {"properties": {"ｚ": {}, "a": {}, "id": {}}}},
}


@CHECKED
@given(value=VALUES)
def test_contract_order_is_the_python_runtimes(crosscheck: CrossCheck, value: Any) -> None:
    for schema in (ORDER_SCHEMA, None, {"type": "array", "items": ORDER_SCHEMA}):
        got = crosscheck.ask({"op": "order", "value": value, "schema": schema})
        assert got == dumps(in_contract_order(value, schema))


@pytest.fixture(scope="module")
def checks() -> Program:
    loaded = load_spec(CHECKS)
    assert not loaded.diagnostics, [str(d) for d in loaded.diagnostics]
    program = compile_files(loaded.files).program
    assert program is not None
    return program


CONTRACT_VALUES = st.recursive(
    SCALARS | st.sampled_from(["T", "Tab", "a", "2026-02-30", "2026-02-28", 0.25, 2, 3, 4]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "urgency", "score", "tags", "when", "kind", "next", "a", "x"]),
            children,
            max_size=6,
        )
    ),
    max_leaves=12,
)


@CHECKED
@given(value=CONTRACT_VALUES, contract=st.sampled_from(
    ["Ticket", "Open", "Choice", "Either", "Both", "Facets", "Nothing"]
))  # fmt: skip
def test_validation_problems_are_the_python_validators(
    crosscheck: CrossCheck, checks: Program, value: Any, contract: str
) -> None:
    types = {name: type_descriptor(c.type) for name, c in checks.contracts.items()}
    validator = Validator({name: c.type for name, c in checks.contracts.items()})
    want = [p.render() for p in validator.problems(value, RefType(name=contract))]
    got = crosscheck.ask({"op": "problems", "value": value, "types": types, "type": contract})
    assert got == want
