"""format_files: the one way generated files go through a language's formatter (ruff, gofmt)."""

from __future__ import annotations

import sys

import pytest

from aiwf._errors import AiwfError
from aiwf._generate.formatting import format_files

UPPER = "import pathlib; p = pathlib.Path('pkg/a.txt'); p.write_text(p.read_text().upper())"


def test_only_files_with_the_suffix_go_through_the_commands_in_order() -> None:
    files = {"pkg/a.txt": "hello\n", "README.md": "keep me\n"}
    commands = [
        [sys.executable, "-c", UPPER],
        [sys.executable, "-c", "import pathlib; pathlib.Path('pkg/a.txt').open('a').write('!')"],
    ]
    out = format_files(files, ".txt", "upper", lambda: commands)
    assert out == {"pkg/a.txt": "HELLO\n!", "README.md": "keep me\n"}
    assert files == {"pkg/a.txt": "hello\n", "README.md": "keep me\n"}  # not changed in place


def test_the_commands_are_not_asked_for_without_a_file_to_format() -> None:
    def missing() -> list[list[str]]:
        raise AiwfError("the formatter is not installed", code="G010")

    assert format_files({"a.go": "package a\n"}, ".py", "ruff", missing) == {"a.go": "package a\n"}
    with pytest.raises(AiwfError) as raised:
        format_files({"a.py": "x = 1\n"}, ".py", "ruff", missing)
    assert raised.value.code == "G010"


def test_a_failing_formatter_is_reported_as_a_template_bug() -> None:
    fail = [[sys.executable, "-c", "import sys; sys.exit('syntax error at a.go:3')"]]
    with pytest.raises(AiwfError) as raised:
        format_files({"a.go": "package a\n"}, ".go", "gofmt", lambda: fail)
    assert raised.value.code == "G011"
    assert raised.value.message == (
        "gofmt could not format the generated code: syntax error at a.go:3"
    )
    assert raised.value.hint == "this is a bug in aiwf's templates; please report it with the spec"
