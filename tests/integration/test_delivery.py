"""The upgrade path as a consumer lives it, from wheels: SDKs of all three targets made with
aiwf X, edited by hand, then upgraded by aiwf X+1 installed on another machine (an empty
HOME, no cache) with no network; and the rules that keep two aiwf versions from fighting."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from delivery_support import (
    LANGS,
    NEW_LINE,
    Versions,
    answers,
    assert_portable,
    build_wheel,
    edit_scaffolds,
    make_consumer,
    make_versions,
    resolve_conflict,
    wheel_venv,
)
from integration_support import commit_all, git, require, run, tool_env

from aiwf._version import TEMPLATE_SOURCE


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> Versions:
    return make_versions(tmp_path_factory.mktemp("versions"))


@pytest.fixture(scope="module")
def aiwf_old(versions: Versions, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base = tmp_path_factory.mktemp("wheel-old")
    return [str(wheel_venv(build_wheel(versions.old, base / "dist"), base / "venv"))]


@pytest.fixture(scope="module")
def aiwf_new(versions: Versions, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base = tmp_path_factory.mktemp("wheel-new")
    return [str(wheel_venv(build_wheel(versions.new, base / "dist"), base / "venv"))]


@pytest.fixture(scope="module")
def made_with_old(aiwf_old: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A consumer with three SDKs made by aiwf X (on its own machine: its own HOME)."""
    base = tmp_path_factory.mktemp("consumer")
    return make_consumer(base / "repo", aiwf_old, base / "home-a")


