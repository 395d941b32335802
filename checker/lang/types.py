"""State declarations (what a model author writes) and the sorts they resolve to.

A declaration may depend on the model's parameters: a size or a bound can be an int, the
name of a parameter, or a function of the parameters. Declarations are resolved once per
model instance into *slots*: one slot per scalar, one per array element, one per set.
Every engine lays a state out as the same tuple of slots.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError, error_at_caller
from .initial import MAX_INITIAL, choice_values, is_choice

# A value that may be given directly, by parameter name, or computed from the parameters.
Dim = int | str | Callable[[Any], Any] | None


def resolve(value: Any, params: Any, decl: StateDecl | None = None) -> Any:
    """``value`` itself, the parameter it names, or what it computes from the parameters.

    A missing parameter is reported at ``decl``'s line (the declaration naming it), not at
    whichever model frame happens to be on the stack while the model is built."""
    if isinstance(value, str) and not isinstance(value, EnumLiteral):
        try:
            return getattr(params, value)
        except (AttributeError, ModelError):
            if decl is None:
                raise
            raise decl.fail(f"the model has no parameter '{value}'") from None
    if callable(value):
        return value(params)
    return value


class EnumLiteral(str):
    """Marker so that a str default of an Enum is not mistaken for a parameter name."""


# ---------------------------------------------------------------------------- sorts
@dataclass(frozen=True)
class BoolSort:
    kind = "bool"
    finite = True

    def values(self) -> tuple[bool, ...]:
        return (False, True)

    def check(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "bool"


@dataclass(frozen=True)
class IntSort:
    lo: int | None = None
    hi: int | None = None
    kind = "int"

    @property
    def finite(self) -> bool:
        return self.lo is not None and self.hi is not None

    def values(self) -> range:
        assert self.finite
        return range(self.lo, self.hi + 1)  # type: ignore[operator]

    def check(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return (self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)

    def describe(self) -> str:
        lo = "-inf" if self.lo is None else self.lo
        hi = "+inf" if self.hi is None else self.hi
        return f"int[{lo}..{hi}]"


@dataclass(frozen=True)
class EnumSort:
    names: tuple[str, ...]
    kind = "enum"
    finite = True

    def values(self) -> tuple[str, ...]:
        return self.names

    def check(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.names

    def describe(self) -> str:
        return "{" + ", ".join(self.names) + "}"


@dataclass(frozen=True)
class SetSort:
    """A set of scalars. Finite element sorts become bit vectors in the symbolic engines."""

    elem: IntSort | EnumSort | BoolSort
    kind = "set"

    @property
    def finite(self) -> bool:
        return getattr(self.elem, "finite", True)

    def check(self, value: Any) -> bool:
        return isinstance(value, frozenset) and all(self.elem.check(v) for v in value)

    def describe(self) -> str:
        return f"set of {self.elem.describe()}"


ScalarSort = BoolSort | IntSort | EnumSort
Sort = ScalarSort | SetSort


# ---------------------------------------------------------------------------- declarations
class StateDecl:
    """Base of the declarations a component lists as class attributes."""

    name: str = "?"
    #: where the declaration was written, for error messages
    file: str | None = None
    line: int | None = None

    def __init__(self) -> None:
        err = error_at_caller(ModelError, "", depth=3)
        self.file, self.line = err.file, err.line

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def fail(self, message: str) -> ModelError:
        return ModelError(f"state '{self.name}': {message}", self.file, self.line)


_UNSET: Any = object()


class Scalar(StateDecl, ABC):
    def __init__(self, init: Any = None) -> None:
        super().__init__()
        self.init = init

    @abstractmethod
    def sort(self, params: Any) -> ScalarSort: ...

    @abstractmethod
    def default(self, sort: ScalarSort) -> Any: ...

    def resolve_init(self, params: Any, sort: ScalarSort) -> Any:
        """The one initial value (the first of a choice: see `init_choices`)."""
        return self.init_choices(params, sort)[0]

    def init_choices(self, params: Any, sort: ScalarSort, value: Any = _UNSET) -> list[Any]:
        """The initial values to choose from (one unless ``init`` is a choice: `checker.lang.initial`)."""
        if value is _UNSET:
            value = self.init if self.init is any else resolve(self.init, params, self)
        if value is any and not getattr(sort, "finite", True):
            raise self.fail(f"init=any needs a finite type, not {sort.describe()} (give a range or a set)")
        if is_choice(value):
            count = len(sort.values()) if value is any else len(value)  # type: ignore[union-attr]
            if count > MAX_INITIAL:  # refused before a single value is listed (a range may be huge)
                raise self.fail(
                    f"a choice of {count:,} initial values is more than the {MAX_INITIAL:,} raceproof enumerates"
                )
        # the declaration's order for enum names (their hashes vary from run to run); ints sort themselves
        values = choice_values(value, list(sort.values()) if isinstance(sort, EnumSort | BoolSort) else None)
        if value is any and values is None:  # a finite int type: its values in order
            values = list(sort.values())  # type: ignore[union-attr]
        if values is not None:
            if not values:
                raise self.fail("the choice of initial values is empty")
            return [self._checked_init(v, sort) for v in values]
        return [self._checked_init(value, sort)]

    def _checked_init(self, value: Any, sort: ScalarSort) -> Any:
        if value is None:
            value = self.default(sort)
        if isinstance(value, EnumLiteral):
            # the marker has done its job; in a state it must be a plain str, as the enum
            # names of model code are (the concrete interpretation compares types exactly)
            value = str(value)
        if not sort.check(value):
            raise self.fail(f"initial value {value!r} is not a {sort.describe()}")
        return value


class Bool(Scalar):
    """A boolean state variable (default False)."""

    def __init__(self, init: Any = False) -> None:
        super().__init__(init)

    def sort(self, params: Any) -> BoolSort:
        return BoolSort()

    def default(self, sort: ScalarSort) -> bool:
        return False


class Int(Scalar):
    """An integer, optionally bounded (``min``/``max``: ints, parameter names or functions).

    Bounds are a type: a write outside them is a model error, reported at the line.
    """

    def __init__(self, init: Any = None, *, min: Dim = None, max: Dim = None) -> None:  # noqa: A002
        super().__init__(init)
        self.min, self.max = min, max

    def sort(self, params: Any) -> IntSort:
        lo, hi = resolve(self.min, params, self), resolve(self.max, params, self)
        for bound in (lo, hi):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                raise self.fail(f"bound {bound!r} is not an int")
        if lo is not None and hi is not None and lo > hi:
            raise self.fail(f"min {lo} is above max {hi}")
        return IntSort(lo, hi)

    def default(self, sort: ScalarSort) -> int:
        assert isinstance(sort, IntSort)
        return sort.lo if sort.lo is not None else 0


class Enum(Scalar):
    """One of a fixed list of names; the first is the default initial value."""

    def __init__(self, *names: str, init: Any = None) -> None:
        super().__init__(EnumLiteral(init) if isinstance(init, str) else init)
        if not names or not all(isinstance(n, str) for n in names):
            raise error_at_caller(ModelError, "Enum(...) takes one or more names (strings)")
        if len(set(names)) != len(names):
            raise error_at_caller(ModelError, f"Enum{names!r} repeats a name")
        self.names = tuple(names)

    def sort(self, params: Any) -> EnumSort:
        return EnumSort(self.names)

    def default(self, sort: ScalarSort) -> str:
        return self.names[0]


class Array(StateDecl):
    """A fixed-size array of scalars, indexed 0..size-1 (``size``: int, parameter name, function).

    ``init`` is one value for every element, a list, or a function of the parameters.
    """

    def __init__(self, elem: Scalar, size: Dim, init: Any = None) -> None:
        super().__init__()
        if not isinstance(elem, Scalar):
            raise error_at_caller(ModelError, "Array(...) holds scalars: Bool(), Int(...) or Enum(...)")
        self.elem, self.size, self.init = elem, size, init

    def resolve_size(self, params: Any) -> int:
        size = resolve(self.size, params, self)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise self.fail(f"size {size!r} is not a non-negative int")
        return size

    def resolve_init(self, params: Any, sort: ScalarSort, keys: list[Any]) -> list[Any]:
        return [c[0] for c in self.init_choices(params, sort, keys)]

    def init_choices(self, params: Any, sort: ScalarSort, keys: list[Any]) -> list[list[Any]]:
        """Per element, its initial values to choose from (each element chooses on its own)."""
        value = self.init if self.init is any else resolve(self.init, params, self)
        if value is None:
            return [self.elem.init_choices(params, sort)] * len(keys)
        values = list(value) if isinstance(value, list | tuple) else [value] * len(keys)
        if len(values) != len(keys):
            raise self.fail(f"initial value has {len(values)} elements, the array has {len(keys)}")
        return [_element_choices(self, sort, v, params) for v in values]


def _element_choices(decl: Array | Map, sort: ScalarSort, value: Any, params: Any) -> list[Any]:
    """One element's initial values: ``value`` itself, or the values of a choice."""
    if is_choice(value):
        try:
            return decl.elem.init_choices(params, sort, value)
        except ModelError as err:  # blame the container's declaration, which holds the choice
            raise decl.fail(err.message.split(": ", 1)[-1]) from None
    return _checked(decl, sort, [value])


