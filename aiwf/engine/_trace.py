"""The run trace: one record of a workflow run, merged from every step and scatter item.

Each step has a :class:`StepSpan` (status, timing, calls, attempts, retries, tokens) and a
scattered step one :class:`ItemSpan` per item. :meth:`RunTrace.totals` sums them; the
trace is stored with the run's checkpoints and printed by ``aiwf run`` / ``aiwf dry-run``.
"""

from __future__ import annotations

import copy
import operator
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from aiwf.runtime._errors import ProviderError
from aiwf.runtime._types import AttemptRecord, ModelResponse


@dataclass
class ItemSpan:
    """One scatter item: ``ok``, ``failed``, ``skipped`` (failed under ``on_error: skip``),
    ``resumed`` (read back from a checkpoint) or ``cancelled``. ``attempt_log`` holds every
    HTTP attempt its call made (docs/wire.md §9), failed ones included."""

    index: int
    status: str = "running"
    latency: float = 0.0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    request_id: str | None = None
    error: str | None = None
    attempt_log: list[AttemptRecord] = field(default_factory=list)


@dataclass
class StepSpan:
    """One step of the run; a scattered step also has its items."""

    step: str
    assistant: str
    scatter: bool = False
    #: ``pending``, ``running``, ``ok``, ``failed``, ``cancelled`` or ``resumed``.
    status: str = "pending"
    started_at: float | None = None
    latency: float = 0.0
    items_total: int = 0
    items: list[ItemSpan] = field(default_factory=list)
    calls: int = 0
    attempts: int = 0
    retries: int = 0
    #: Calls that were answered by a fallback route after their route gave up.
    fallbacks: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    items_done: int = 0
    items_skipped: int = 0
    items_resumed: int = 0
    error: str | None = None
    #: The attempts of an unscattered step's call (a scattered step's are on its items).
    attempt_log: list[AttemptRecord] = field(default_factory=list)

    def item_ok(self, item: ItemSpan, latency: float) -> None:
        """An item answered (its call was counted with :meth:`add_response`)."""
        item.status = "ok"
        item.latency = latency

    def item_failed(self, item: ItemSpan, error: str, latency: float) -> None:
        """An item failed, and fails the step."""
        item.latency = latency
        item.error = error
        item.status = "failed"

    def item_skipped(self, item: ItemSpan, error: str, latency: float) -> None:
        """An item failed under ``on_error: skip``: its output is ``null``."""
        item.latency = latency
        item.error = error
        item.status = "skipped"
        self.items_skipped += 1

    def item_resumed(self, item: ItemSpan, skipped: bool) -> None:
        """An item read back from a checkpoint of an earlier attempt of the run."""
        item.status = "resumed"
        self.items_done += 1
        self.items_resumed += 1
        if skipped:
            item.error = "skipped in an earlier attempt"

    def add_response(self, response: ModelResponse, item: ItemSpan | None = None) -> None:
        """Count one answered call: every attempt it made, on every route it tried, and the
        tokens of them all (retries, repairs and fallbacks included)."""
        log = response.attempt_log
        if log:
            self._count(log, fallbacks=response.fallbacks, item=item)
        else:  # a client that keeps no attempt log (dry-run, replay, test doubles)
            self.calls += 1
            attempts = response.attempts + response.fallback_attempts
            self.attempts += attempts
            self.retries += max(0, attempts - 1)
            self.fallbacks += response.fallbacks
            self.input_tokens += response.usage.input_tokens
            self.output_tokens += response.usage.output_tokens
            if item is not None:
                item.attempts = attempts
                item.input_tokens = response.usage.input_tokens
                item.output_tokens = response.usage.output_tokens
        if item is not None:
            item.request_id = response.request_id

    def add_failure(self, error: ProviderError, item: ItemSpan | None = None) -> None:
        """Count one call that failed: its attempts reached a server too, and cost tokens."""
        fallbacks = sum(1 for a in error.attempt_log if a.kind == "fallback")
        self._count(error.attempt_log, fallbacks=fallbacks, item=item)

    def _count(
        self, log: tuple[AttemptRecord, ...], *, fallbacks: int, item: ItemSpan | None
    ) -> None:
        self.calls += 1
        self.attempts += len(log)
        self.retries += max(0, len(log) - 1)
        self.fallbacks += fallbacks
        tokens_in = sum(a.input_tokens for a in log)
        tokens_out = sum(a.output_tokens for a in log)
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        if item is not None:
            item.attempts = len(log)
            item.input_tokens, item.output_tokens = tokens_in, tokens_out
            item.attempt_log = list(log)
        else:
            self.attempt_log = list(log)


