"""Shared test setup: spec helpers are importable by module name from every test folder."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "spec"))
