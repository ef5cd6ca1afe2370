"""One runner per target: each checks every supported case of the suite and returns an
:class:`~tests.jsonschema_suite.suite.Outcome` per case.

The SDKs are generated once from the suite's spec (all supported groups as contracts),
built once with the language's real toolchain, and driven by one harness over a JSON file of
every case.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiwf._generate.jobs import SdkJob
from aiwf._generate.targets.go_code import go_str
from aiwf._generate.targets.go_types import TypeBuilder as GoTypeBuilder
from aiwf._generate.targets.python_types import ModelBuilder
from aiwf._generate.targets.ts_types import TypeBuilder as TsTypeBuilder
from aiwf._generate.templates import TemplateTree
from aiwf._generate.writer import expected_files
from aiwf._ir.validate import Validator

from .suite import ROOT, Case, Outcome, Suite

PY_PACKAGE = "aiwf_jsonschema_suite"
GO_MODULE = "example.com/suitesdk"
TS_PACKAGE = "suite-sdk"


def _write(files: dict[str, str], dest: Path) -> None:
    for rel, text in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text, encoding="utf-8")


def _sdk_files(suite: Suite, lang: str, out: Path, package: str) -> dict[str, str]:
    job = SdkJob(lang, out, package, out.parent / "suite.aiwf.yaml")
    return expected_files(job, suite.program, TemplateTree(ROOT))


def _cases_file(suite: Suite, workdir: Path) -> Path:
    path = workdir / "cases.json"
    rows = [{"contract": c.contract, "data": c.data} for c in suite.cases]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _verdicts(suite: Suite, rows: list[dict[str, Any]]) -> list[Outcome]:
    assert len(rows) == len(suite.cases), f"{len(rows)} verdicts for {len(suite.cases)} cases"
    return [
        Outcome(
            case,
            row.get("ok"),
            str(row.get("detail") or ""),
            None if row.get("problems") is None else tuple(row["problems"]),
        )
        for case, row in zip(suite.cases, rows, strict=True)
    ]


# -- IR --------------------------------------------------------------------------------------


def run_ir(suite: Suite, workdir: Path) -> list[Outcome]:
    """The IR's own validator (what the engine checks with)."""
    validator = Validator(suite.program.contract_type)
    out = []
    for case in suite.cases:
        try:
            found = validator.problems(case.data, suite.program.contract_type(case.contract))
        except Exception as exc:  # a crash is a disagreement, shown with its reason
            out.append(Outcome(case, None, f"{type(exc).__name__}: {exc}"))
            continue
        problems = tuple(p.render() for p in found)
        out.append(Outcome(case, not problems, "; ".join(problems), problems))
    return out


# -- Python ----------------------------------------------------------------------------------


