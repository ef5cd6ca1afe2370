"""Helpers for the IR's dataclasses: a discriminator marker that pydantic understands when
it is imported (for ``aiwf compile`` and IR loading), and that costs nothing otherwise; and
:func:`dataclass`, the standard library's decorator at a fraction of its start-up cost.

Why a decorator of our own: on the Python versions aiwf supports, ``dataclasses.dataclass``
writes the source of each method it adds (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, and ``__setattr__``/``__delattr__`` for a frozen class) and compiles it with
``exec``: 0.5-1 ms per class, and every ``aiwf`` command defines dozens of classes before it
does anything. Here the standard library still collects the fields (so ``dataclasses.fields``,
``replace``, ``asdict``, ``is_dataclass``, ``__match_args__``, ``__slots__`` and pydantic's
reading of the class are its own), and the methods come from shared implementations instead:
``__repr__``, ``__eq__``, ``__hash__`` and the frozen ``__setattr__``/``__delattr__`` are
closures over the class's field names, with the same results as the generated ones;
``__init__`` is one loop over the fields, shared by every class, until the class has made
:data:`_COMPILE_AFTER` objects, and then the one the standard library would write, compiled
then (so a class that makes many objects keeps the standard library's speed, and one that
makes a few never pays for a compile). Signatures, annotations and docstrings are the
standard library's throughout.

Type checkers see ``dataclasses.dataclass`` itself (the name is an alias of it under
``TYPE_CHECKING``), so mypy's view of the classes does not change. A class or an option this
module does not handle (``order``, ``unsafe_hash``, ``eq=False``, ``InitVar``, ``KW_ONLY``,
``init=False`` fields, a class that writes one of the methods itself, ...) goes to the
standard library's decorator unchanged.
"""

from __future__ import annotations

import dataclasses
import inspect  # imported by dataclasses anyway
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

#: The dunder methods this module adds; a class that defines one itself is left to the
#: standard library (which keeps the class's own, or refuses, by its rules).
_OWN_METHODS = frozenset({
    "__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__",
    "__getstate__", "__setstate__",
})  # fmt: skip


class Discriminated:
    """``Annotated`` metadata naming the tag field of a union of dataclasses.

    When pydantic builds a schema for the IR it makes a tagged union of the members.
    """

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        choices: dict[Any, Any] = {}
        for member in source.__args__:
            tag = next(f.default for f in dataclasses.fields(member) if f.name == self.field)
            choices[tag] = handler.generate_schema(member)
        return core_schema.tagged_union_schema(choices, discriminator=self.field)


