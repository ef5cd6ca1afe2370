"""The identifier bases of the Python and TypeScript targets: an empty name and a leading
digit get the same treatment in both casings."""

from __future__ import annotations

import pytest

from aiwf._generate.targets.pycode import pascal_identifier, snake_identifier


@pytest.mark.parametrize(
    ("name", "snake", "pascal"),
    [
        ("ticket id", "ticket_id", "TicketId"),
        ("9lives", "f_9lives", "M9lives"),
        ("---", "field", "Model"),
        ("", "field", "Model"),
    ],
)
def test_identifier_bases(name: str, snake: str, pascal: str) -> None:
    assert snake_identifier(name) == snake
    assert pascal_identifier(name) == pascal
