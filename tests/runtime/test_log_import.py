"""The runtime's logging is off until the application enables ``aiwf.runtime``, whether
loguru is imported before the runtime, after it, or never (then the runtime does not import
it either). Each case runs in a fresh interpreter: which modules are loaded is the point."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(script: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_runtime_that_logs_nothing_does_not_import_loguru() -> None:
    out = _run("""
        import sys
        import aiwf.runtime._client
        from aiwf.runtime._log import log
        log("WARNING", "model call failed")  # dropped: nobody can have enabled the name
        print("loguru" in sys.modules)
    """)
    assert out == ["False"]


def test_loguru_imported_after_the_runtime_starts_with_the_runtime_disabled() -> None:
    out = _run("""
        import sys
        from aiwf.runtime import _log
        from loguru import logger
        lines = []
        logger.remove()
        logger.add(lambda m: lines.append(m.record["message"]), level="DEBUG")
        _log.log("INFO", "one")  # disabled until the application enables it
        logger.enable("aiwf.runtime")
        _log.log("INFO", "two")
        logger.disable("aiwf.runtime")
        _log.log("INFO", "three")
        import loguru
        print(*lines, type(loguru.__loader__).__name__, _log._HOOK in sys.meta_path)
    """)
    assert out == ["two", "SourceFileLoader", "False"]


def test_loguru_imported_before_the_runtime_is_disabled_by_its_import() -> None:
    out = _run("""
        from loguru import logger
        lines = []
        logger.remove()
        logger.add(lambda m: lines.append(m.record["message"]), level="DEBUG")
        logger.enable("aiwf.runtime")  # before the import: the import disables it
        from aiwf.runtime import _log
        _log.log("INFO", "one")
        logger.enable("aiwf.runtime")
        _log.log("INFO", "two")
        print(*lines)
    """)
    assert out == ["two"]


def test_a_probe_for_loguru_does_not_lose_the_application_s_enable() -> None:
    """``importlib.util.find_spec("loguru")`` (is it installed?) loads nothing: the import
    after it still starts with the runtime disabled, and the application's enable wins."""
    out = _run("""
        import importlib.util
        from aiwf.runtime import _log
        assert importlib.util.find_spec("loguru") is not None
        from loguru import logger
        lines = []
        logger.remove()
        logger.add(lambda m: lines.append(m.record["message"]), level="DEBUG")
        _log.log("INFO", "one")
        logger.enable("aiwf.runtime")
        _log.log("INFO", "two")
        _log.log("INFO", "three")
        print(*lines)
    """)
    assert out == ["two", "three"]


def test_a_reloaded_loguru_starts_with_the_runtime_disabled_again() -> None:
    out = _run("""
        import importlib
        import loguru
        from aiwf.runtime import _log
        importlib.reload(loguru)  # a new logger, with loguru's own stderr sink
        lines = []
        loguru.logger.remove()
        loguru.logger.add(lambda m: lines.append(m.record["message"]), level="DEBUG")
        _log.log("INFO", "one")
        print(len(lines))
    """)
    assert out == ["0"]