def to_data(value: Any) -> Any:
    """Plain JSON data of a dataclass tree: fields in declaration order, ``None`` dropped
    (kept for a class that says ``keep_none``), tuples as lists."""
    kind = type(value)
    names = _FIELD_NAMES.get(kind, _UNSEEN)
    if names is _UNSEEN:
        is_instance = dataclasses.is_dataclass(kind) and not isinstance(value, type)
        names = tuple(f.name for f in dataclasses.fields(kind)) if is_instance else None
        _FIELD_NAMES[kind] = names
    if names is not None:
        out = {}
        keep = getattr(value, "keep_none", False)
        for name in names:
            item = getattr(value, name)
            if item is None and not keep:
                continue
            out[name] = to_data(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    return value


#: The field names of each class :func:`to_data` met (None: not a dataclass).
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
_UNSEEN: Any = object()


# -- the decorator ----------------------------------------------------------------------------


class _Factory:
    """The default of a parameter whose field has a ``default_factory`` (shown as
    ``<factory>`` in signatures, as the standard library shows it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY = _Factory()
_DEFAULTS = {"init": True, "repr": True, "eq": True, "order": False, "unsafe_hash": False}
_TAKEN = {"match_args", "kw_only", "slots"}


def _dataclass(cls: type | None = None, /, **options: Any) -> Any:
    """``dataclasses.dataclass`` with the same arguments and the same resulting class, built
    without compiling a method until the class calls it often (see the module docstring)."""

    def wrap(cls: type) -> type:
        return _build(cls, options)

    return wrap if cls is None else wrap(cls)


def _build(cls: type, options: dict[str, Any]) -> type:
    frozen = bool(options.get("frozen", False))
    if not _fits(cls, options):
        return dataclasses.dataclass(cls, **options)
    # The standard library checks that a frozen class has only frozen dataclass bases and a
    # thawed one only thawed ones; it is told "not frozen" below, so check here and let its
    # own check pass.
    base_params = [
        b.__dict__["__dataclass_params__"]
        for b in cls.__mro__[1:]
        if "__dataclass_params__" in b.__dict__
    ]
    if base_params and any(p.frozen for p in base_params) and not frozen:
        raise TypeError("cannot inherit non-frozen dataclass from a frozen one")
    if base_params and not any(p.frozen for p in base_params) and frozen:
        raise TypeError("cannot inherit frozen dataclass from a non-frozen one")
    documented = bool(cls.__dict__.get("__doc__"))
    if not documented:
        cls.__doc__ = "-"  # spares the standard library a signature; the real one follows
    thawed = [p for p in base_params if p.frozen]
    for params in thawed:
        params.frozen = False
    try:
        cls = dataclasses.dataclass(
            cls,
            init=False,
            repr=False,
            eq=False,
            frozen=False,
            **{k: v for k, v in options.items() if k in _TAKEN},
        )
    finally:
        for params in thawed:
            params.frozen = True
    params = cls.__dict__["__dataclass_params__"]
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    fields = dataclasses.fields(cls)
    _check_defaults_order(fields)
    signature = _signature(fields)
    _add(cls, "__init__", _lazy_init(cls, signature))
    _add(cls, "__repr__", _repr([f.name for f in fields if f.repr]))
    _add(cls, "__eq__", _eq(cls, [f.name for f in fields if f.compare]))
    if frozen:
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        _add(cls, "__hash__", _hash(cls, hashed))
        names = frozenset(f.name for f in fields)
        _add(cls, "__setattr__", _frozen_setattr(cls, names))
        _add(cls, "__delattr__", _frozen_delattr(cls, names))
        if "__slots__" in cls.__dict__ and options.get("slots"):
            _add(cls, "__getstate__", _getstate)
            _add(cls, "__setstate__", _setstate)
    else:
        cls.__hash__ = None  # type: ignore[assignment]
    if not documented:
        shown = signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )
        cls.__doc__ = cls.__name__ + str(shown)
    return cls


def _fits(cls: type, options: dict[str, Any]) -> bool:
    """Whether the class and options are ones this module builds (else the standard
    library's decorator does)."""
    if any(options.get(k, v) != v for k, v in _DEFAULTS.items()):
        return False
    if set(options) - _TAKEN - set(_DEFAULTS) - {"frozen"}:
        return False  # weakref_slot, and whatever a later Python adds
    if _OWN_METHODS & cls.__dict__.keys() or hasattr(cls, "__post_init__"):
        return False
    for annotation in inspect.get_annotations(cls).values():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if "InitVar" in text or "KW_ONLY" in text:
            return False
    for value in cls.__dict__.values():
        if isinstance(value, dataclasses.Field) and not value.init:
            return False
    for base in cls.__mro__[1:]:
        if "__dataclass_fields__" in base.__dict__ and not all(
            f.init for f in dataclasses.fields(base)
        ):
            return False
    return True


def _check_defaults_order(fields: tuple[dataclasses.Field[Any], ...]) -> None:
    seen_default = False
    for f in fields:
        if f.kw_only:
            continue
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")


def _add(cls: type, name: str, method: Callable[..., Any]) -> None:
    method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    setattr(cls, name, method)


def _signature(fields: tuple[dataclasses.Field[Any], ...]) -> inspect.Signature:
    """The signature of the class's ``__init__``, as ``inspect`` shows the standard library's
    (and so the shared ``__init__`` shows it too, before the class's own is compiled)."""

    def param(f: dataclasses.Field[Any], kind: Any) -> inspect.Parameter:
        default = f.default
        if f.default_factory is not dataclasses.MISSING:
            default = _HAS_FACTORY
        elif default is dataclasses.MISSING:
            default = inspect.Parameter.empty
        return inspect.Parameter(f.name, kind, default=default, annotation=f.type)

    names = {f.name for f in fields}
    self_name = "__dataclass_self__" if "self" in names else "self"
    ordinary = inspect.Parameter.POSITIONAL_OR_KEYWORD
    positional = [param(f, ordinary) for f in fields if not f.kw_only]
    keyword = [param(f, inspect.Parameter.KEYWORD_ONLY) for f in fields if f.kw_only]
    params = [inspect.Parameter(self_name, ordinary), *positional, *keyword]
    return inspect.Signature(params, return_annotation=None)


#: Objects a class makes through the shared ``__init__`` before its own is compiled.
_COMPILE_AFTER = 100


def _lazy_init(cls: type, signature: inspect.Signature) -> Callable[..., None]:
    """The class's ``__init__`` until it has made :data:`_COMPILE_AFTER` objects: one loop
    over the fields, shared by every class, that assigns what the compiled one would, in the
    same order. Then (or at once for a call that is not well formed, so that the error is the
    standard library's) the class's own ``__init__`` is compiled, put in its place and run.

    A class that makes a few objects per command (most of them) never compiles one; a class
    that makes many pays one compile and keeps the standard library's speed."""
    plan: list[Any] = []  # (positional names, names, required names, field specs), on first use
    calls = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if not plan:
            plan.append(_init_plan(cls))
        positional, names, required, specs, assign = plan[0]
        if args and len(args) <= len(positional):
            bound = dict(zip(positional, args, strict=False))
            if bound.keys().isdisjoint(kwargs.keys()):
                kwargs = {**bound, **kwargs}
                args = ()
        if calls > _COMPILE_AFTER or args or not required <= kwargs.keys() <= names:
            real = _init(cls)
            _add(cls, "__init__", real)
            real(self, *args, **kwargs)
            return
        for name, default, factory in specs:
            if name in kwargs:
                assign(self, name, kwargs[name])
            elif factory is None:
                assign(self, name, default)
            else:
                assign(self, name, factory())

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    params = list(signature.parameters.values())[1:]
    __init__.__annotations__ = {**{p.name: p.annotation for p in params}, "return": None}
    return __init__


def _init_plan(cls: type) -> tuple[Any, ...]:
    fields = dataclasses.fields(cls)
    frozen = cls.__dict__["__dataclass_params__"].frozen
    positional = tuple(f.name for f in fields if not f.kw_only)
    names = frozenset(f.name for f in fields)
    required = frozenset(
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    specs = tuple(
        (f.name, f.default, None if f.default_factory is dataclasses.MISSING else f.default_factory)
        for f in fields
    )
    # a frozen class's fields are set past its __setattr__, a thawed class's through it
    assign = object.__setattr__ if frozen else setattr
    return positional, names, required, specs, assign


def _init(cls: type) -> Callable[..., None]:
    """The ``__init__`` the standard library would write for ``cls`` (same parameters,
    defaults, annotations and assignments)."""
    fields = dataclasses.fields(cls)
    frozen = cls.__dict__["__dataclass_params__"].frozen
    self_name = "__dataclass_self__" if any(f.name == "self" for f in fields) else "self"
    local: dict[str, Any] = {
        "__dataclass_HAS_DEFAULT_FACTORY__": _HAS_FACTORY,
        "__dataclass_builtins_object__": object,
        "__dataclass_return_type__": None,
    }
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in fields:
        local[f"__dataclass_type_{f.name}__"] = f.type
        default_name = f"__dataclass_dflt_{f.name}__"
        value = f.name
        if f.default_factory is not dataclasses.MISSING:
            local[default_name] = f.default_factory
            default = "=__dataclass_HAS_DEFAULT_FACTORY__"
            value = (
                f"{default_name}() if {f.name} is __dataclass_HAS_DEFAULT_FACTORY__ else {f.name}"
            )
        elif f.default is not dataclasses.MISSING:
            local[default_name] = f.default
            default = f"={default_name}"
        else:
            default = ""
        (keyword if f.kw_only else positional).append(
            f"{f.name}:__dataclass_type_{f.name}__{default}"
        )
        if frozen:
            body.append(
                f"  __dataclass_builtins_object__.__setattr__({self_name},{f.name!r},{value})"
            )
        else:
            body.append(f"  {self_name}.{f.name}={value}")
    params = [self_name, *positional, *(["*", *keyword] if keyword else [])]
    text = (
        f"def __create_fn__({', '.join(local)}):\n"
        f" def __init__({','.join(params)})->__dataclass_return_type__:\n"
        + ("\n".join(f" {line}" for line in body) if body else "  pass")
        + "\n return __init__"
    )
    module = sys.modules.get(cls.__module__)
    namespace: dict[str, Any] = {}
    # compiled without this module's ``from __future__ import annotations``: the annotations
    # are the fields' types themselves, as the standard library's are
    code = compile(text, "<string>", "exec", dont_inherit=True)
    exec(code, module.__dict__ if module is not None else {}, namespace)
    init: Callable[..., None] = namespace["__create_fn__"](**local)
    return init


def _repr(names: list[str]) -> Callable[[Any], str]:
    import _thread

    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = id(self), _thread.get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in names])
            return f"{self.__class__.__qualname__}({shown})"
        finally:
            running.discard(key)

    return __repr__


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function of an object to the tuple of its ``names`` (always a tuple, as the
    standard library compares and hashes them)."""
    if not names:
        return lambda _self: ()
    import operator

    get = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda self: (get(self),)
    return get


def _eq(cls: type, names: list[str]) -> Callable[[Any, Any], Any]:
    values = _values(names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    body = f" if other.__class__ is self.__class__:\n  return {_tuple('self', names)}=={_tuple('other', names)}\n return NotImplemented"
    return _adaptive(cls, __eq__, "self,other", body)


def _hash(cls: type, names: list[str]) -> Callable[[Any], int]:
    values = _values(names)

    def __hash__(self: Any) -> int:
        return hash(values(self))

    return _adaptive(cls, __hash__, "self", f" return hash({_tuple('self', names)})")


def _tuple(obj: str, names: list[str]) -> str:
    """``(obj.a,obj.b,)`` (as the standard library's generated methods build the tuple)."""
    return f"({','.join(f'{obj}.{name}' for name in names)},)" if names else "()"


def _adaptive(cls: type, shared: Callable[..., Any], params: str, body: str) -> Callable[..., Any]:
    """``shared`` for the class's first :data:`_COMPILE_AFTER` calls, then the method the
    standard library would write (``def NAME(PARAMS):\nBODY``), compiled then and put in its
    place: a method called often (``__eq__``, ``__hash__`` of objects in sets) runs at the
    standard library's speed, one called a few times costs no compile."""
    name = shared.__name__
    calls = 0

    def method(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > _COMPILE_AFTER:
            real = _compiled(cls, f"def {name}({params}):\n{body}\n", name)
            _add(cls, name, real)
            return real(*args)
        return shared(*args)

    method.__name__ = name
    return method


def _compiled(cls: type, text: str, name: str) -> Any:
    module = sys.modules.get(cls.__module__)
    namespace: dict[str, Any] = {}
    code = compile(text, "<string>", "exec", dont_inherit=True)
    exec(code, module.__dict__ if module is not None else {}, namespace)
    return namespace[name]


def _frozen_setattr(cls: type, names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    return __setattr__


def _frozen_delattr(cls: type, names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    return __delattr__


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=False):
        object.__setattr__(self, f.name, value)


if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
else:
    dataclass = _dataclass
