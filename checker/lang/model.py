"""The model API: components, actions, parameters, properties, and their resolution.

A model author writes::

    class Counter(Process):
        pc = Enum("read", "write", "done")
        tmp = Int()

        @action
        def read(self, sys):
            require(self.pc == "read")
            self.tmp = sys.value
            self.pc = "write"

    class Shared(Store):
        value = Int()

    class Race(Model):
        procs = Param(2, min=1)
        counter = Counter(count="procs")
        shared = Shared()

        @invariant
        def no_lost_update(sys): ...

`Model.build(**params)` resolves all of it into a `ModelInstance`: a flat list of state
slots, its initial states (`checker.lang.initial`), and a list of `Transition`s (instance x action x arguments). The
engines only ever talk to a `ModelInstance`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..errors import ModelError
from .declare import ActionDecl, Component, Param, PropertyDecl
from .finite import MAX_ENUMERATED, check_enumerable, domain_values, finite_values, too_large
from .initial import initial_hooks, initial_states
from .names import check_names
from .namespace import DeclaringMeta
from .refs import NONE, Ref, building, uses_refs
from .seqdecl import Seq, contents, length_sort
from .terms import sort_kind
from .types import (
    Array,
    Enum,
    Map,
    Scalar,
    ScalarSort,
    Set,
    SetSort,
    StateDecl,
    resolve,
)


# ---------------------------------------------------------------------------- resolution
@dataclass
class Var:
    """A resolved state variable: a scalar, an array of scalars, or a set."""

    name: str
    decl: StateDecl
    owner: Instance
    shape: str  # "scalar" | "array" | "map" | "set" | "seq"
    sort: ScalarSort | SetSort  # the element sort for arrays, maps and sequences
    slots: range
    keys: list[Any] = field(default_factory=list)  # arrays, seqs: 0..n-1; maps: the key sort's values
    key_kind: str = "int"


@dataclass
class Slot:
    name: str
    sort: ScalarSort | SetSort
    var: Var


@dataclass
class Instance:
    name: str
    attr: str
    component: Component
    id: int | None  # 1-based for replicated components
    vars: dict[str, Var] = field(default_factory=dict)

    @property
    def is_store(self) -> bool:
        return self.component.global_names


@dataclass
class Transition:
    """One instance running one action with fixed arguments: one atomic step."""

    index: int
    instance: Instance
    action: ActionDecl
    args: dict[str, Any]

    @property
    def label(self) -> str:
        if not self.args:
            return self.action.name
        return f"{self.action.name}({', '.join(f'{k}={v}' for k, v in self.args.items())})"

    def __str__(self) -> str:
        return f"{self.instance.name}.{self.label}"


@dataclass
class Property:
    name: str
    kind: str
    fn: Callable[..., Any]
    doc: str
    file: str
    line: int


class Model(metaclass=DeclaringMeta):
    """Base class of a system model: parameters, components and properties as attributes."""

    #: a short description shown by `raceproof list`
    description = ""

    @classmethod
    def params(cls) -> dict[str, Param]:
        return {n: v for k in reversed(cls.__mro__) for n, v in vars(k).items() if isinstance(v, Param)}

    @classmethod
    def components(cls) -> dict[str, Component]:
        return {n: v for k in reversed(cls.__mro__) for n, v in vars(k).items() if isinstance(v, Component)}

    @classmethod
    def property_decls(cls) -> dict[str, PropertyDecl]:
        found: dict[str, PropertyDecl] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                decl = getattr(value, "_rp_property", None)
                if decl is not None:
                    found[name] = decl
        return found

    @classmethod
    def check_params(cls, given: dict[str, Any]) -> list[tuple[str, str]]:
        """Problems with ``given`` as (parameter name, message); empty if none."""
        declared = cls.params()
        problems = []
        for name, value in given.items():
            if name not in declared:
                known = ", ".join(declared) or "none"
                problems.append((name, f"unknown parameter '{name}' (this model takes: {known})"))
                continue
            msg = declared[name].validate(value)
            if msg:
                problems.append((name, msg))
        if not problems:  # each value is fine on its own: now the relations between them
            values = SimpleNamespace(**({n: d.default for n, d in declared.items()} | given))
            for names, msg in cls.param_constraints(values):
                # reported at the spec line of the first parameter involved that the spec sets
                problems.append((next((n for n in names if n in given), names[0]), msg))
        return problems

    @classmethod
    def param_constraints(cls, p: SimpleNamespace) -> Iterable[tuple[tuple[str, ...], str]]:
        """Override to relate parameters beyond each one's own range: yield ``(names, message)``
        for each relation ``p`` breaks, ``names`` the parameters involved, most to blame first.
        A broken one is bad input (exit 2) at the spec's line of that parameter."""
        return ()

    @classmethod
    def build(cls, **given: Any) -> ModelInstance:
        check_names(cls)  # before anything calls params(): a declaration may have replaced it
        problems = cls.check_params(given)
        if problems:
            raise ModelError(problems[0][1])
        values = {n: p.default for n, p in cls.params().items()} | given
        return ModelInstance(cls, SimpleNamespace(**values))


