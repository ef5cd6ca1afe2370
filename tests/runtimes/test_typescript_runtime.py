"""The TypeScript runtime checked where it lives (``runtimes/typescript``): ``npm ci`` from the
npm cache, a strict ``tsc --noEmit``, the build, and its own ``node --test`` suite. node and npm
are required: these tests fail without them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtimes" / "typescript"
SCAFFOLD = ROOT / "copier-templates" / "typescript" / "scaffold"


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is required to check runtimes/typescript and was not found on PATH"
    return found


def _run(args: list[str], cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "npm_config_update_notifier": "false"}
    if cache is not None:
        env["npm_config_cache"] = str(cache)
    return subprocess.run(
        args, cwd=RUNTIME, env=env, capture_output=True, text=True, check=False, timeout=600
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``runtimes/typescript`` with its node_modules from the committed lock file (the npm
    cache fills from the registry the first time; later installs are offline)."""
    cache = tmp_path_factory.mktemp("npm-cache")
    npm = _tool("npm")
    _tool("node")
    args = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"]
    proc = _run(args, cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return RUNTIME


def _tsc(*extra: str) -> subprocess.CompletedProcess[str]:
    tsc = str(RUNTIME / "node_modules" / "typescript" / "bin" / "tsc")
    return _run([_tool("node"), tsc, "-p", "tsconfig.json", *extra])


def test_the_toolchain_is_pinned_as_in_the_sdk_scaffold() -> None:
    package = json.loads((RUNTIME / "package.json").read_text(encoding="utf-8"))
    scaffold = json.loads(
        (SCAFFOLD / "package.json.jinja")
        .read_text(encoding="utf-8")
        .replace("{{ package }}", "x")
        .replace("{{ description | tojson }}", '""')
    )
    assert package["devDependencies"] == scaffold["devDependencies"]
    assert not package.get("dependencies"), "the runtime needs nothing beyond Node"
    lock = json.loads((RUNTIME / "package-lock.json").read_text(encoding="utf-8"))
    for name, version in package["devDependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    config = json.loads((RUNTIME / "tsconfig.json").read_text(encoding="utf-8"))["compilerOptions"]
    assert config["strict"] is True and config["noUncheckedIndexedAccess"] is True
    assert (RUNTIME / ".gitignore").read_text(encoding="utf-8").split() == ["node_modules/", "dist/"]


def test_runtime_typechecks_strict(installed: Path) -> None:
    proc = _tsc("--noEmit")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_runtime_builds_and_passes_its_tests(installed: Path) -> None:
    build = _tsc()
    assert build.returncode == 0, build.stdout + build.stderr
    proc = _run([_tool("node"), "--test", "dist/test/"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout
    passed = int(proc.stdout.split("# pass ")[1].split()[0])
    assert passed >= 30, proc.stdout


def test_runtime_sources_are_hand_written_and_import_only_node() -> None:
    """No generated-code header or template syntax in the source tree (render.py adds the
    header to the SDK's copies); imports are relative or Node's own modules."""
    sources = sorted((RUNTIME / "src").glob("*.ts")) + sorted((RUNTIME / "test").glob("*.ts"))
    assert len(sources) > 10
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert "DO NOT EDIT" not in text.split("\n", 1)[0], path
        assert "{% raw %}" not in text and "{{ " not in text, path
        for spec in re.findall(r'^(?:import|export)[^;]*? from "([^"]+)";', text, re.MULTILINE):
            assert spec.startswith(("./", "../", "node:")), f"{path.name} imports {spec}"