@pytest.fixture
def consumer(made_with_old: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "consumer"
    shutil.copytree(made_with_old, copy, symlinks=True)
    return copy


def another_machine(tmp_path: Path, *cmd: str) -> list[str]:
    """``cmd`` run as on a machine that never saw aiwf X: no network at all (a network
    namespace with nothing in it), an empty HOME."""
    home = tmp_path / "empty-home"
    home.mkdir(exist_ok=True)
    return [require("unshare"), "--net", "env", "-u", "XDG_CACHE_HOME", f"HOME={home}", *cmd]


def test_wheels_carry_the_template_history(
    versions: Versions, aiwf_old: list[str], aiwf_new: list[str]
) -> None:
    shown = run([*aiwf_new, "--version"], Path.cwd())
    assert shown.code == 0, str(shown)
    assert shown.out.splitlines() == [
        f"aiwf {versions.new_version}",
        "spec format: aiwf: 1",
        "IR version: 2",
        f"SDK templates: v{versions.new_version}",
    ]
    venv = Path(aiwf_new[0]).parent.parent
    bundle = next(venv.glob("lib/python3*/site-packages/aiwf/_templates/copier-templates/history"))
    heads = git(bundle, "bundle", "list-heads", str(bundle / "templates.bundle"))
    tags = sorted(line.split()[1] for line in heads.splitlines())
    assert tags == sorted(
        [f"refs/tags/v{versions.old_version}", f"refs/tags/v{versions.new_version}"]
    )


def test_upgrade_from_a_wheel_on_another_machine_offline(
    consumer: Path, versions: Versions, aiwf_new: list[str], aiwf_old: list[str], tmp_path: Path
) -> None:
    old, new = f"v{versions.old_version}", f"v{versions.new_version}"
    edit_scaffolds(consumer)
    behind = run(another_machine(tmp_path, *aiwf_new, "check", "--no-diff"), consumer)
    assert behind.code == 1, str(behind)
    assert (
        f"sdk/python/.copier-answers.yml: behind: the scaffold is at template version {old}, "
        f"aiwf's templates are at {new}" in behind.out
    )
    assert "hint: run aiwf upgrade" in behind.out
    upgrade = run(another_machine(tmp_path, *aiwf_new, "upgrade"), consumer)
    # every SDK is upgraded; the clash is reported with its file, and the run exits 1
    assert upgrade.code == 1, str(upgrade)
    for lang in LANGS:
        assert f"sdk/{lang}: scaffold {old} -> {new}" in upgrade.out, str(upgrade)
        assert answers(consumer / "sdk" / lang)["_commit"] == new
        assert (consumer / "sdk" / lang / "MIGRATED.txt").read_text().strip() == f"{old} -> {new}"
    assert "sdk/python/README.md: conflict left by the update" in upgrade.out
    assert "error[G061]: 1 file(s) with conflicts: sdk/python/README.md" in upgrade.out
    assert_portable(consumer)
    # the non-clashing edit is kept, and the template's change is in
    go_readme = (consumer / "sdk/go/README.md").read_text()
    assert go_readme.startswith("Consumer notes at the top.\n")
    assert NEW_LINE.format(version=new) in go_readme
    assert NEW_LINE.format(version=new) in (consumer / "sdk/typescript/README.md").read_text()
    # the conflicted file is marked unmerged, as copier leaves it; nothing else is
    unmerged = {line.split("\t")[1] for line in git(consumer, "ls-files", "-u").splitlines()}
    assert unmerged == {"sdk/python/README.md"}
    # resolving the markers and aiwf check is all that is left
    resolve_conflict(consumer / "sdk/python/README.md")
    readme = (consumer / "sdk/python/README.md").read_text()
    assert "Check it my own way." in readme
    assert NEW_LINE.format(version=new) in readme
    git(consumer, "add", "-A")
    check = run(another_machine(tmp_path, *aiwf_new, "check"), consumer)
    assert check.code == 0, str(check)
    assert check.out.count("is in step") == 3
    commit_all(consumer, "SDKs at the new template version")
    # the older aiwf now refuses to take them back (the pre-commit hooks at the old rev)
    for args in (["sdk"], ["check"]):
        refused = run([*aiwf_old, *args], consumer, tool_env(HOME=str(tmp_path / "home-a")))
        assert refused.code == 1, str(refused)
        assert (
            f"error[G037]: this SDK was upgraded to templates {new} by a newer aiwf; this is "
            f"aiwf {versions.old_version}" in refused.out
        ), str(refused)
        assert f"hint: bump `rev` in .pre-commit-config.yaml to {new}" in refused.out
    assert git(consumer, "status", "--porcelain") == ""


def test_each_sdk_ends_upgraded_or_untouched(
    consumer: Path, versions: Versions, aiwf_new: list[str], tmp_path: Path
) -> None:
    """A dirty SDK and one whose migration fails are left exactly as they were; the third is
    upgraded anyway."""
    (consumer / "sdk/go/REFUSE_MIGRATION").write_text("please\n")
    commit_all(consumer, "the Go SDK refuses the migration")
    (consumer / "sdk/python/README.md").write_text("uncommitted\n")
    upgrade = run(another_machine(tmp_path, *aiwf_new, "upgrade"), consumer)
    assert upgrade.code == 1, str(upgrade)
    assert "sdk/python: not upgraded, left as it was" in upgrade.out
    assert "the SDK has uncommitted changes (sdk/python/README.md)" in upgrade.out
    assert "sdk/go: not upgraded, left as it was" in upgrade.out
    assert "this SDK refuses the migration" in upgrade.out
    assert (
        f"sdk/typescript: scaffold v{versions.old_version} -> v{versions.new_version}"
        in upgrade.out
    )
    assert "error[G061]: 2 SDK(s) not upgraded: sdk/python, sdk/go" in upgrade.out
    assert git(consumer, "status", "--porcelain", "--", "sdk/go") == ""
    assert git(consumer, "status", "--porcelain", "--", "sdk/python") == " M sdk/python/README.md\n"
    assert answers(consumer / "sdk/typescript")["_commit"] == f"v{versions.new_version}"
    assert git(consumer, "ls-files", "-u") == ""


def test_versions_it_cannot_upgrade_say_why(
    consumer: Path, aiwf_new: list[str], versions: Versions, tmp_path: Path
) -> None:
    python_answers = consumer / "sdk/python/.copier-answers.yml"
    text = python_answers.read_text()
    python_answers.write_text(text.replace(f"_commit: v{versions.old_version}", "_commit: v0.0.1"))
    go_answers = consumer / "sdk/go/.copier-answers.yml"
    go_answers.write_text(
        go_answers.read_text().replace(TEMPLATE_SOURCE, "/home/me/.cache/aiwf/templates")
    )
    commit_all(consumer, "an SDK from an unknown version, one from a machine-local source")
    upgrade = run(another_machine(tmp_path, *aiwf_new, "upgrade"), consumer)
    assert upgrade.code == 1, str(upgrade)
    assert (
        "sdk/python/.copier-answers.yml: error[G036]: template version v0.0.1 is not in this "
        f"aiwf's template history (aiwf {versions.new_version} carries v{versions.old_version}, "
        f"v{versions.new_version})" in upgrade.out
    ), str(upgrade)
    assert (
        "sdk/go/.copier-answers.yml: error[G034]: the SDK records a template source on one "
        "machine (/home/me/.cache/aiwf/templates)" in upgrade.out
    )
    assert f"hint: replace it with `_src_path: {TEMPLATE_SOURCE}`" in upgrade.out
    assert answers(consumer / "sdk/typescript")["_commit"] == f"v{versions.new_version}"


def test_upgrade_names_an_old_pre_commit_rev(
    consumer: Path, aiwf_new: list[str], versions: Versions, tmp_path: Path
) -> None:
    (consumer / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {TEMPLATE_SOURCE[:-4]}\n"
        f"    rev: v{versions.old_version}\n"
        "    hooks:\n"
        "      - id: aiwf-check\n"
    )
    commit_all(consumer, "hooks")
    upgrade = run(another_machine(tmp_path, *aiwf_new, "upgrade", "sdk/go"), consumer)
    assert upgrade.code == 0, str(upgrade)
    assert (
        f".pre-commit-config.yaml: note: aiwf's hooks are pinned at rev v{versions.old_version}; "
        f"bump it to v{versions.new_version}" in upgrade.out
    )


def test_plain_copier_update_from_the_recorded_source(
    consumer: Path, versions: Versions, aiwf_new: list[str], tmp_path: Path
) -> None:
    """``copier update --trust`` works from the URL every SDK records: a bare repository with
    the two releases stands in for the public one."""
    public = tmp_path / "public"
    public.mkdir()
    git(public, "init", "-q", "-b", "main")
    for tree, version in (
        (versions.old, versions.old_version),
        (versions.new, versions.new_version),
    ):
        for entry in public.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        for entry in tree.iterdir():
            if entry.name != ".git":
                copy = shutil.copytree if entry.is_dir() else shutil.copy2
                copy(entry, public / entry.name)
        commit_all(public, f"aiwf {version}")
        git(public, "tag", f"v{version}")
    bare = tmp_path / "public.git"
    git(tmp_path, "clone", "-q", "--bare", str(public), str(bare))
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "{bare}"]\n\tinsteadOf = {TEMPLATE_SOURCE}\n')
    env = tool_env(GIT_CONFIG_GLOBAL=str(gitconfig), COPIER_CACHE_DIR=str(tmp_path / "cc"))
    copier = require("copier")
    new = f"v{versions.new_version}"
    updated = run(
        [copier, "update", "--trust", "--defaults", "--vcs-ref", new, "sdk/go"], consumer, env
    )
    assert updated.code == 0, str(updated)
    assert answers(consumer / "sdk/go")["_commit"] == new
    assert answers(consumer / "sdk/go")["_src_path"] == TEMPLATE_SOURCE
    assert NEW_LINE.format(version=new) in (consumer / "sdk/go/README.md").read_text()
    assert (consumer / "sdk/go/MIGRATED.txt").exists()
    # copier does not touch the generated layer: aiwf check says so, aiwf sdk fixes it
    stale = run(another_machine(tmp_path, *aiwf_new, "check", "--no-diff", "sdk/go"), consumer)
    assert stale.code == 1, str(stale)
    assert "sdk/go/.aiwf/manifest.json: stale" in stale.out
    assert run(another_machine(tmp_path, *aiwf_new, "sdk"), consumer).code == 0
    assert run(another_machine(tmp_path, *aiwf_new, "check", "sdk/go"), consumer).code == 0