class ModelInstance:
    """A model with its parameters bound: slots, initial states, transitions, properties."""

    def __init__(self, model: type[Model], params: SimpleNamespace):
        self.model = model
        self.params = params
        self.instances: list[Instance] = []
        self.vars: list[Var] = []
        self.slots: list[Slot] = []
        self.var_by_name: dict[str, Var] = {}
        #: where model code singles a replica out (reads ``self.id``, indexes ``sys.<replicas>``):
        #: attr -> where. Explanations only: `checker.symmetry` decides symmetry semantically.
        self.asymmetry: dict[str, str] = {}
        #: `checker.symmetry`'s cached findings (None: symmetric) and the time they took
        self.symmetry_facts: dict[tuple[str, ...], str | None] = {}
        self.symmetry_seconds = 0.0
        check_names(model)
        with building(model):  # a `Ref`'s sort names the replicas: resolved only while building
            self._build_instances()
            self.enum_ids = self._enum_ids()
            #: per slot, the initial values declared to choose from (one each unless ``init`` is a
            #: choice); with no ``@initial`` hook the initial states are exactly their product
            self.init_choices: list[list[Any]] = self._init_choices()
            self.init_hooks = bool(initial_hooks(self))
            #: every initial state (`checker.lang.initial`); each engine starts from all of them
            self.inits: tuple[tuple[Any, ...], ...] = initial_states(self, self.init_choices)
            self.init_set = frozenset(self.inits)
            #: the first initial state: the only one unless the model declares choices or hooks
            self.init: tuple[Any, ...] = self.inits[0]
            self.transitions = self._transitions()
        self.properties = {
            name: Property(d.name, d.kind, d.fn, d.doc, d.file, d.line) for name, d in model.property_decls().items()
        }

    # -- construction
    def _build_instances(self) -> None:
        for attr, comp in self.model.components().items():
            count = resolve(comp.count, self.params)
            if count is None:
                names = [(attr, None)]
            elif isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ModelError(f"component '{attr}': count {count!r} is not a non-negative int")
            elif count > MAX_ENUMERATED:
                raise too_large(ModelError(f"component '{attr}'"), f"{count:,} instances", comp.count)
            else:
                names = [(f"{attr}{i}", i) for i in range(1, count + 1)]
            for name, ident in names:
                inst = Instance(name, attr, comp, ident)
                self.instances.append(inst)
                for decl_name, decl in type(comp).state_decls().items():
                    self._add_var(inst, decl_name, decl)

    def _add_var(self, inst: Instance, decl_name: str, decl: StateDecl) -> None:
        name = decl_name if inst.is_store else f"{inst.name}.{decl_name}"
        if name in self.var_by_name:
            raise decl.fail(f"two state variables are named '{name}'")
        start = len(self.slots)
        if isinstance(decl, Scalar):
            var = Var(name, decl, inst, "scalar", decl.sort(self.params), range(start, start + 1))
            self.slots.append(Slot(name, var.sort, var))
        elif isinstance(decl, Array):
            size = decl.resolve_size(self.params)
            if size > MAX_ENUMERATED:
                raise too_large(decl.fail("array size"), f"{size:,} elements", decl.size)
            var = Var(
                name, decl, inst, "array", decl.elem.sort(self.params), range(start, start + size), list(range(size))
            )
            self.slots.extend(Slot(f"{name}[{i}]", var.sort, var) for i in range(size))
        elif isinstance(decl, Map):
            key_sort = decl.key.sort(self.params)
            if not getattr(key_sort, "finite", True):
                raise decl.fail(
                    f"map keys must be a finite type (Enum, Bool, or Int with min and max), not {key_sort.describe()}"
                )
            check_enumerable(decl, "map keys", key_sort, decl.key)
            keys = finite_values(key_sort)
            var = Var(name, decl, inst, "map", decl.value.sort(self.params), range(start, start + len(keys)), keys)
            var.key_kind = sort_kind(key_sort)
            self.slots.extend(Slot(f"{name}[{k}]", var.sort, var) for k in keys)
        elif isinstance(decl, Set):
            sort = SetSort(decl.elem.sort(self.params))
            # a set over a finite sort is one bit per possible element, in every engine
            check_enumerable(decl, "a set's elements", sort.elem, decl.elem)
            var = Var(name, decl, inst, "set", sort, range(start, start + 1))
            self.slots.append(Slot(name, sort, var))
        elif isinstance(decl, Seq):  # capacity element slots, then the length (see `seqdecl`)
            cap = decl.resolve_capacity(self.params)
            if cap > MAX_ENUMERATED:
                raise too_large(decl.fail("capacity"), f"{cap:,} elements", decl.capacity)
            slots = range(start, start + cap + 1)
            var = Var(name, decl, inst, "seq", decl.elem.sort(self.params), slots, list(range(cap)))
            self.slots.extend(Slot(f"{name}[{i}]", var.sort, var) for i in range(cap))
            # named under its owner, as every slot of a replica (the parameterized prover relies on it)
            self.slots.append(Slot(f"{name}.len()", length_sort(cap), var))
        else:  # pragma: no cover - StateDecl has no other subclasses
            raise decl.fail("unsupported declaration")
        inst.vars[decl_name] = var
        self.vars.append(var)
        self.var_by_name[name] = var

    def _enum_ids(self) -> dict[str, int]:
        names: dict[str, int] = {}
        for comp in self.model.components().values():
            for decl in type(comp).state_decls().values():
                parts = [decl.key, decl.value] if isinstance(decl, Map) else [getattr(decl, "elem", decl)]
                for elem in parts:
                    if isinstance(elem, Enum):
                        for n in elem.names:
                            names.setdefault(n, len(names))
        # `Ref` values (replica names, "none"), numbered after every declared enum name
        targets = uses_refs(self.model)
        for inst in self.instances:
            if inst.attr in targets:
                names.setdefault(inst.name, len(names))
        if targets:
            names.setdefault(NONE, len(names))
        return names

    def _init_choices(self) -> list[list[Any]]:
        choices: list[list[Any]] = []
        for var in self.vars:
            decl = var.decl
            if isinstance(decl, Scalar):
                assert not isinstance(var.sort, SetSort)
                choices.append(decl.init_choices(self.params, var.sort))
            elif isinstance(decl, Array | Map):
                assert not isinstance(var.sort, SetSort)
                choices.extend(decl.init_choices(self.params, var.sort, var.keys))
            elif isinstance(decl, Set):
                assert isinstance(var.sort, SetSort)
                choices.append([decl.resolve_init(self.params, var.sort)])
            elif isinstance(decl, Seq):  # a sequence starts as declared: one value per slot
                assert not isinstance(var.sort, SetSort)
                choices.extend([v] for v in decl.resolve_init(self.params, var.sort, len(var.keys)))
        return choices

    @property
    def several_inits(self) -> bool:
        return len(self.inits) > 1

    def _transitions(self) -> list[Transition]:
        out: list[Transition] = []
        for inst in self.instances:
            for act in type(inst.component).action_decls():
                names = list(act.domains)
                domains = [self._domain(act, n, inst) for n in names]
                for combo in itertools.product(*domains):
                    out.append(Transition(len(out), inst, act, dict(zip(names, combo, strict=True))))
        return out

    def _domain(self, act: ActionDecl, arg: str, inst: Instance) -> list[Any]:
        spec = act.domains[arg]
        if isinstance(spec, Ref):  # the replicas' names (a symmetric argument, unlike their numbers)
            return list(spec.sort(self.params).names)
        if hasattr(spec, "choice_values"):  # a pick from a set (`checker.lang.choice.choose`)
            return spec.choice_values(self, inst, act, arg)
        return domain_values(resolve(spec, self.params), arg, f"action '{act.name}'", act.file, act.line)

    # -- symmetry (decided in `checker.symmetry`)
    def note_asymmetry(self, attr: str, where: str) -> None:
        self.asymmetry.setdefault(attr, where)

    # -- queries
    def describe_state(self, state: tuple[Any, ...]) -> dict[str, Any]:
        """{variable name: value} with arrays and sequences as lists and sets as sorted lists."""
        out: dict[str, Any] = {}
        for var in self.vars:
            if var.shape == "array":
                out[var.name] = [state[i] for i in var.slots]
            elif var.shape == "map":
                out[var.name] = {k: state[i] for k, i in zip(var.keys, var.slots, strict=True)}
            elif var.shape == "set":
                out[var.name] = sorted(state[var.slots.start], key=_sort_key)
            elif var.shape == "seq":
                out[var.name] = contents(var.slots, state)
            else:
                out[var.name] = state[var.slots.start]
        return out

    def property(self, name: str) -> Property:
        return self.properties[name]

    def param_dict(self) -> dict[str, Any]:
        return dict(vars(self.params))


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, bool | int) else (1, str(value))