def _checked(decl: StateDecl, sort: ScalarSort, values: list[Any]) -> list[Any]:
    for v in values:
        if not sort.check(v):
            raise decl.fail(f"initial element {v!r} is not a {sort.describe()}")
    return values


class Map(StateDecl):
    """A map from a finite key type (``Enum``, ``Bool``, bounded ``Int``) to scalars.

    ``init`` is one value for every key, a dict (keys left out get the value type's
    default), or a function of the parameters.
    """

    def __init__(self, key: Scalar, value: Scalar, init: Any = None) -> None:
        super().__init__()
        if not isinstance(key, Scalar) or not isinstance(value, Scalar):
            raise error_at_caller(ModelError, "Map(key, value) takes two scalars: Bool(), Int(...) or Enum(...)")
        self.key, self.value, self.init = key, value, init
        # Array-like access for code that treats arrays and maps alike
        self.elem = value

    def resolve_init(self, params: Any, sort: ScalarSort, keys: list[Any]) -> list[Any]:
        return [c[0] for c in self.init_choices(params, sort, keys)]

    def init_choices(self, params: Any, sort: ScalarSort, keys: list[Any]) -> list[list[Any]]:
        """Per key, its initial values to choose from (each key chooses on its own)."""
        value = self.init if self.init is any else resolve(self.init, params, self)
        default = self.value.init_choices(params, sort)
        if isinstance(value, dict):
            unknown = [k for k in value if k not in keys]
            if unknown:
                raise self.fail(f"initial value has a key {unknown[0]!r} outside the key type")
            return [_element_choices(self, sort, value[k], params) if k in value else default for k in keys]
        if value is None:
            return [default] * len(keys)
        return [_element_choices(self, sort, value, params)] * len(keys)


class Set(StateDecl):
    """A set of scalars. Over a bounded element type it is finite; over ``Int()`` unbounded."""

    def __init__(self, elem: Scalar, init: Iterable[Any] | Callable[[Any], Iterable[Any]] = ()) -> None:
        super().__init__()
        if not isinstance(elem, Scalar):
            raise error_at_caller(ModelError, "Set(...) holds scalars: Bool(), Int(...) or Enum(...)")
        self.elem, self.init = elem, init

    def resolve_init(self, params: Any, sort: SetSort) -> frozenset[Any]:
        value = frozenset(resolve(self.init, params, self))
        if not sort.check(value):
            raise self.fail(f"initial value {set(value)!r} is not a {sort.describe()}")
        return value


def scalar_default(sort: ScalarSort) -> Any:
    """A harmless value of a sort (used when decoding don't-care solver values)."""
    if isinstance(sort, BoolSort):
        return False
    if isinstance(sort, EnumSort):
        return sort.names[0]
    return sort.lo if sort.lo is not None else 0
