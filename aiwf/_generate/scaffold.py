"""The scaffold layer of an SDK, through copier: first copy and 3-way update.

Every SDK records the template by a stable reference: ``_src_path`` in its
``.copier-answers.yml`` is the project's public git URL (:data:`aiwf._version.TEMPLATE_SOURCE`,
or the ``[templates] source`` of the project config for a fork or mirror), never a path on one
machine. So plain ``copier update --trust`` works wherever that URL is reachable.

aiwf itself never needs the network for it: :class:`TemplateSource` builds a git repository
from the template history the installed aiwf carries (every released version, see
:mod:`aiwf._generate.history`) and has git read it in place of the URL (``url.<repo>.insteadOf
<URL>``, set for copier's git processes only). copier records the URL it was given, so the
answers stay portable.

Only this module imports copier (its import alone costs about 0.3 s), and only when an SDK is
created or upgraded; ``aiwf check`` never comes here.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiwf._errors import AiwfError
from aiwf._generate.templates import TemplateTree, parse_version
from aiwf._version import TEMPLATE_SOURCE

if TYPE_CHECKING:
    import tempfile

ANSWERS_FILE = ".copier-answers.yml"

#: copier's own shorthands for git hosts (``gh:org/repo``).
_ALIASES = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def read_answers(sdk_dir: Path) -> dict[str, Any] | None:
    """The copier answers of the SDK in ``sdk_dir``; None when it has none."""
    path = sdk_dir / ANSWERS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AiwfError(f"unreadable copier answers: {exc}", code="G030", file=str(path)) from None
    plain = plain_mapping(text)
    if plain is not None:
        return plain
    import yaml  # not on aiwf check's path for the answers copier writes

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AiwfError(f"unreadable copier answers: {exc}", code="G030", file=str(path)) from None
    return data if isinstance(data, dict) else {}


#: A top-level ``key: value`` line whose key and value are plain YAML scalars of safe
#: characters, and a more-indented line that continues the value (YAML folds it in with a
#: space), as copier writes its answers.
_PLAIN_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*): +([A-Za-z_/][A-Za-z0-9_ ./:()@+,=<>-]*?) *")
_PLAIN_MORE = re.compile(r" +([A-Za-z0-9_(/.][A-Za-z0-9_ ./:()@+,=<>-]*?) *")
#: Plain scalars that YAML reads as booleans or null rather than strings (any case).
_NOT_STRINGS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"}


def plain_mapping(text: str) -> dict[str, str] | None:
    """``text`` as ``yaml.safe_load`` reads it, when it is a mapping of plain strings in the
    simple form copier writes (comments, ``key: value`` lines, values folded over indented
    lines); None for anything else, which is then left to PyYAML. Reading these answers
    without PyYAML keeps its import (a tenth of ``aiwf check``) off the check's path."""
    if not text.isascii() or "\t" in text or "\r" in text:
        return None
    out: dict[str, str] = {}
    key: str | None = None  # the entry that a more-indented line continues
    for line in text.split("\n"):
        if not line.strip():
            key = None  # a blank line inside a value is a line break: not handled here
            continue
        if line.startswith("#"):
            key = None
            continue
        if line.startswith(" "):
            more = _PLAIN_MORE.fullmatch(line)
            if key is None or more is None or ": " in line or line.rstrip().endswith(":"):
                return None
            out[key] += " " + more.group(1)
            continue
        entry = _PLAIN_ENTRY.fullmatch(line)
        if entry is None or ": " in entry.group(2) or entry.group(2).endswith(":"):
            return None
        key = entry.group(1)
        if key.lower() in _NOT_STRINGS:
            return None
        out[key] = entry.group(2)
    if not out or any(value.lower() in _NOT_STRINGS for value in out.values()):
        return None
    return out


def is_url(source: str) -> bool:
    """Whether ``source`` names a repository by URL (portable), not by a path on one machine."""
    return "://" in source or source.startswith(("git@", "gh:", "gl:"))


def git_urls(source: str) -> list[str]:
    """The URLs git may be asked to clone for ``source``: as written, and as copier rewrites
    it (``gh:``/``gl:`` expanded, ``git+`` dropped, ``.git`` added to GitHub/GitLab URLs)."""
    url = source
    for alias, base in _ALIASES.items():
        if url.startswith(alias):
            url = base + url[len(alias) :].lstrip("/")
            if not url.endswith(".git"):
                url += ".git"
    url = url.removeprefix("git+")
    if url.startswith(("https://github.com/", "https://gitlab.com/")) and not url.endswith(".git"):
        url += ".git"
    return list(dict.fromkeys([source, url]))


def default_source(configured: str | None) -> str:
    """The template source new SDKs record: the configured one, else the project's URL."""
    return configured or TEMPLATE_SOURCE