def test_unshare_really_cuts_the_network(tmp_path: Path) -> None:
    """The offline claim above rests on this: inside, not even loopback is up."""
    probe = "import socket; socket.create_connection(('127.0.0.1', 9), 1)"
    result = run(another_machine(tmp_path, "python3", "-c", probe), tmp_path)
    assert result.code != 0
    assert "Network is unreachable" in result.out or "Cannot assign" in result.out, str(result)
    assert os.environ.get("HOME") != str(tmp_path / "empty-home")


def test_check_of_an_sdk_in_step_compiles_and_renders_nothing(
    aiwf_new: list[str], tmp_path: Path
) -> None:
    """From a wheel, an SDK whose spec, config, aiwf and templates are what its manifest
    records is in step without the compiler or Jinja: the cheap path of the commit hook. A
    changed spec takes the full render."""
    consumer = make_consumer(tmp_path / "repo", aiwf_new, tmp_path / "home")
    python = str(Path(aiwf_new[0]).parent / "python")
    probe = (
        "import sys\n"
        "from aiwf._cli import main\n"
        "try:\n    main(['check'])\nexcept SystemExit as exit:\n    code = exit.code\n"
        "heavy = [m for m in ('aiwf._ir.compiler', 'jinja2', 'aiwf._generate.render') if m in sys.modules]\n"
        "print(code, heavy)\n"
    )
    quick = run([python, "-c", probe], consumer, tool_env(HOME=str(tmp_path / "home")))
    assert quick.out.strip().splitlines()[-1] == "0 []", str(quick)
    spec = consumer / "support.aiwf.yaml"
    spec.write_text(spec.read_text().replace("most urgent first", "most urgent last"))
    full = run([python, "-c", probe], consumer, tool_env(HOME=str(tmp_path / "home")))
    last = full.out.strip().splitlines()[-1]
    assert last.startswith("1 ["), str(full)
    assert "aiwf._ir.compiler" in last
