"""The name pattern of models, schemas, assistants, workflows and steps."""

from __future__ import annotations

#: An ASCII letter, then letters, digits or underscores, at most 64 characters. Every target
#: language can make an identifier of such a name.
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