#: The counters of a :class:`StepSpan` that :meth:`RunTrace.totals` sums.
COUNTS = (
    "calls",
    "attempts",
    "retries",
    "fallbacks",
    "input_tokens",
    "output_tokens",
    "items_done",
    "items_skipped",
    "items_resumed",
)


@dataclass
class RunTrace:
    """Every step of one run, in the workflow's execution order."""

    run_id: str
    workflow: str
    spec: str
    digest: str
    #: ``running``, ``succeeded``, ``failed`` or ``interrupted``.
    status: str = "running"
    started_at: float = field(default_factory=time.time)
    latency: float = 0.0
    resumed: bool = False
    steps: dict[str, StepSpan] = field(default_factory=dict)
    error: str | None = None

    def totals(self) -> dict[str, int]:
        """Sums over the steps: calls, attempts, retries, tokens, items and their fates."""
        out = {key: sum(getattr(s, key) for s in self.steps.values()) for key in COUNTS}
        out["steps"] = len(self.steps)
        out["steps_done"] = sum(1 for s in self.steps.values() if s.status in ("ok", "resumed"))
        out["steps_resumed"] = sum(1 for s in self.steps.values() if s.status == "resumed")
        return out

    def outline(self) -> list[dict[str, Any]]:
        """The trace outline the conformance vectors compare (docs/wire.md §9): one entry
        per call that ran, in step order and, within a scattered step, item order."""
        return list(self._outline())

    def _outline(self) -> Iterator[dict[str, Any]]:
        for span in self.steps.values():
            calls: list[tuple[int | None, str, list[AttemptRecord]]] = []
            if span.scatter:
                calls = [(i.index, i.status, i.attempt_log) for i in span.items]
            elif span.status in ("ok", "failed"):
                calls = [(None, span.status, span.attempt_log)]
            for index, status, log in calls:
                if status not in ("ok", "failed", "skipped"):
                    continue
                attempts: list[str] = []
                tokens_in = tokens_out = 0
                for a in log:  # one pass (this runs per item at every write of the trace)
                    attempts.append(a.outline)
                    tokens_in += a.input_tokens
                    tokens_out += a.output_tokens
                yield {
                    "step": span.step,
                    "index": index,
                    "assistant": span.assistant,
                    "status": status,
                    "attempts": attempts,
                    "tokens": [tokens_in, tokens_out],
                }

    def to_dict(self, *, items: bool = True) -> dict[str, Any]:
        """The trace as JSON data, totals and the outline (docs/wire.md §9) included
        (``items=False``: without the item spans, for progress displays)."""
        # What dataclasses.asdict gives, built field by field: asdict copies every value
        # through a generic recursion (and copied the item spans twice here), which cost
        # 55-65 µs of CPU per scatter item at every write of the trace.
        data = _record(self, skip="steps")
        data["steps"] = [
            _record(s) if items else {**_shallow(s), "items": []} for s in self.steps.values()
        ]
        data["totals"] = self.totals()
        data["outline"] = self.outline()
        return data

    def to_json(self, *, items: bool = True) -> bytes:
        """:meth:`to_dict` as UTF-8 JSON, the same bytes as ``orjson.dumps(to_dict())``,
        for under half its CPU on a wide scatter: the spans and outline entries are encoded
        as they are made and dropped at once, instead of every item's dicts living until
        the whole is encoded (which also made the garbage collector walk them, over and
        over: at 100,000 items, 40-60 % of ``to_dict``'s time). Latencies and counts
        are never NaN; what orjson refuses (an integer past 64 bits, a lone surrogate in
        an error message) is encoded from :meth:`to_dict` by ``encode_json``."""
        import orjson  # the runtime's, imported by the first answer anyway

        data = _record(self, skip="steps")
        data["steps"] = [s if items else {**_shallow(s), "items": []} for s in self.steps.values()]
        data["totals"] = self.totals()
        try:
            head = orjson.dumps(data, default=_fields, option=orjson.OPT_PASSTHROUGH_DATACLASS)
            dumps = orjson.dumps
            outline = b",".join([dumps(entry) for entry in self._outline()])
        except orjson.JSONEncodeError:
            from aiwf.stores._base import encode_json

            return encode_json(self.to_dict(items=items))
        return b"".join((head[:-1], b',"outline":[', outline, b"]}"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunTrace:
        """The trace :meth:`to_dict` made (keys it does not know are left out)."""
        known = {f.name for f in fields(cls)} - {"steps"}
        trace = cls(**{k: v for k, v in data.items() if k in known})
        step_keys = {f.name for f in fields(StepSpan)} - {"items"}
        item_keys = {f.name for f in fields(ItemSpan)}
        for raw in data.get("steps", []):
            span = StepSpan(**{k: v for k, v in raw.items() if k in step_keys})
            span.attempt_log = _attempts(raw.get("attempt_log"))
            span.items = []
            for data_item in raw.get("items", []):
                item = ItemSpan(**{k: v for k, v in data_item.items() if k in item_keys})
                item.attempt_log = _attempts(data_item.get("attempt_log"))
                span.items.append(item)
            trace.steps[span.step] = span
        return trace

    def render(self) -> str:
        """A short human-readable table of the trace."""
        lines = [f"run {self.run_id}: {self.status} in {self.latency:.2f}s"]
        for span in self.steps.values():
            items = ""
            if span.scatter:
                items = f" items {span.items_done}/{span.items_total}"
                if span.items_skipped:
                    items += f" ({span.items_skipped} skipped)"
                if span.items_resumed:
                    items += f" ({span.items_resumed} resumed)"
            error = f" error: {span.error}" if span.error else ""
            fallbacks = f" fallbacks {span.fallbacks}" if span.fallbacks else ""
            lines.append(
                f"  {span.step:<20} {span.status:<9} {span.latency:7.3f}s calls {span.calls}"
                f" retries {span.retries}{fallbacks} tokens {span.input_tokens}+{span.output_tokens}"
                f"{items}{error}"
            )
        t = self.totals()
        lines.append(
            f"  total: {t['steps_done']}/{t['steps']} steps, {t['calls']} calls, "
            f"{t['retries']} retries, {t['input_tokens']} input + {t['output_tokens']} output tokens"
        )
        return "\n".join(lines)


def _shallow(span: StepSpan) -> dict[str, Any]:
    data = {f.name: getattr(span, f.name) for f in fields(span) if f.name != "items"}
    data["attempt_log"] = [asdict(a) for a in span.attempt_log]
    return data


#: The types :func:`_value` passes through as they are (immutable: nothing to copy).
_ATOMS = frozenset({str, int, float, bool, type(None)})
#: Each dataclass :func:`_record` and :func:`_fields` met: its field names in declaration
#: order, and one getter of them all (None for a single field: ``attrgetter`` of one name
#: gives the value, not a tuple).
_SHAPES: dict[type, tuple[tuple[str, ...], Callable[[Any], Any] | None]] = {}


def _shape(obj: Any) -> tuple[tuple[str, ...], Callable[[Any], Any] | None]:
    """The field names and getter of the dataclass instance ``obj`` (``TypeError`` for
    anything else: orjson's signal of a value it cannot encode)."""
    cls = type(obj)
    shape = _SHAPES.get(cls)
    if shape is None:
        if not is_dataclass(obj) or isinstance(obj, type):
            raise TypeError(f"{cls.__name__} is not JSON-serialisable")
        names = tuple(f.name for f in fields(obj))
        shape = _SHAPES[cls] = (names, operator.attrgetter(*names) if len(names) > 1 else None)
    return shape


def _record(obj: Any, *, skip: str | None = None) -> dict[str, Any]:
    """``dataclasses.asdict(obj)``: the same dict (keys in field order, values copied
    deeply, nested dataclasses as dicts), without its per-value generic dispatch; the
    field ``skip`` keeps its place, with ``None`` (the caller fills it)."""
    atoms = _ATOMS
    out: dict[str, Any] = {}
    for name in _shape(obj)[0]:
        value = None if name == skip else getattr(obj, name)
        out[name] = value if type(value) in atoms else _value(value)
    return out


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields, not copied (:meth:`RunTrace.to_json` encodes them at once);
    ``TypeError`` for anything else."""
    names, getter = _shape(obj)
    if getter is None:
        return {name: getattr(obj, name) for name in names}
    return dict(zip(names, getter(obj), strict=True))


def _value(value: Any) -> Any:
    """A value of a dataclass field copied as ``dataclasses.asdict`` copies it."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return _record(value)
    if kind is list:
        return [_value(v) for v in value]
    if kind is dict:
        return {_value(k): _value(v) for k, v in value.items()}
    if kind is tuple:
        return tuple(_value(v) for v in value)
    return copy.deepcopy(value)  # what asdict does with any other value


def _attempts(data: Any) -> list[AttemptRecord]:
    """The attempt records of a trace read back from JSON."""
    return [AttemptRecord(**a) for a in data or ()]
