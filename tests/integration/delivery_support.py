"""Helpers for the delivery tests: two versions of aiwf (this tree as X, and X+1 with a
changed scaffold file in every target and a migration), their wheels and venvs, and consumer
repositories with SDKs of all three targets."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from integration_support import PRESET, Run, commit_all, git, make_project_repo, run, tool_env

from aiwf import __version__
from aiwf._version import TEMPLATE_SOURCE

#: The line X+1 adds at the end of every target's scaffold README.
NEW_LINE = "Template {version} adds this line."
MIGRATION = """\
import os
import sys
from pathlib import Path

if Path("REFUSE_MIGRATION").exists():  # lets a test make the migration fail for one SDK
    sys.exit("this SDK refuses the migration")
Path("MIGRATED.txt").write_text(f"{os.environ['VERSION_FROM']} -> {os.environ['VERSION_TO']}\\n")
"""
AIWF_TOML = """\
spec = "support.aiwf.yaml"

[[sdk]]
lang = "python"
out = "sdk/python"
package = "support_ai"

[[sdk]]
lang = "go"
out = "sdk/go"
package = "example.com/acme/support"

[[sdk]]
lang = "typescript"
out = "sdk/typescript"
package = "@acme/support"
"""
LANGS = ("python", "go", "typescript")


def next_version(version: str) -> str:
    major, minor, _ = (int(p) for p in re.match(r"(\d+)\.(\d+)\.(\d+)", version).groups())  # type: ignore[union-attr]
    return f"{major}.{minor + 1}.0"


def python(src: Path, *args: str) -> Run:
    """``python -m ARGS`` with the aiwf of the source tree ``src`` first on the path."""
    env = tool_env(PYTHONPATH=str(src))
    return run([sys.executable, *args], src, env)


@dataclass(frozen=True)
class Versions:
    """Source trees of two aiwf versions, X (this tree) and X+1, each a git repository."""

    old: Path
    new: Path
    old_version: str
    new_version: str


def make_versions(base: Path) -> Versions:
    """X: this tree, its templates recorded as release X in its history (as the release
    procedure does; nothing to do once X is released). X+1: a copy with one more line in
    every target's scaffold README, a migration, and the version bumped."""
    old = make_project_repo(base / "x")
    recorded = python(
        old, "-m", "aiwf._generate.history", "--root", str(old), "record", __version__
    )
    assert recorded.code == 0, str(recorded)
    if git(old, "status", "--porcelain"):  # not when this tree is the release itself
        commit_all(old, f"templates of {__version__} in the history")
    new_version = next_version(__version__)
    new = base / "x1"
    shutil.copytree(old, new, symlinks=True)
    for lang in LANGS:
        readme = new / "copier-templates" / lang / "scaffold" / "README.md.jinja"
        readme.write_text(
            readme.read_text(encoding="utf-8")
            + "\n"
            + NEW_LINE.format(version=f"v{new_version}")
            + "\n",
            encoding="utf-8",
        )
    script = f"v{new_version.replace('.', '_')}.py"
    (new / "copier-templates" / "python" / "migrations" / script).write_text(MIGRATION)
    copier_yml = new / "copier.yml"
    migrations = (
        "_migrations:\n"
        f"  - version: v{new_version}\n"
        "    when: \"{{ _stage == 'after' }}\"\n"
        '    command: ["{{ _copier_python }}", '
        f'"{{{{ _copier_conf.src_path }}}}/copier-templates/python/migrations/{script}"]\n'
    )
    text = copier_yml.read_text(encoding="utf-8")
    assert "_migrations: []\n" in text
    copier_yml.write_text(text.replace("_migrations: []\n", migrations), encoding="utf-8")
    version_py = new / "aiwf" / "_version.py"
    version_py.write_text(
        version_py.read_text(encoding="utf-8").replace(
            f'__version__ = "{__version__}"', f'__version__ = "{new_version}"'
        ),
        encoding="utf-8",
    )
    commit_all(new, f"aiwf {new_version}")
    return Versions(old, new, __version__, new_version)


def build_wheel(src: Path, out: Path) -> Path:
    """The wheel of the source tree ``src`` (its build hook adds the template history)."""
    result = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)],
        src,
    )  # fmt: skip
    assert result.code == 0, str(result)
    (wheel,) = out.glob("aiwf-*.whl")
    return wheel


def wheel_venv(wheel: Path, venv: Path) -> Path:
    """A fresh venv with aiwf installed from ``wheel``; its dependencies are the project
    environment's (seen through a .pth, so nothing is downloaded). Returns its ``aiwf``."""
    import site

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    lib = next((venv / "lib").glob("python3*")) / "site-packages"
    site_dirs = [p for p in site.getsitepackages() if Path(p).is_dir()]
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in site_dirs)
    (lib / "_aiwf_deps.pth").write_text(lines, encoding="utf-8")
    python = venv / "bin" / "python"
    result = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         str(wheel)],
        venv,
    )  # fmt: skip
    assert result.code == 0, str(result)
    where = run([str(python), "-c", "import aiwf; print(aiwf.__file__)"], venv)
    assert where.out.strip().startswith(str(lib)), f"aiwf not from the wheel: {where}"
    return venv / "bin" / "aiwf"


def make_consumer(dest: Path, aiwf: list[str], home: Path) -> Path:
    """A consumer repository with the triage spec and a Python, a Go and a TypeScript SDK made
    by ``aiwf`` (a command), committed."""
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main")
    shutil.copy2(PRESET, dest / "support.aiwf.yaml")
    (dest / "aiwf.toml").write_text(AIWF_TOML, encoding="utf-8")
    made = run([*aiwf, "sdk"], dest, tool_env(HOME=str(home)))
    assert made.code == 0, str(made)
    commit_all(dest, "support spec and its SDKs")
    return dest


def edit_scaffolds(consumer: Path) -> None:
    """The consumer's own edits: the Python README's last line rewritten (the template changes
    the same place), a note at the top of the Go README (no clash); committed."""
    readme = consumer / "sdk/python/README.md"
    lines = readme.read_text(encoding="utf-8").rstrip("\n").split("\n")
    lines[-1] = "Check it my own way."
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    go_readme = consumer / "sdk/go/README.md"
    go_readme.write_text("Consumer notes at the top.\n\n" + go_readme.read_text(encoding="utf-8"))
    commit_all(consumer, "my edits to the SDK scaffolds")


def resolve_conflict(path: Path) -> None:
    """Keep both sides of every conflict in ``path``, the consumer's first."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*(\n|$)", re.S)
    path.write_text(pattern.sub(lambda m: m.group(1) + m.group(2), text), encoding="utf-8")


def answers(sdk: Path) -> dict[str, str]:
    import yaml

    data = yaml.safe_load((sdk / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


def assert_portable(consumer: Path) -> None:
    """No answers file names a path on this machine: the template is named by its URL."""
    for lang in LANGS:
        recorded = answers(consumer / "sdk" / lang)
        assert recorded["_src_path"] == TEMPLATE_SOURCE, recorded
        text = (consumer / "sdk" / lang / ".copier-answers.yml").read_text(encoding="utf-8")
        assert not re.search(r"^\w+:\s*(/|~|\.|[A-Za-z]:\\)", text, re.MULTILINE), text