def run_python(suite: Suite, workdir: Path) -> list[Outcome]:
    """The generated Python SDK's pydantic models: ``Contract.model_validate(data)``."""
    sdk = workdir / "python"
    if sdk.exists():
        shutil.rmtree(sdk)
    _write(_sdk_files(suite, "python", sdk, PY_PACKAGE), sdk)
    for name in [m for m in sys.modules if m == PY_PACKAGE or m.startswith(PY_PACKAGE + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(sdk / "src"))
    try:
        importlib.invalidate_caches()
        contracts = importlib.import_module(f"{PY_PACKAGE}.contracts")
    finally:
        sys.path.remove(str(sdk / "src"))
    classes = ModelBuilder(suite.program).contract_class
    out = []
    for case in suite.cases:
        cls = getattr(contracts, classes[case.contract])
        try:
            cls.model_validate(case.data)
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            out.append(Outcome(case, False, str(exc).replace("\n", " ")))
        except Exception as exc:
            out.append(Outcome(case, None, f"{type(exc).__name__}: {exc}"))
        else:
            out.append(Outcome(case, True))
    return out


# -- Go --------------------------------------------------------------------------------------

GO_HARNESS = """package {package}_test

import (
\t"encoding/json"
\t"errors"
\t"os"
\t"testing"

\tsdk "{module}"
\t"{module}/internal/aiwfrt"
)

// decode reads a valid value into the contract's Go type and writes it back: the Go types
// must hold every value the contract accepts.
func decode[T any](data []byte) error {{
\tvar v T
\tif err := aiwfrt.Decode(data, &v); err != nil {{
\t\treturn err
\t}}
\tback, err := json.Marshal(v)
\tif err != nil {{
\t\treturn err
\t}}
\treturn sdk.ValidateJSON(os.Getenv("AIWF_SUITE_CONTRACT"), back)
}}

var decoders = map[string]func([]byte) error{{
{checks}
}}

func TestSuite(t *testing.T) {{
\tdata, err := os.ReadFile(os.Getenv("AIWF_SUITE_CASES"))
\tif err != nil {{
\t\tt.Fatal(err)
\t}}
\tvar cases []struct {{
\t\tContract string          `json:"contract"`
\t\tData     json.RawMessage `json:"data"`
\t}}
\tif err := json.Unmarshal(data, &cases); err != nil {{
\t\tt.Fatal(err)
\t}}
\tverdicts := []map[string]any{{}}
\tfor _, c := range cases {{
\t\tdecoder, ok := decoders[c.Contract]
\t\tif !ok {{
\t\t\tverdicts = append(verdicts, map[string]any{{"ok": nil, "detail": "no such contract"}})
\t\t\tcontinue
\t\t}}
\t\terr := sdk.ValidateJSON(c.Contract, c.Data)
\t\tvar invalid *sdk.ValidationError
\t\tswitch {{
\t\tcase errors.As(err, &invalid):
\t\t\tproblems := []string{{}}
\t\t\tfor _, p := range invalid.Problems {{
\t\t\t\tproblems = append(problems, p.String())
\t\t\t}}
\t\t\tverdicts = append(verdicts, map[string]any{{"ok": false, "detail": err.Error(), "problems": problems}})
\t\tcase err != nil:
\t\t\tverdicts = append(verdicts, map[string]any{{"ok": nil, "detail": err.Error()}})
\t\tdefault:
\t\t\tos.Setenv("AIWF_SUITE_CONTRACT", c.Contract)
\t\t\tif err := decoder(c.Data); err != nil {{
\t\t\t\tverdicts = append(verdicts, map[string]any{{"ok": nil, "detail": "valid, but the Go type cannot hold it: " + err.Error()}})
\t\t\t}} else {{
\t\t\t\tverdicts = append(verdicts, map[string]any{{"ok": true, "problems": []string{{}}}})
\t\t\t}}
\t\t}}
\t}}
\tout, err := json.Marshal(verdicts)
\tif err != nil {{
\t\tt.Fatal(err)
\t}}
\tif err := os.WriteFile(os.Getenv("AIWF_SUITE_VERDICTS"), out, 0o644); err != nil {{
\t\tt.Fatal(err)
\t}}
}}
"""


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required by the JSON-Schema-Test-Suite runner and was not found"
    return found


def run_go(suite: Suite, workdir: Path) -> list[Outcome]:
    """The generated Go SDK: ``ValidateJSON`` (the runtime's validator on the contract's type,
    its problems as docs/wire.md §6 writes them), and for a valid value a decode into the
    contract's Go type and back; run by ``go test`` inside the generated module."""
    sdk = workdir / "go"
    if sdk.exists():
        shutil.rmtree(sdk)
    files = _sdk_files(suite, "go", sdk, GO_MODULE)
    _write(files, sdk)
    (sdk / "go.mod").write_text(f"module {GO_MODULE}\n\ngo 1.22\n", encoding="utf-8")
    package = GO_MODULE.rsplit("/", 1)[-1]
    types = GoTypeBuilder(suite.program).contract_type
    checks = "\n".join(
        f"\t{go_str(name)}: decode[sdk.{types[name]}]," for name in sorted(suite.program.contracts)
    )
    harness = GO_HARNESS.format(package=package, module=GO_MODULE, checks=checks)
    (sdk / "suite_harness_test.go").write_text(harness, encoding="utf-8")
    cases = _cases_file(suite, workdir)
    verdicts = workdir / "go-verdicts.json"
    env = {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "-mod=mod",
        "CGO_ENABLED": "0",
        "AIWF_SUITE_CASES": str(cases),
        "AIWF_SUITE_VERDICTS": str(verdicts),
    }
    proc = subprocess.run(
        [_tool("go"), "test", "-count=1", "-run", "TestSuite", "."],
        cwd=sdk, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"go test failed:\n{proc.stdout}\n{proc.stderr}"
    return _verdicts(suite, json.loads(verdicts.read_text(encoding="utf-8")))


# -- TypeScript ------------------------------------------------------------------------------

TS_HARNESS = """import { readFileSync, writeFileSync } from "node:fs";
import * as contracts from "./dist/src/contracts.js";

const parsers = JSON.parse(process.argv[4]);
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const verdicts = cases.map((c) => {
  const parse = contracts[parsers[c.contract]];
  if (typeof parse !== "function") return { ok: null, detail: "no parser for " + c.contract };
  try {
    parse(c.data);
    return { ok: true, problems: [] };
  } catch (err) {
    if (err && err.name === "ValidationError") {
      return { ok: false, detail: err.problems.join("; "), problems: err.problems };
    }
    return { ok: null, detail: String(err) };
  }
});
writeFileSync(process.argv[3], JSON.stringify(verdicts));
"""


def _node_modules(workdir: Path) -> Path:
    """node_modules from the scaffold's lock file (``npm ci``, preferring the npm cache)."""
    scaffold = ROOT / "copier-templates" / "typescript" / "scaffold"
    base = workdir / "ts-modules"
    if (base / "node_modules" / "typescript").is_dir():
        return base / "node_modules"
    base.mkdir(parents=True, exist_ok=True)
    for name, src in (
        ("package.json", "package.json.jinja"),
        ("package-lock.json", "package-lock.json.jinja"),
    ):
        text = (scaffold / src).read_text(encoding="utf-8")
        text = text.replace("{{ package }}", TS_PACKAGE).replace(
            "{{ description | tojson }}", '"suite"'
        )
        (base / name).write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [_tool("npm"), "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"],
        cwd=base, capture_output=True, text=True, check=False,
        env={**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return base / "node_modules"


def run_typescript(suite: Suite, workdir: Path) -> list[Outcome]:
    """The generated TypeScript SDK: ``parseX(data)`` from the built ``dist/``, run by node; an
    invalid case's detail is its problems (docs/wire.md §6) joined by ``; ``."""
    modules = _node_modules(workdir)
    sdk = workdir / "typescript"
    if sdk.exists():
        shutil.rmtree(sdk)
    _write(_sdk_files(suite, "typescript", sdk, TS_PACKAGE), sdk)
    scaffold = ROOT / "copier-templates" / "typescript" / "scaffold"
    shutil.copy2(scaffold / "tsconfig.json", sdk / "tsconfig.json")
    shutil.copy2(modules.parent / "package.json", sdk / "package.json")
    (sdk / "src" / "extensions.ts").write_text("export {};\n", encoding="utf-8")
    (sdk / "node_modules").symlink_to(modules, target_is_directory=True)
    node = _tool("node")
    proc = subprocess.run(
        [node, str(modules / "typescript" / "bin" / "tsc"), "-p", "tsconfig.json"],
        cwd=sdk, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"tsc failed:\n{proc.stdout}\n{proc.stderr}"
    (sdk / "suite_harness.mjs").write_text(TS_HARNESS, encoding="utf-8")
    types = TsTypeBuilder(suite.program).contract_type
    parsers = {name: "parse" + types[name] for name in suite.program.contracts}
    cases = _cases_file(suite, workdir)
    verdicts = workdir / "ts-verdicts.json"
    proc = subprocess.run(
        [node, "suite_harness.mjs", str(cases), str(verdicts), json.dumps(parsers)],
        cwd=sdk, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"node failed:\n{proc.stdout}\n{proc.stderr}"
    return _verdicts(suite, json.loads(verdicts.read_text(encoding="utf-8")))


RUNNERS = {"ir": run_ir, "python": run_python, "go": run_go, "typescript": run_typescript}


def run_all(suite: Suite, workdir: Path, targets: tuple[str, ...]) -> dict[str, list[Outcome]]:
    return {name: RUNNERS[name](suite, workdir) for name in targets}


__all__ = ["RUNNERS", "Case", "run_all"]