def check_source(recorded: str, configured: str | None, where: Path) -> None:
    """Raise when an SDK's recorded template source is not one aiwf can serve: a path on one
    machine (SDKs made before templates were named by URL), or an unknown repository."""
    known = [TEMPLATE_SOURCE, *([configured] if configured else [])]
    answers = str(where / ANSWERS_FILE)
    if not recorded:
        raise AiwfError(
            "the copier answers name no template source (_src_path)",
            code="G034",
            file=answers,
            hint=f"set `_src_path: {TEMPLATE_SOURCE}` in {ANSWERS_FILE} and commit",
        )
    if not is_url(recorded):
        raise AiwfError(
            f"the SDK records a template source on one machine ({recorded}), which no other "
            "machine has",
            code="G034",
            file=answers,
            hint=f"replace it with `_src_path: {known[-1]}` in {ANSWERS_FILE}, commit, and run "
            "aiwf upgrade again",
        )
    wanted = {u for source in known for u in git_urls(source)}
    if not set(git_urls(recorded)) & wanted:
        raise AiwfError(
            f"the SDK records the template source {recorded}, which is not aiwf's "
            f"({', '.join(known)})",
            code="G034",
            file=answers,
            hint="for a fork or mirror of aiwf's templates, set it as `source` under "
            "[templates] in the project config",
        )


class TemplateSource:
    """The installed templates' history as a git repository that copier reads under the
    source URLs, for the duration of a ``with`` block (see the module docstring)."""

    def __init__(self, tree: TemplateTree, urls: list[str]) -> None:
        self.tree = tree
        self.urls = [u for source in urls for u in git_urls(source)]
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.repo: Path | None = None
        self.versions: list[str] = []

    def __enter__(self) -> TemplateSource:
        import tempfile

        from aiwf._generate.history import HistoryError, build_repository, git

        self._tmp = tempfile.TemporaryDirectory(prefix="aiwf-templates-")
        try:
            repo, _ = build_repository(
                self.tree.root, Path(self._tmp.name) / "aiwf-templates.git", _aiwf_version()
            )
            tags = git(repo, "tag", "--list").split()
        except HistoryError as exc:
            self._tmp.cleanup()
            raise AiwfError(str(exc), code="G031") from None
        self.repo = repo
        found = [(v, t[1:]) for t in tags if (v := parse_version(t)) is not None]
        self.versions = [name for _, name in sorted(found)]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def has(self, version: str) -> bool:
        return version in self.versions

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Inside: git clones of the source URLs read the local repository, and copier keeps
        its clone cache in a temporary directory (never mixed with the user's own cache)."""
        from plumbum import local

        if self.repo is None or self._tmp is None:
            raise RuntimeError("TemplateSource.serving() outside its with block")
        base = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
        env = {"GIT_CONFIG_COUNT": str(base + len(self.urls))}
        for i, url in enumerate(self.urls, start=base):
            env[f"GIT_CONFIG_KEY_{i}"] = f"url.{self.repo}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{i}"] = url
        env["COPIER_CACHE_DIR"] = str(Path(self._tmp.name) / "copier-cache")
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            with local.env(**env):
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _aiwf_version() -> str:
    from aiwf import __version__

    return __version__


def _copier_error(exc: Exception, action: str, sdk_dir: Path) -> AiwfError:
    text = str(exc).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    hint = None
    if "dirty" in message:
        hint = "commit (or stash) your changes in the SDK first: copier merges against git"
    elif "git-tracked subprojects" in message:
        hint = "the SDK must be committed in a git repository: copier merges against git"
    elif "ProcessExecutionError" in type(exc).__name__ or "exit code" in message:
        detail = _stderr(exc)
        if detail:
            message = f"{message}: {detail}"
    return AiwfError(
        f"copier {action} failed: {message}", code="G032", file=str(sdk_dir), hint=hint
    )


def _stderr(exc: Exception) -> str:
    stderr = getattr(exc, "stderr", "") or ""
    lines = [line.strip() for line in str(stderr).splitlines() if line.strip()]
    return re.sub(r"\s+", " ", lines[-1]) if lines else ""


def copy(
    sdk_dir: Path, *, templates: TemplateSource, source: str, ref: str, data: dict[str, Any]
) -> None:
    """Create the scaffold in ``sdk_dir`` with ``copier copy`` from ``source`` at ``ref``."""
    import copier

    try:
        with templates.serving(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # copier's warnings are not the user's business
            copier.run_copy(
                source,
                sdk_dir,
                data=data,
                vcs_ref=ref,
                defaults=True,
                unsafe=True,
                quiet=True,
                overwrite=True,
            )
    except Exception as exc:  # copier, git (plumbum) and OS errors alike: one clear line
        raise _copier_error(exc, "copy", sdk_dir) from None


def update(sdk_dir: Path, *, templates: TemplateSource, ref: str) -> None:
    """Move the scaffold in ``sdk_dir`` to ``ref`` with copier's 3-way update (inline
    conflict markers where the merge fails; see :mod:`aiwf._generate.leftovers`)."""
    import copier

    try:
        with templates.serving(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            copier.run_update(
                sdk_dir,
                vcs_ref=ref,
                defaults=True,
                overwrite=True,
                unsafe=True,
                quiet=True,
                conflict="inline",
            )
    except Exception as exc:  # copier, git (plumbum) and OS errors alike: one clear line
        raise _copier_error(exc, "update", sdk_dir) from None
