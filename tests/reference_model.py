"""An independent reference for the cross-check: it shares no code with the engines.

This module imports nothing from `checker`. For each random model, `tests.random_models`
emits, next to the raceproof source, a *plain* description of the same model (written by a
separate emitter from the same random choices): plain Python functions over a dict state, one
per action and property, calling the small runtime below (`Ctx`). `explore` then does its own
breadth-first search and computes what the engines must agree with:

* the reachable states (exact count and the greatest shortest distance), the shortest
  counterexample or witness of every property (its length and its path), the first step that
  is a model error, and the depths at which every behaviour has ended;
* which replicated components are symmetric *semantically*: for each adjacent transposition
  of a component's replicas, the initial state is fixed, every reachable state's successor
  set is mapped onto the permuted state's successor set, and every property keeps its value;
  the exact number of orbits of the reachable set under the group of those components (all
  permutations of their replicas, enumerated, not sorted);
* `recoverable` (AG EF) by backward reachability, and `eventually` under weak fairness with
  its own Tarjan SCC decomposition and fairness test per component.

The semantics written down here are the README's (and `checker.lang.runtime`'s, re-implemented):
an action runs top to bottom; `require` disables the step when false (inside `when`, only
where the `when` holds); writes inside a false `when` do nothing; a write outside the declared
range, a state key outside an array's keys, a division by 0 and an element added outside a
finite set's type are model errors only on a step that fires (the step goes on with a
don't-care value: the last slot for a read, nothing written, quotient 0, remainder the
dividend); `&`, `|` and `ite` evaluate every operand; `sum_of` and `count_of` are the integer
total of their operands and the number of their true operands.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


class RefModelError(Exception):
    """A reachable step (or a property evaluation) is a model error."""


class _Off(Exception):
    """`require` failed: the step cannot fire."""


# ---------------------------------------------------------------------------- value ranges
def fits(spec: tuple[Any, ...], value: Any) -> bool:
    """``value`` within the declared range ``spec``: ("int", lo, hi) (None: unbounded),
    ("bool",) or ("enum", names)."""
    if spec[0] == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        return (spec[1] is None or value >= spec[1]) and (spec[2] is None or value <= spec[2])
    if spec[0] == "bool":
        return isinstance(value, bool)
    return isinstance(value, str) and value in spec[1]


# ---------------------------------------------------------------------------- the runtime
class Ctx:
    """One execution of an action (or a property) over a mutable dict state ``s``."""

    __slots__ = ("s", "specs", "conds", "errors")

    def __init__(self, s: dict[str, Any], specs: dict[str, tuple[Any, ...]]):
        self.s, self.specs = s, specs
        self.conds: list[bool] = []
        self.errors: list[str] = []

    def active(self) -> bool:
        return all(self.conds)

    def req(self, cond: Any) -> None:
        if self.active() and not _truth(cond):
            raise _Off

    @contextlib.contextmanager
    def when(self, cond: Any) -> Iterator[None]:
        self.conds.append(_truth(cond))
        try:
            yield
        finally:
            self.conds.pop()

    def err(self, message: str) -> None:
        if self.active():
            self.errors.append(message)

    def w(self, key: str, value: Any) -> None:
        """Assign a scalar variable."""
        if not self.active():
            return
        if not fits(self.specs[key], value):
            self.err(f"{key} := {value!r} leaves {self.specs[key]}")
        self.s[key] = value

    def _keys(self, key: str) -> list[Any]:
        coll = self.s[key]
        return list(range(len(coll))) if isinstance(coll, list) else list(coll)

    def _inside(self, key: str, k: Any) -> bool:
        return any(k == x and type(k) is type(x) for x in self._keys(key))

    def wa(self, key: str, k: Any, value: Any) -> None:
        """Assign an array/map element at a state key."""
        if not self.active():
            return
        if not self._inside(key, k):
            self.err(f"{key}[{k!r}] outside the keys")
            return
        if not fits(self.specs[key], value):
            self.err(f"{key}[{k!r}] := {value!r} leaves {self.specs[key]}")
        self.s[key][k] = value

    def at(self, key: str, k: Any) -> Any:
        """Read an array/map element at a state key (outside: an error, the last slot)."""
        coll = self.s[key]
        if not self._inside(key, k):
            self.err(f"{key}[{k!r}] outside the keys")
            return coll[-1] if isinstance(coll, list) else list(coll.values())[-1]
        return coll[k]

    def get(self, key: str, k: Any, default: Any) -> Any:
        return self.s[key][k] if self._inside(key, k) else default

    def _defined(self, part: Callable[[], Any]) -> tuple[bool, list[str]]:
        """Evaluate one operand of `&`/`|`, keeping apart the errors (undefined reads) it made."""
        before = len(self.errors)
        value = _truth(part())
        made = self.errors[before:]
        del self.errors[before:]
        return value, made

    def dand(self, *parts: Callable[[], Any]) -> bool:
        """`&` of operands that may be undefined (a division by 0 ...): where a defined operand
        is false the result is false whatever the others are, so their errors do not count."""
        return self._decide(parts, False)

    def dor(self, *parts: Callable[[], Any]) -> bool:
        """`|`, likewise: a defined true operand decides."""
        return self._decide(parts, True)

    def _decide(self, parts: tuple[Callable[[], Any], ...], decisive: bool) -> bool:
        evaluated = [self._defined(p) for p in parts]
        if any(v is decisive and not made for v, made in evaluated):
            return decisive
        for _, made in evaluated:
            self.errors.extend(made)
        return all(v for v, _ in evaluated) if not decisive else any(v for v, _ in evaluated)

    def div(self, a: int, b: int) -> int:
        if b == 0:
            self.err("// by 0")
            return 0
        return a // b

    def mod(self, a: int, b: int) -> int:
        if b == 0:
            self.err("% by 0")
            return a
        return a % b

    def add(self, key: str, value: Any) -> None:
        if not self.active():
            return
        if not fits(self.specs[key], value):
            self.err(f"{key}.add({value!r}) outside the element type")
            return
        self.s[key] = self.s[key] | {value}

    def discard(self, key: str, value: Any) -> None:
        if self.active():
            self.s[key] = self.s[key] - {value}

    def discard_if(self, key: str, pred: Callable[[Any], Any]) -> None:
        if self.active():
            self.s[key] = frozenset(v for v in self.s[key] if not _truth(pred(v)))

    # -- bounded sequences (`Seq`): plain lists, never longer than their capacity
    def sappend(self, key: str, value: Any, capacity: int) -> None:
        if not self.active():
            return
        if len(self.s[key]) >= capacity:
            self.err(f"{key}.append: full")
            return
        if not fits(self.specs[key], value):
            self.err(f"{key}.append({value!r}) outside the element type")
        self.s[key] = [*self.s[key], value]

    def spop(self, key: str, i: int) -> None:
        """Remove element ``i`` (0: the head); outside the length an error."""
        if not self.active():
            return
        if not 0 <= i < len(self.s[key]):
            self.err(f"{key}.pop({i}) outside the length")
            return
        self.s[key] = self.s[key][:i] + self.s[key][i + 1 :]

    def sset(self, key: str, i: int, value: Any) -> None:
        if not self.active():
            return
        if not 0 <= i < len(self.s[key]):
            self.err(f"{key}[{i}] outside the length")
            return
        if not fits(self.specs[key], value):
            self.err(f"{key}[{i}] := {value!r} leaves {self.specs[key]}")
        self.s[key] = [*self.s[key][:i], value, *self.s[key][i + 1 :]]

    def sassign(self, key: str, items: list[Any], capacity: int) -> None:
        if not self.active():
            return
        if len(items) > capacity:
            self.err(f"{key} := {items!r}: longer than {capacity}")
            return
        for v in items:
            if not fits(self.specs[key], v):
                self.err(f"{key} := {items!r} leaves {self.specs[key]}")
        self.s[key] = list(items)

    def ws(self, key: str, value: frozenset[Any]) -> None:
        """Assign a whole set (both sets have one element type)."""
        if self.active():
            self.s[key] = frozenset(value)

    def move_if(self, key: str, pred: Callable[[Any], Any], other: str) -> None:
        """Move the elements satisfying ``pred`` from one set to the other, at once."""
        if self.active():
            moved = frozenset(v for v in self.s[key] if _truth(pred(v)))
            self.s[other] = self.s[other] | moved
            self.s[key] = self.s[key] - moved


def _truth(value: Any) -> bool:
    assert isinstance(value, bool), f"the plain model computed a non-boolean condition {value!r}"
    return value


def ite(c: Any, a: Any, b: Any) -> Any:
    """A zero-argument callable is a branch evaluated only if taken: what the language's
    `ite` means for an operand that may be undefined (a division by 0 in the other branch is
    no error)."""
    taken = a if _truth(c) else b
    return taken() if callable(taken) else taken


def implies(a: Any, b: Any) -> bool:
    return (not _truth(a)) or _truth(b)


def land(*parts: Any) -> bool:
    """`&` of conditions that were all evaluated (the caller's arguments)."""
    return all(_truth(p) for p in parts)


def lor(*parts: Any) -> bool:
    return any(_truth(p) for p in parts)


def _spread(values: tuple[Any, ...]) -> list[Any]:
    """The operands of an aggregate: given one by one, or as a single list (or generator)."""
    if len(values) == 1 and not isinstance(values[0], int | bool):
        return list(values[0])
    return list(values)


def sum_of(*values: Any) -> int:
    """The language's ``sum_of``: the integer total of the operands (0 when there are none)."""
    total = 0
    for v in _spread(values):
        assert isinstance(v, int) and not isinstance(v, bool), f"the plain model sums a non-integer {v!r}"
        total += v
    return total


def count_of(*values: Any) -> int:
    """The language's ``count_of``: how many of the conditions are true."""
    return len([b for b in _spread(values) if _truth(b)])


RUNTIME = {"ite": ite, "implies": implies, "land": land, "lor": lor, "sum_of": sum_of, "count_of": count_of}


# ---------------------------------------------------------------------------- the plain model
@dataclass
class PlainModel:
    """What `tests.random_models` emits as plain Python (see the module docstring)."""

    init: dict[str, Any]
    specs: dict[str, tuple[Any, ...]]  # per variable (element spec for arrays, maps, sets)
    replicas: dict[str, list[str]]  # component attribute -> its replicas' instance names, in order
    local: dict[str, list[str]]  # instance name -> its variables' keys (same order across replicas)
    #: (instance name, action name, args, fair, fn(ctx, me, **args))
    transitions: list[tuple[str, str, dict[str, Any], bool, Callable[..., None]]]
    #: property name -> (kind, fn(ctx, s) or fn(ctx, old, new))
    properties: dict[str, tuple[str, Callable[..., Any]]]
    #: variables holding process identities: key -> the component whose replica names they hold
    #: (a scalar, every element of a list, every value of a dict, every element of a set)
    refs: dict[str, str] = field(default_factory=dict)
    #: dicts keyed by process identities: key -> the component whose replica names are the keys
    ref_keyed: dict[str, str] = field(default_factory=dict)
    #: every initial state, when there are several (``INIT`` is then the first's shape)
    inits: list[dict[str, Any]] = field(default_factory=list)
    #: the model's parameters (name -> value), for the domains of ``domain_actions``
    params: dict[str, int] = field(default_factory=dict)
    #: actions with one step per index of a parameter-sized domain, not yet in ``transitions``:
    #: (instance, action, argument, (parameter, lo, offset), fair, fn): the indices are
    #: ``lo .. params[parameter] + offset - 1``
    domain_actions: list[tuple[str, str, str, tuple[str, int, int], bool, Callable[..., None]]] = field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        for inst, action, arg, (param, lo, offset), fair, fn in self.domain_actions:
            size = self.params[param]
            assert isinstance(size, int) and not isinstance(size, bool), (param, size)
            for k in range(lo, size + offset):
                self.transitions.append((inst, action, {arg: k}, fair, fn))
        self.domain_actions = []  # expanded once

    @classmethod
    def from_source(cls, source: str) -> PlainModel:
        namespace: dict[str, Any] = dict(RUNTIME)
        exec(compile(source, "<plain reference model>", "exec"), namespace)  # noqa: S102
        # sources that do not use them leave them out
        optional = {"refs", "ref_keyed", "inits", "params", "domain_actions"}
        given = [k for k in cls.__dataclass_fields__ if k.upper() in namespace or k not in optional]
        return cls(**{k: namespace[k.upper()] for k in given})

    def starts(self) -> list[dict[str, Any]]:
        """The initial states (dicts)."""
        return self.inits or [self.init]

    # -- states: dicts while running, tuples (in the order of ``init``) when stored
    @property
    def keys(self) -> list[str]:
        return list(self.init)

    def freeze(self, s: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(_freeze(s[k]) for k in self.init)

    def thaw(self, state: tuple[Any, ...]) -> dict[str, Any]:
        return {k: _thaw(v) for k, v in zip(self.init, state, strict=True)}

    def describe(self, state: tuple[Any, ...]) -> dict[str, Any]:
        """The state in the shape of the engines' `describe_state` (sets as sorted lists)."""
        out: dict[str, Any] = {}
        for k, v in self.thaw(state).items():
            out[k] = sorted(v, key=lambda x: (isinstance(x, str), x)) if isinstance(v, frozenset) else v
        return out

    def step(self, index: int, state: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The successor of ``state`` under transition ``index``, None if disabled."""
        inst, _, args, _, fn = self.transitions[index]
        ctx = Ctx(self.thaw(state), self.specs)
        try:
            fn(ctx, inst, **args)
        except _Off:
            return None
        if ctx.errors:
            raise RefModelError(f"{inst}.{self.transitions[index][1]}{args}: {ctx.errors[0]}")
        return self.freeze(ctx.s)

    def holds(self, name: str, *states: tuple[Any, ...]) -> bool:
        kind, fn = self.properties[name]
        ctx = Ctx(self.thaw(states[0]), self.specs)
        value = fn(ctx, *(self.thaw(s) for s in states))
        if ctx.errors:
            raise RefModelError(f"property {name}: {ctx.errors[0]}")
        return _truth(value)

    def find(self, inst: str, action: str, args: dict[str, Any]) -> int:
        for i, (n, a, g, _, _) in enumerate(self.transitions):
            if n == inst and a == action and g == args:
                return i
        raise KeyError((inst, action, args))


def _freeze(v: Any) -> Any:
    if isinstance(v, list):
        return ("#list", *v)
    if isinstance(v, dict):
        return ("#map", *v.items())
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple) and v and v[0] == "#list":
        return list(v[1:])
    if isinstance(v, tuple) and v and v[0] == "#map":
        return dict(v[1:])
    return v


# ---------------------------------------------------------------------------- the search
@dataclass
class Reference:
    states: int = 0
    depth: int = 0
    #: per invariant/action invariant/reachable: the shortest counterexample/witness length, or None
    shortest: dict[str, int | None] = field(default_factory=dict)
    #: and its path: transition indices
    paths: dict[str, list[int]] = field(default_factory=dict)
    error_step: int | None = None
    error: str | None = None
    #: the smallest k <= bound with no behaviour of k steps, or None
    dead_at: int | None = None
    #: replicated components (with at least 2 replicas) that are symmetric, and why the others are not
    symmetric: list[str] = field(default_factory=list)
    asymmetric: dict[str, str] = field(default_factory=dict)
    #: frozenset of component attributes -> orbit count of the reachable set under their group
    orbits: dict[frozenset[str], int] = field(default_factory=dict)
    #: graph properties: name -> (holds, shortest length of a recoverable violation or None)
    graph: dict[str, tuple[bool, int | None]] = field(default_factory=dict)
    #: the transitions (indices) some behaviour of at most ``bound`` steps fires, also one that
    #: stops earlier: those leaving a state at distance below the bound
    fires_within: set[int] = field(default_factory=set)

    def __repr__(self) -> str:
        return (
            f"Reference(states={self.states}, depth={self.depth}, shortest={self.shortest}, "
            f"error_step={self.error_step}, dead_at={self.dead_at}, symmetric={self.symmetric}, "
            f"asymmetric={self.asymmetric}, orbits={ {tuple(sorted(k)): v for k, v in self.orbits.items()} }, "
            f"graph={self.graph})"
        )


class TooLarge(Exception):
    pass


class Explorer:
    """Breadth-first search of a `PlainModel`, keeping the whole labelled graph."""

    def __init__(self, pm: PlainModel, max_states: int):
        self.pm = pm
        self.inits = list(dict.fromkeys(pm.freeze(s) for s in pm.starts()))  # all at distance 0
        self.init = self.inits[0]
        self.dist: dict[tuple[Any, ...], int] = dict.fromkeys(self.inits, 0)
        self.parent: dict[tuple[Any, ...], tuple[tuple[Any, ...], int] | None] = dict.fromkeys(self.inits)
        self.succ: dict[tuple[Any, ...], list[tuple[int, tuple[Any, ...]]]] = {}
        self.error_step: int | None = None
        self.error: str | None = None
        queue = deque(self.inits)
        while queue:
            s = queue.popleft()
            out: list[tuple[int, tuple[Any, ...]]] = []
            for i in range(len(pm.transitions)):
                try:
                    t = pm.step(i, s)
                except RefModelError as exc:
                    if self.error_step is None:
                        self.error_step, self.error = self.dist[s] + 1, str(exc)
                    continue
                if t is None:
                    continue
                out.append((i, t))
                if t not in self.dist:
                    self.dist[t] = self.dist[s] + 1
                    self.parent[t] = (s, i)
                    if len(self.dist) > max_states:
                        raise TooLarge
                    queue.append(t)
            self.succ[s] = out

    def path(self, s: tuple[Any, ...]) -> list[int]:
        out: list[int] = []
        while self.parent[s] is not None:
            s, i = self.parent[s]  # type: ignore[misc]
            out.append(i)
        return out[::-1]


def explore(pm: PlainModel, bound: int, max_states: int) -> Reference:
    from tests.reference_graph import eventually_holds, recoverable  # it refers back to this module

    """Everything the engines must agree with (raises `TooLarge` beyond ``max_states``)."""
    ex = Explorer(pm, max_states)
    ref = Reference(states=len(ex.dist), depth=max(ex.dist.values()), error_step=ex.error_step, error=ex.error)
    order = sorted(ex.dist, key=ex.dist.__getitem__)  # BFS order: the first hit is a shortest one
    for name, (kind, _) in pm.properties.items():
        if kind in ("recoverable", "eventually"):
            continue
        ref.shortest[name] = None
        if kind == "action_invariant":
            best: tuple[int, tuple[Any, ...], int] | None = None
            for s in order:
                if best is not None and ex.dist[s] + 1 >= best[0]:
                    break
                for i, t in ex.succ[s]:
                    if not pm.holds(name, s, t):
                        best = (ex.dist[s] + 1, s, i)
                        break
            if best is not None:
                ref.shortest[name], ref.paths[name] = best[0], ex.path(best[1]) + [best[2]]
            continue
        want = kind == "reachable"
        for s in order:
            if pm.holds(name, s) == want:
                ref.shortest[name], ref.paths[name] = ex.dist[s], ex.path(s)
                break
    ref.fires_within = {i for s, d in ex.dist.items() if d < bound for i, _ in ex.succ[s]}
    layer = set(ex.inits)
    for k in range(1, bound + 1):
        layer = {t for s in layer for _, t in ex.succ[s]}
        if not layer:
            ref.dead_at = k
            break
    if ex.error_step is None:
        _symmetry(pm, ex, ref)
        for name, (kind, _) in pm.properties.items():
            if kind == "recoverable":
                ref.graph[name] = recoverable(pm, ex, name)
            elif kind == "eventually":
                ref.graph[name] = (eventually_holds(pm, ex, name), None)
    return ref


# ---------------------------------------------------------------------------- symmetry
Permutation = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def _permutation(pm: PlainModel, attr: str, perm: tuple[int, ...]) -> Permutation:
    """The state map of moving replica i's values to replica perm[i], and renaming every
    process identity of ``attr`` (values and dict keys) the same way."""
    keys = pm.keys
    names = pm.replicas[attr]
    source = {k: k for k in keys}  # new key -> the old key whose value it gets
    for i, j in enumerate(perm):
        for a, b in zip(pm.local[names[i]], pm.local[names[j]], strict=True):
            source[b] = a
    rename = {names[i]: names[j] for i, j in enumerate(perm)}
    back = {new: old for old, new in rename.items()}

    def value(key: str, v: Any) -> Any:
        if pm.ref_keyed.get(key) == attr:
            v = {k: v[back.get(k, k)] for k in v}  # the same key order: dicts compare by content anyway
        if pm.refs.get(key) != attr:
            return v
        if isinstance(v, list):
            return [rename.get(x, x) for x in v]
        if isinstance(v, dict):
            return {k: rename.get(x, x) for k, x in v.items()}
        if isinstance(v, frozenset):
            return frozenset(rename.get(x, x) for x in v)
        return rename.get(v, v)

    def apply(state: tuple[Any, ...]) -> tuple[Any, ...]:
        old = pm.thaw(state)
        return pm.freeze({k: value(source[k], old[source[k]]) for k in keys})

    return apply


def _symmetry(pm: PlainModel, ex: Explorer, ref: Reference) -> None:
    """Which components are symmetric on the reachable graph, and the exact orbit counts."""
    state_props = [n for n, (k, _) in pm.properties.items() if k != "action_invariant"]
    step_props = [n for n, (k, _) in pm.properties.items() if k == "action_invariant"]
    values = {s: tuple(pm.holds(n, s) for n in state_props) for s in ex.dist}
    for attr, names in pm.replicas.items():
        if len(names) < 2:
            continue
        why = None
        for i in range(len(names) - 1):
            perm = list(range(len(names)))
            perm[i], perm[i + 1] = perm[i + 1], perm[i]
            why = _breaks(pm, ex, values, step_props, _permutation(pm, attr, tuple(perm)))
            if why:
                break
        if why:
            ref.asymmetric[attr] = f"swapping {names[i]} and {names[i + 1]}: {why}"
        else:
            ref.symmetric.append(attr)
    for r in range(len(ref.symmetric) + 1):
        for subset in itertools.combinations(ref.symmetric, r):
            ref.orbits[frozenset(subset)] = _orbit_count(pm, ex, subset)


def _breaks(
    pm: PlainModel,
    ex: Explorer,
    values: dict[tuple[Any, ...], tuple[bool, ...]],
    step_props: list[str],
    pos: Permutation,
) -> str | None:
    if {pos(s) for s in ex.inits} != set(ex.inits):
        return "the set of initial states changes"
    for s, out in ex.succ.items():
        ps = pos(s)
        if ps not in ex.dist:
            return f"a reachable state maps to an unreachable one (at distance {ex.dist[s]})"
        if values[s] != values[ps]:
            return f"a property changes its value (at distance {ex.dist[s]})"
        mapped = {pos(t) for _, t in out}
        if mapped != {t for _, t in ex.succ[ps]}:
            return f"the successors differ (at distance {ex.dist[s]})"
        for name in step_props:
            for _, t in out:
                if pm.holds(name, s, t) != pm.holds(name, ps, pos(t)):
                    return f"action invariant {name} changes its value"
    return None


def _orbit_count(pm: PlainModel, ex: Explorer, attrs: tuple[str, ...]) -> int:
    """Orbits of the reachable set under every permutation of the replicas of ``attrs``."""
    if not attrs:
        return len(ex.dist)
    per_attr = [[_permutation(pm, a, p) for p in itertools.permutations(range(len(pm.replicas[a])))] for a in attrs]
    orbits = set()
    for s in ex.dist:
        images = set()
        for combo in itertools.product(*per_attr):
            image = s
            for p in combo:  # the components' permutations commute: compose in any order
                image = p(image)
            images.add(image)
        orbits.add(frozenset(images))
    return len(orbits)
