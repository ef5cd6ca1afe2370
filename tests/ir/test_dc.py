"""aiwf._ir._dc.dataclass: the classes it builds are the standard library's, method for method.

Each module that uses it is loaded a second time with the standard library's decorator in its
place, and every class is compared with its twin; small classes of every shape it handles are
checked for behaviour (init, repr, equality, hashing, frozenness, pickling, copying)."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import inspect
import pickle
import sys
from types import ModuleType
from typing import Any, ClassVar

import pytest

import aiwf._ir._dc as dc

#: Every module whose classes aiwf._ir._dc.dataclass builds, on the paths of aiwf validate,
#: check and sdk.
MODULES = [
    "aiwf._ir.types", "aiwf._ir.routes", "aiwf._ir.model", "aiwf._ir.expressions",
    "aiwf._ir.validate", "aiwf._ir.typecheck", "aiwf._ir.schemas", "aiwf._ir.compiler",
    "aiwf._config", "aiwf._diagnostics", "aiwf._spec", "aiwf._spec.loader", "aiwf._context",
    "aiwf._commands._spec", "aiwf._generate.drift",
    "aiwf._generate.jobs", "aiwf._generate.manifest", "aiwf._generate.render",
    "aiwf._generate.templates", "aiwf._generate.upgrade", "aiwf._generate.writer",
    "aiwf._generate.targets.base", "aiwf._generate.targets.bindings",
    "aiwf._generate.targets.go", "aiwf._generate.targets.go_types",
    "aiwf._generate.targets.go_workflows", "aiwf._generate.targets.python",
    "aiwf._generate.targets.python_types", "aiwf._generate.targets.ts_types",
    "aiwf._generate.targets.typescript", "aiwf.sdk",
]  # fmt: skip

PARAMS = ("init", "repr", "eq", "order", "unsafe_hash", "frozen")


def _twin(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The module ``name`` loaded again (under another name) with the standard library's
    decorator as ``aiwf._ir._dc.dataclass``."""
    real = importlib.import_module(name)
    spec = importlib.util.spec_from_file_location(f"_twin_{name}", real.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr(dc, "dataclass", dataclasses.dataclass)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def _described(f: dataclasses.Field[Any]) -> tuple[Any, ...]:
    # a factory that is a class of the module is the twin's own class in the twin
    factory = getattr(f.default_factory, "__qualname__", f.default_factory)
    return (f.name, f.type, f.default, factory, f.init, f.repr, f.hash, f.compare, f.kw_only,
            dict(f.metadata))  # fmt: skip


def _dataclasses(module: ModuleType) -> dict[str, type]:
    return {
        k: v
        for k, v in vars(module).items()
        if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == module.__name__
    }


@pytest.mark.parametrize("name", MODULES)
def test_every_class_is_the_standard_librarys(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _dataclasses(importlib.import_module(name))
    twins = _dataclasses(_twin(name, monkeypatch))
    assert real, f"{name} defines no dataclass"
    assert real.keys() == twins.keys()
    for key, cls in real.items():
        twin = twins[key]
        assert cls.__dict__["__repr__"].__module__ == "aiwf._ir._dc"  # built here, no fallback
        assert [_described(f) for f in dataclasses.fields(cls)] == [
            _described(f) for f in dataclasses.fields(twin)
        ], key
        assert cls.__doc__ == twin.__doc__, key
        assert cls.__dict__.get("__slots__") == twin.__dict__.get("__slots__"), key
        assert cls.__match_args__ == twin.__match_args__, key
        for param in PARAMS:
            assert getattr(cls.__dataclass_params__, param) == getattr(
                twin.__dataclass_params__, param
            ), (key, param)
        assert (cls.__hash__ is None) == (twin.__hash__ is None), key
        methods = {"__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__",
                   "__getstate__", "__setstate__"}  # fmt: skip
        assert methods & cls.__dict__.keys() == methods & twin.__dict__.keys(), key
        # The real __init__ (compiled on first use) has the standard library's signature.
        assert str(inspect.signature(dc._init(cls))) == str(inspect.signature(twin.__init__))


def test_ir_types_behave_as_the_standard_librarys(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwf._ir import types

    twin = _twin("aiwf._ir.types", monkeypatch)
    for cls in types.TYPE_CLASSES:
        mine, theirs = cls(description="d"), getattr(twin, cls.__name__)(description="d")
        assert repr(mine) == repr(theirs)
        assert hash(mine) == hash(theirs)
        assert mine == cls(description="d")
        assert mine != cls(description="e")
        assert dataclasses.asdict(mine) == dataclasses.asdict(theirs)
        assert dataclasses.replace(mine, nullable=True).nullable
        assert pickle.loads(pickle.dumps(mine)) == mine
        assert copy.deepcopy(mine) == mine
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field"):
            mine.nullable = True  # type: ignore[misc]


# -- small classes of each shape, against their standard library twins -----------------------


def _shapes(decorate: Any) -> dict[str, type]:
    @decorate(frozen=True, kw_only=True, slots=True)
    class Base:
        nullable: bool = False
        description: str | None = None

    @decorate(frozen=True, kw_only=True, slots=True)
    class Child(Base):
        keep: ClassVar[bool] = True
        kind: str = "child"
        items: tuple[int, ...] = dataclasses.field(default_factory=tuple)
        name: str

    @decorate(frozen=True, slots=True)
    class Pair:
        x: int
        y: Any = None

    @decorate
    class Mutable:
        a: int
        b: list[Any] = dataclasses.field(default_factory=list)
        c: str | None = dataclasses.field(default=None, repr=False)

    @decorate(frozen=True)
    class Partial:
        """Documented."""

        a: int
        b: int = dataclasses.field(default=0, compare=False, hash=False)

    @decorate(frozen=True)
    class Empty:
        pass

    @decorate(order=True)
    class Ordered:  # not one this module builds: the standard library's decorator does
        a: int

    return {c.__name__: c for c in (Base, Child, Pair, Mutable, Partial, Empty, Ordered)}


def _outcome(function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except Exception as exc:  # the failure is the outcome compared
        return f"{type(exc).__name__}: {exc}"


MINE = _shapes(dc.dataclass)
THEIRS = _shapes(dataclasses.dataclass)

SAMPLES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("Base", (), {}),
    ("Base", (), {"nullable": True, "description": "x"}),
    ("Child", (), {"name": "n"}),
    ("Child", (), {"name": "n", "items": (1, 2)}),
    ("Pair", (1,), {}),
    ("Pair", (1, [2]), {}),
    ("Mutable", (1,), {}),
    ("Partial", (1, 2), {}),
    ("Empty", (), {}),
    ("Ordered", (3,), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), SAMPLES)
def test_shapes_behave_as_the_standard_librarys(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    mine_cls, theirs_cls = MINE[name], THEIRS[name]
    mine, theirs = mine_cls(*args, **kwargs), theirs_cls(*args, **kwargs)
    assert repr(mine) == repr(theirs)
    assert mine == mine_cls(*args, **kwargs)
    assert mine != theirs  # another class
    assert (mine_cls.__hash__ is None) == (theirs_cls.__hash__ is None)
    assert _outcome(hash, mine) == _outcome(hash, theirs)
    assert dataclasses.astuple(mine) == dataclasses.astuple(theirs)
    assert mine_cls.__doc__ == theirs_cls.__doc__
    assert str(inspect.signature(mine_cls)) == str(inspect.signature(theirs_cls))
    assert mine_cls.__init__.__annotations__ == theirs_cls.__init__.__annotations__
    assert copy.deepcopy(mine) == mine
    assert copy.copy(mine) == mine
    if dataclasses.fields(mine):
        first = dataclasses.fields(mine)[0].name
        outcomes = []
        for obj in (mine_cls(*args, **kwargs), theirs_cls(*args, **kwargs)):
            set_to = _outcome(setattr, obj, first, 7)
            deleted = _outcome(delattr, obj, first)
            outcomes.append([set_to, deleted, _outcome(repr, obj)])
        assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("Child", (), {}),
        ("Child", ("x",), {"name": "n"}),
        ("Child", (), {"name": "n", "other": 1}),
        ("Pair", (), {}),
        ("Pair", (1, 2, 3), {}),
        ("Empty", (1,), {}),
    ],
)
def test_wrong_arguments_fail_as_with_the_standard_library(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    messages = []
    for cls in (MINE[name], THEIRS[name]):
        with pytest.raises(TypeError) as error:
            cls(*args, **kwargs)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_recursive_repr_and_match() -> None:
    mine, theirs = MINE["Mutable"](1), THEIRS["Mutable"](1)
    mine.b.append(mine)
    theirs.b.append(theirs)
    assert repr(mine) == repr(theirs)
    pair = MINE["Pair"]
    match pair(1, 2):
        case pair(x, y):  # type: ignore[misc]
            assert (x, y) == (1, 2)
        case _:
            pytest.fail("no match")


def test_inheritance_rules_are_the_standard_librarys() -> None:
    for decorate in (dc.dataclass, dataclasses.dataclass):
        with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen"):
            decorate(type("Thawed", (MINE["Base"],), {"__annotations__": {"z": "int"}}))
        with pytest.raises(TypeError, match="cannot inherit frozen dataclass from a non-frozen"):
            decorate(frozen=True)(type("Frozen", (MINE["Mutable"],), {}))
        with pytest.raises(TypeError, match="non-default argument 'z' follows default"):
            decorate(type("Late", (MINE["Mutable"],), {"__annotations__": {"z": "int"}}))
    # and a subclass the standard library builds of one built here keeps working
    sub = dataclasses.dataclass(frozen=True, kw_only=True)(
        type("Sub", (MINE["Child"],), {"__annotations__": {"extra": "int"}, "extra": 0})
    )
    assert sub(name="n").extra == 0
    assert sub(name="n") == sub(name="n")


@dc.dataclass(frozen=True, kw_only=True, slots=True)
class Pickled:
    name: str
    items: tuple[int, ...] = ()


def test_frozen_slotted_classes_pickle() -> None:
    value = Pickled(name="n", items=(1,))
    assert pickle.loads(pickle.dumps(value)) == value
    assert value.__getstate__() == ["n", (1,)]  # type: ignore[misc]


def test_the_shared_init_and_the_compiled_one_make_the_same_objects() -> None:
    @dc.dataclass
    class Many:
        a: int
        b: list[Any] = dataclasses.field(default_factory=list)
        c: str = "c"

    shared = Many.__dict__["__init__"]
    made = [Many(1), Many(a=2, c="x"), Many(3, [4]), Many(5, c="y", b=[6])]
    made[0].b.append(0)  # each object has its own list
    assert [repr(m).rpartition(".")[2] for m in made] == [
        "Many(a=1, b=[0], c='c')", "Many(a=2, b=[], c='x')", "Many(a=3, b=[4], c='c')",
        "Many(a=5, b=[6], c='y')",
    ]  # fmt: skip
    assert Many.__dict__["__init__"] is shared
    for i in range(dc._COMPILE_AFTER):
        Many(i)
    compiled = Many.__dict__["__init__"]
    assert compiled is not shared
    assert compiled.__code__.co_filename == "<string>"
    assert repr(Many(5, c="y", b=[6])) == repr(made[3])
    assert inspect.signature(compiled) == inspect.signature(shared)


def test_equality_and_hashing_compile_once_called_often() -> None:
    @dc.dataclass(frozen=True)
    class Point:
        x: int
        y: int = dataclasses.field(default=0, compare=False)

    shared_eq, shared_hash = Point.__dict__["__eq__"], Point.__dict__["__hash__"]
    before = [Point(1) == Point(1, 5), Point(1) == Point(2), hash(Point(3)), Point(1) == 1]
    for _ in range(dc._COMPILE_AFTER):
        assert Point(1) == Point(1)
        assert hash(Point(1)) == hash((1,))
    assert Point.__dict__["__eq__"] is not shared_eq
    assert Point.__dict__["__hash__"] is not shared_hash
    assert Point.__dict__["__eq__"].__code__.co_filename == "<string>"
    after = [Point(1) == Point(1, 5), Point(1) == Point(2), hash(Point(3)), Point(1) == 1]
    assert before == after == [True, False, hash((3,)), False]
