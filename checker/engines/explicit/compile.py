"""A third interpretation of model code: numpy columns, for the explicit-state engine.

Running an action through `runtime.fire` costs a Python object per operation. Instead,
each transition is run once symbolically (`checker.encoding.Encoding`: a guard and a
next-state vector as z3 terms over template slot constants), and those terms are
translated into Python source over numpy arrays, compiled once. One call then steps a
whole breadth-first level: a state is a column of an ``(m, n)`` int64 matrix, one row per
*flat* slot (`checker.engines.explicit.vectors`), so a guard or an update is a handful of
array operations for all ``n`` states at once.

The translation covers what finite models produce: Bool/Int constants, If, And, Or, Not,
Xor, Implies, comparisons, + - * and integer div/mod. Anything else (z3 arrays of
unbounded sets) raises `Untranslatable`, and the engine uses `runtime.fire` instead. Range
checks (a write outside its declared type) are compiled too; where one fails, the state
is re-run with `runtime.fire`, which raises the located `ModelError`.

int64 arithmetic wraps silently, so every translated term goes through the interval
analysis of `explicit_bounds` first: the compiled code runs only on states whose unbounded
columns lie within the proved-exact ranges (`Compiled.limits`), which the search checks as
values are written (`Compiled.check_values`); anything else raises `Exceeds`, and the
engine searches with exact Python integers instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import z3

from ...encoding import Encoding
from ...errors import InternalError
from ...lang.model import ModelInstance, Transition
from ...lang.runtime import CONCRETE, evaluate, fire
from .bounds import Exceeds, column_interval, exact_limits, wide_comparison
from .vectors import Vectors


class Untranslatable(Exception):
    """A z3 term outside what `_Emitter` translates (e.g. an array of an unbounded set)."""


# ---------------------------------------------------------------------------- z3 -> numpy source
def _div(a: Any, b: Any) -> Any:
    """SMT-LIB's euclidean ``div`` (what the symbolic encoding means by ``/`` on ints)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    safe = np.where(b == 0, 1, b)  # a zero divisor is no error where the step does not fire
    with np.errstate(all="ignore"):
        return np.where(b == 0, 0, np.where(safe > 0, a // safe, -(a // -safe)))


def _mod(a: Any, b: Any) -> Any:
    """SMT-LIB's ``mod``: never negative, whatever the divisor's sign."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    safe = np.abs(np.where(b == 0, 1, b))
    with np.errstate(all="ignore"):
        return np.where(b == 0, 0, a % safe)


_NARY = {z3.Z3_OP_AND: " & ", z3.Z3_OP_OR: " | ", z3.Z3_OP_ADD: " + ", z3.Z3_OP_SUB: " - ", z3.Z3_OP_MUL: " * "}
_BINARY = {
    z3.Z3_OP_XOR: "^", z3.Z3_OP_EQ: "==", z3.Z3_OP_IFF: "==", z3.Z3_OP_LE: "<=", z3.Z3_OP_LT: "<",
    z3.Z3_OP_GE: ">=", z3.Z3_OP_GT: ">",
}  # fmt: skip


class _Emitter:
    """Straight-line numpy source for a set of z3 terms, one temporary per shared subterm."""

    def __init__(self, inputs: dict[str, tuple[str, int, bool]]):
        self.inputs = inputs  # z3 constant name -> (matrix argument, row, is bool)
        self.lines: list[str] = []
        self.memo: dict[int, str] = {}
        self.alive: list[z3.ExprRef] = []  # an AST id is reused once its term is freed: keep them

    def expr(self, e: z3.ExprRef) -> str:
        key = e.get_id()
        if key in self.memo:
            return self.memo[key]
        src = self._translate(e)
        if not src.isidentifier() and not _is_literal(src):
            name = f"t{len(self.memo)}"
            self.lines.append(f"{name} = {src}")
            src = name
        self.memo[key] = src
        self.alive.append(e)
        return src

    def _translate(self, e: z3.ExprRef) -> str:
        k = e.decl().kind()  # (asked once: each question is a call into z3)
        if k == z3.Z3_OP_TRUE:
            return "True"
        if k == z3.Z3_OP_FALSE:
            return "False"
        if k == z3.Z3_OP_ANUM and z3.is_int_value(e):
            return str(e.as_long())
        if k == z3.Z3_OP_UNINTERPRETED and e.num_args() == 0:
            name = e.decl().name()
            if name not in self.inputs:
                raise Untranslatable(f"unknown constant {name}")
            arg, row, is_bool = self.inputs[name]
            return f"({arg}[{row}] != 0)" if is_bool else f"{arg}[{row}]"
        wide = wide_comparison(e, k)
        if wide is not None:  # decided, given the interval analysis that `Compiled` runs afterwards
            return str(wide[0])
        args = [self.expr(c) for c in e.children()]
        if k in _NARY:
            return "(" + _NARY[k].join(args) + ")"
        if k in _BINARY and len(args) == 2:
            return f"({args[0]} {_BINARY[k]} {args[1]})"
        if k == z3.Z3_OP_NOT:
            return f"np.logical_not({args[0]})"
        if k == z3.Z3_OP_IMPLIES:
            return f"(np.logical_not({args[0]}) | {args[1]})"
        if k == z3.Z3_OP_ITE:
            return f"np.where({args[0]}, {args[1]}, {args[2]})"
        if k == z3.Z3_OP_DISTINCT:
            pairs = [f"({a} != {b})" for i, a in enumerate(args) for b in args[i + 1 :]]
            return "(" + " & ".join(pairs) + ")"
        if k == z3.Z3_OP_UMINUS:
            return f"(-{args[0]})"
        if k == z3.Z3_OP_IDIV:
            return f"_div({args[0]}, {args[1]})"
        if k == z3.Z3_OP_MOD:
            return f"_mod({args[0]}, {args[1]})"
        raise Untranslatable(f"no numpy form for {e.decl().name()}")


def _is_literal(src: str) -> bool:
    return src in ("True", "False") or (src[:1] in "-0123456789" and src.lstrip("-").isdigit())


def _compile(name: str, params: str, emitter: _Emitter, body: list[str]) -> Callable[..., Any]:
    return _compile_source(name, _source(name, params, emitter, body))


def _source(name: str, params: str, emitter: _Emitter, body: list[str]) -> str:
    return "\n".join([f"def {name}({params}):", *("    " + line for line in emitter.lines + body)])


def _compile_source(name: str, source: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"np": np, "_div": _div, "_mod": _mod}
    exec(compile(source, f"<explicit:{name}>", "exec"), namespace)  # noqa: S102 - our own generated source
    fn = namespace[name]
    fn.source = source  # for debugging a miscompiled step
    return fn


class _OnFirstCall:
    """Generated source, written (``source`` may be a function making it) and compiled on its
    first call: the search runs each step's fused `CompiledStep.checked_delta`, and the separate
    functions (a step's whole successor for a trace, its range checks and updates for the swarm
    simulation) only some runs need; making every one up front was a noticeable part of a quick
    check. (Translating later is translating the same terms: the interval analysis covers them.)"""

    def __init__(self, name: str, source: str | Callable[[], str]):
        self.name = name
        self._source = source
        self._fn: Callable[..., Any] | None = None

    @property
    def source(self) -> str:
        if callable(self._source):
            self._source = self._source()
        return self._source

    def __call__(self, *args: Any) -> Any:
        if self._fn is None:
            self._fn = _compile_source(self.name, self.source)
        return self._fn(*args)


def _broadcast(value: Any, n: int) -> np.ndarray:
    """A guard or check that folded to a constant still needs one answer per state."""
    arr = np.asarray(value, dtype=bool)
    return np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr


# ---------------------------------------------------------------------------- compiled steps
@dataclass
class CompiledStep:
    """One transition over a matrix of states."""

    transition: Transition
    guard: Callable[[np.ndarray], Any]  # S -> bool per state
    next: Callable[[np.ndarray], np.ndarray]  # S (enabled states only) -> successors
    bad: Callable[[np.ndarray], Any] | None  # S (enabled states) -> a range check fails
    changed: list[int]  # the flat rows the step may write
    delta: Callable[[Any], tuple[Any, ...]]  # S (enabled states) -> the new values of those rows
    updates: list[Any]  # the z3 terms of those new values
    #: (position in ``changed``, lowest, highest allowed value) of the unbounded columns whose
    #: new values may leave the range the compiled code is exact on (`Compiled.check_values`);
    #: a side the update cannot cross is None
    watch: list[tuple[int, int | None, int | None]]
    #: ``bad`` and ``delta`` in one function, ``S -> (bad or False, values)``: the range checks and
    #: the updates read the same subterms (the value written, the index it is written at), which
    #: it computes once. A state where ``bad`` holds is an error: its values are never used.
    checked_delta: Callable[[Any], tuple[Any, tuple[Any, ...]]] | None = None


class Compiled:
    """Every transition and property of a model over state matrices; `Untranslatable` if
    the model has unbounded sets or terms without a numpy form."""

    def __init__(self, model: ModelInstance, properties: list[str], encoding: Encoding | None = None):
        self.model = model
        self.vectors = Vectors(model)
        if not self.vectors.numeric:
            raise Untranslatable("the state has an unbounded set")
        self.enc = encoding or Encoding(model)
        names = [c.decl().name() for c in Encoding.flat(self.enc.x)]
        names2 = [c.decl().name() for c in Encoding.flat(self.enc.x_next)]
        if len(names) != self.vectors.width:
            raise Untranslatable("the symbolic state does not match the flat layout")
        bools = [col.kind in ("bool", "bit") for col in self.vectors.columns]
        self._inputs = {n: ("S", j, b) for j, (n, b) in enumerate(zip(names, bools, strict=True))}
        self._inputs2 = {n: ("S2", j, b) for j, (n, b) in enumerate(zip(names2, bools, strict=True))}
        self._terms: list[z3.ExprRef] = []  # every term translated: the interval analysis covers them all
        self.steps = [self._step(t, step) for t, step in self.enc.fired]
        self.props: dict[str, Callable[..., Any]] = {}
        self.prop_bad: dict[str, Callable[..., Any] | None] = {}
        for name in properties:
            self._property(name)
        self._bound(names, names2)

    def _bound(self, names: list[str], names2: list[str]) -> None:
        """Prove the compiled code exact on the states it will see (see `explicit_bounds`);
        `Exceeds` if no range of the unbounded columns makes it so."""
        cols = self.vectors.columns
        self.shown = [self.model.slots[c.slot].name + (f"∋{c.elem!r}" if c.kind == "bit" else "") for c in cols]
        bounds = [(c.lo, c.hi) for c in cols]
        both = [[a, b] for a, b in zip(names, names2, strict=True)]
        self.limits, ranges = exact_limits(self._terms, bounds, both, self.shown)
        self.intervals = [column_interval(lo, hi, k) for (lo, hi), k in zip(bounds, self.limits, strict=True)]
        for step in self.steps:
            for i, (j, term) in enumerate(zip(step.changed, step.updates, strict=True)):
                lo, hi = self.intervals[j]
                iv = ranges.of(term)
                if iv is not None and (iv[0] < lo or iv[1] > hi) and (cols[j].lo is None or cols[j].hi is None):
                    step.watch.append((i, lo if iv[0] < lo else None, hi if iv[1] > hi else None))

    def check_state(self, state: tuple[Any, ...]) -> None:
        """`Exceeds` unless every int of ``state`` lies in the range the compiled code is exact on."""
        for j, (col, v) in enumerate(zip(self.vectors.columns, self.vectors.encode(state), strict=True)):
            lo, hi = self.intervals[j]
            if col.kind == "int" and not lo <= v <= hi:
                raise self._exceeds(j, v)

    def check_values(self, step: CompiledStep, values: Any) -> None:
        """`Exceeds` if a new value of an unbounded column (``values[i]`` for ``step.changed[i]``;
        an array or a 0-d constant) left the range the compiled code is exact on. The value
        itself is exact: the analysis covered the step that computed it from states in range."""
        for i, lo, hi in step.watch:
            v = values[i]
            if v.size == 0:
                continue
            if lo is not None and (mn := int(np.min(v))) < lo:
                raise self._exceeds(step.changed[i], mn)
            if hi is not None and (mx := int(np.max(v))) > hi:
                raise self._exceeds(step.changed[i], mx)

    def _exceeds(self, column: int, value: int) -> Exceeds:
        k = self.limits[column].bit_length() - 1
        why = f"{self.shown[column]} reached {value}, beyond the +-2**{k} on which this model's arithmetic is exact"
        return Exceeds(why)

    def _step(self, t: Transition, step: Any) -> CompiledStep:
        em = _Emitter(self._inputs)
        guard_term = z3.simplify(step.guard)
        self._terms.append(guard_term)
        g = em.expr(guard_term)
        guard = _compile(f"guard_{t.index}", "S", em, [f"return {g}"])
        em = _Emitter(self._inputs)
        body = ["N = S.copy()"]
        changed, values, updates = [], [], []
        for j, (cur, nxt) in enumerate(zip(Encoding.flat(self.enc.x), Encoding.flat(step.next), strict=True)):
            if not z3.eq(cur, nxt):
                changed.append(j)
                updates.append(z3.simplify(nxt))
                values.append(em.expr(updates[-1]))
                body.append(f"N[{j}] = {values[-1]}")
        nxt_fn = _OnFirstCall(f"next_{t.index}", _source(f"next_{t.index}", "S", em, [*body, "return N"]))
        # the same updates, without the copy of the unchanged rows (the search derives keys)
        returned = f"({''.join(v + ', ' for v in values)})"
        delta = _OnFirstCall(f"delta_{t.index}", _source(f"delta_{t.index}", "S", em, [f"return {returned}"]))
        oks = self._oks([c.ok for c in step.checks])
        bad = None
        if oks:
            bad = _OnFirstCall(f"bad_{t.index}", lambda name=f"bad_{t.index}", oks=oks: self._checks_source(name, oks))
            # fused: the checks' terms translated by the updates' emitter, sharing its temporaries
            fused = " | ".join(f"np.logical_not({em.expr(ok)})" for ok in oks)
        else:
            fused = "False"
        checked_delta = _compile(f"checked_delta_{t.index}", "S", em, [f"return {fused}, {returned}"])
        self._terms += updates
        return CompiledStep(t, guard, nxt_fn, bad, changed, delta, updates, [], checked_delta)

    def _oks(self, oks: list[Any]) -> list[Any]:
        """The range checks that are not trivially true (simplified), each among the translated terms."""
        oks = [s for s in (z3.simplify(ok) for ok in oks) if not z3.is_true(s)]
        self._terms += oks
        return oks

    def _checks_source(self, name: str, oks: list[Any]) -> str:
        em = _Emitter(self._inputs)
        parts = " | ".join(f"np.logical_not({em.expr(ok)})" for ok in oks)
        return _source(name, "S", em, [f"return {parts}"])

    def _checks(self, name: str, params: str, oks: list[Any], inputs: dict[str, tuple[str, int, bool]]) -> Any:
        oks = self._oks(oks)
        if not oks:
            return None
        em = _Emitter(inputs)
        parts = [f"np.logical_not({em.expr(ok)})" for ok in oks]
        return _compile(name, params, em, [f"return {' | '.join(parts)}"])

    def _property(self, name: str) -> None:
        kind = self.model.properties[name].kind
        expr = z3.simplify(self.enc.prop(name, self.enc.x, self.enc.x_next))
        self._terms.append(expr)
        inputs = self._inputs | self._inputs2 if kind == "action_invariant" else self._inputs
        params = "S, S2" if kind == "action_invariant" else "S"
        em = _Emitter(inputs)
        result = em.expr(expr)
        self.props[name] = _compile(f"prop_{name}", params, em, [f"return {result}"])
        self.prop_bad[name] = self._checks(f"bad_{name}", params, [c.ok for c in self.enc.prop_checks[name]], inputs)

    # -- running
    def successors(self, step: CompiledStep, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions of the states where ``step`` is enabled, their successors)."""
        n = S.shape[1]
        where = np.flatnonzero(_broadcast(step.guard(S), n))
        if where.size == 0:
            return where, S[:, :0]
        sub = S[:, where]
        if step.bad is not None:
            bad = _broadcast(step.bad(sub), where.size)
            if bad.any():
                self._raise_step_error(step.transition, sub[:, int(np.argmax(bad))])
        nxt = step.next(sub)
        if step.watch:
            self.check_values(step, [nxt[j] for j in step.changed])
        return where, nxt

    def holds(self, name: str, S: np.ndarray, S2: np.ndarray | None = None) -> np.ndarray:
        """Per state (or per edge S -> S2 for action invariants): the property holds."""
        args = (S,) if S2 is None else (S, S2)
        n = S.shape[1]
        bad_fn = self.prop_bad[name]
        if bad_fn is not None:
            bad = _broadcast(bad_fn(*args), n)
            if bad.any():
                i = int(np.argmax(bad))
                states = [self.vectors.decode(a[:, i]) for a in args]  # (also on `explicit_rows` views)
                evaluate(self.model, CONCRETE, name, *states)  # raises the located ModelError
                raise InternalError(f"property '{name}': a compiled range check failed that concrete evaluation passes")
        return _broadcast(self.props[name](*args), n)

    def _raise_step_error(self, t: Transition, vector: np.ndarray) -> None:
        fire(self.model, t, self.vectors.decode(vector))  # raises the located ModelError
        raise InternalError(f"action {t}: a compiled range check failed that the concrete step passes")

    def fire_concrete(self, t: Transition, state: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """`runtime.fire` through the compiled code (for cross-checking the two)."""
        self.check_state(state)
        S = self.vectors.matrix([state])
        for step in self.steps:
            if step.transition.index == t.index:
                where, nxt = self.successors(step, S)
                return self.vectors.decode(nxt[:, 0]) if where.size else None
        return None  # statically disabled: never fires
