"""The project config: discovery, keys, environments."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_support import BASE, run_cli, write

from aiwf._config import find_config, load_config
from aiwf._errors import AiwfError


def test_pyproject_table_is_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.aiwf]\nspec = ["specs"]\nstore = "file://x"\n', encoding="utf-8"
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "pyproject.toml"
    config = load_config(cwd=deep)
    assert config.spec_paths() == [tmp_path / "specs"]
    assert config.store == "file://x"


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert find_config(tmp_path) is None
    assert load_config(cwd=tmp_path).source is None


def test_aiwf_toml_wins_in_the_same_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.aiwf]\n", encoding="utf-8")
    (tmp_path / "aiwf.toml").write_text("", encoding="utf-8")
    assert find_config(tmp_path) == tmp_path / "aiwf.toml"


def test_template_source_for_forks_and_mirrors(tmp_path: Path) -> None:
    (tmp_path / "aiwf.toml").write_text(
        '[templates]\nsource = "https://git.example.com/mirror/aiwf.git"\n', encoding="utf-8"
    )
    config = load_config(cwd=tmp_path)
    assert config.template_source == "https://git.example.com/mirror/aiwf.git"
    (tmp_path / "aiwf.toml").write_text('spec = "x"\n', encoding="utf-8")
    assert load_config(cwd=tmp_path).template_source is None


def test_environment_selection(tmp_path: Path) -> None:
    path = tmp_path / "aiwf.toml"
    path.write_text(
        'store = "file://dev"\ndefault_env = "dev"\n[environments.dev]\n[environments.prod]\nstore = "s3://b/p"\n'
        '[environments.prod.models.fast]\nmodel = "gpt-5.4"\n',
        encoding="utf-8",
    )
    assert load_config(path).env == "dev"
    prod = load_config(path, env="prod")
    assert (prod.env, prod.store, prod.model_overrides) == (
        "prod",
        "s3://b/p",
        {"fast": {"model": "gpt-5.4"}},
    )
    with pytest.raises(AiwfError, match=r"unknown environment 'staging' \(known: dev, prod\)"):
        load_config(path, env="staging")


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("spek = 'x'\n", "config key spek: unknown key", "did you mean 'spec'?"),
        (
            "spec = 3\n",
            "config key spec: must be a string or an array of strings, not the number 3",
            "see docs/configuration.md for the keys",
        ),
        (
            "[environments.prod]\nstor = 'x'\n",
            "config key environments.prod.stor: unknown key",
            "did you mean 'store'?",
        ),
        (
            "[environments.prod.models]\nfast = 'gpt-5.4'\n",
            "config key environments.prod.models.fast: must be a table, not the string 'gpt-5.4'",
            "see docs/configuration.md for the keys",
        ),
        ("store = [1]\n", "config key store: must be a string, not an array", None),
        (
            "[templates]\nsorce = 'x'\n",
            "config key templates.sorce: unknown key",
            "did you mean 'source'?",
        ),
        ("templates = 'x'\n", "config key templates: must be a table, not the string 'x'", None),
        (
            "[templates]\nsource = '../aiwf'\n",
            "config key templates.source: must be a git URL, not a path ('../aiwf'): every SDK "
            "records it, and a path only exists on one machine",
            'for example source = "https://git.example.com/mirror/aiwf.git"',
        ),
        (
            "[[sdk]]\nlang = 'go'\n",
            "config key sdk[0]: missing required key 'out'",
            'add out = "..."',
        ),
        (
            "[[sdk]]\nlang = 'go'\nout = 1\n",
            "config key sdk[0].out: must be a string, not the number 1",
            None,
        ),
        (
            "[breaking]\nfail_on = 'fatal'\n",
            "config key breaking.fail_on: must be one of error, warning, info, not the string 'fatal'",
            None,
        ),
        (
            "[breaking]\nbump_version = 'yes'\n",
            "config key breaking.bump_version: must be true or false, not the string 'yes'",
            None,
        ),
    ],
)
def test_bad_config_is_one_clear_error(
    tmp_path: Path, text: str, message: str, hint: str | None
) -> None:
    path = tmp_path / "aiwf.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AiwfError) as caught:
        load_config(path)
    assert (caught.value.code, caught.value.message) == ("C004", message)
    assert caught.value.hint == (hint or "see docs/configuration.md for the keys")


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "aiwf.toml"
    path.write_text("spec = [\n", encoding="utf-8")
    with pytest.raises(AiwfError, match="invalid TOML") as caught:
        load_config(path)
    assert caught.value.code == "C002"


def test_pyproject_keys_are_named_under_tool_aiwf(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.aiwf]\nstor = 'x'\n", encoding="utf-8")
    with pytest.raises(AiwfError) as caught:
        load_config(path)
    assert caught.value.message == "config key tool.aiwf.stor: unknown key"
    assert caught.value.hint == "did you mean 'store'?"


def test_cli_reports_config_errors_and_uses_configured_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, BASE, "specs/support.aiwf.yaml")
    (tmp_path / "aiwf.toml").write_text('spec = "specs"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli("validate").code == 0
    run = run_cli("validate", "--env", "nope")
    assert run.code == 1
    assert "error[C005]: unknown environment 'nope'" in run.err
    (tmp_path / "aiwf.toml").write_text("", encoding="utf-8")
    run = run_cli("validate")
    assert run.code == 2
    assert "no spec path given" in run.err


def test_override_of_unknown_model_is_reported(tmp_path: Path) -> None:
    write(tmp_path, BASE, "spec.aiwf.yaml")
    config = tmp_path / "aiwf.toml"
    config.write_text("[environments.prod.models.fsat]\nmodel = 'x'\n", encoding="utf-8")
    run = run_cli(
        "--config",
        str(config),
        "validate",
        "--env",
        "prod",
        "--format",
        "json",
        str(tmp_path / "spec.aiwf.yaml"),
    )
    assert run.code == 1
    (diag,) = [d for d in run.json() if d["code"] == "E030"]
    assert diag["file"] == str(config)
    assert diag["hint"] == "did you mean 'fast'?"


def test_engine_table_is_checked_and_merged(tmp_path: Path) -> None:
    path = tmp_path / "aiwf.toml"
    path.write_text(
        '[engine]\nkind = "temporal"\naddress = "t:7233"\npayload_threshold = 1024.0\n'
        '[environments.prod.engine]\nnamespace = "prod"\n',
        encoding="utf-8",
    )
    config = load_config(path, env="prod")
    assert config.engine == {
        "kind": "temporal",
        "address": "t:7233",
        "payload_threshold": 1024,
        "namespace": "prod",
    }
    assert config.engine["payload_threshold"].__class__ is int
    path.write_text('[engine]\nkind = "temporl"\n', encoding="utf-8")
    with pytest.raises(AiwfError) as caught:
        load_config(path)
    assert caught.value.message == (
        "config key engine.kind: must be one of local, temporal, not the string 'temporl'"
    )
    assert caught.value.hint == "did you mean 'temporal'?"
    path.write_text("[environments.prod.engine]\nsandbox = 'no'\n", encoding="utf-8")
    with pytest.raises(
        AiwfError, match=r"config key environments\.prod\.engine\.sandbox: must be true or false"
    ):
        load_config(path)
