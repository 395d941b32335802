"""The symbolic step executor: a model's transition relation as z3 formulas.

Every action is run once under the symbolic interpretation over *template* state
constants, giving per transition a guard and a next-state vector. The step relation is
functional: each slot's next value is an `ite` chain over the integer *oracle* that names
the transition that fired (only transitions that write the slot appear in its chain).
Engines instantiate the templates at step k by substitution, so the model code runs once
per check, not once per step. BMC, k-induction and PDR all consume this one encoding;
`checker.decoding` reads the solver's answers back as concrete values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import z3

from .decoding import StateDecoding
from .errors import InternalError, ModelError
from .lang.finite import finite_values
from .lang.frame import RangeCheck
from .lang.interp import Symbolic
from .lang.intervals import NotAnInterval
from .lang.model import Instance, ModelInstance, Transition
from .lang.runtime import evaluate, fire_symbolic
from .lang.setops import NeedsInterval
from .lang.types import BoolSort, EnumSort, IntSort, SetSort
from .replica_perm import referenced, transposition

E = TypeVar("E", bound=z3.ExprRef)

# per slot: a z3 expression, a tuple of z3 Bools for a finite set, or (lo, hi) for an
# unbounded int set held as an interval (see `checker.lang.intervals`)
State = list[Any]

SET_ENCODINGS = ("array", "interval", "auto")


@dataclass
class StepCheck:
    """A range check of one transition: a violation is ``oracle == t & guard & ~ok``."""

    transition: Transition
    violated: z3.BoolRef  # over the template state and oracle
    check: RangeCheck


class Encoding(StateDecoding):
    """``sets`` chooses how unbounded int sets are encoded: ``"array"`` (z3 arrays, always
    possible), ``"interval"`` (lo..hi pairs; a model error where a set cannot be one), or
    ``"auto"`` (intervals where the model's operations allow, arrays elsewhere)."""

    def __init__(self, model: ModelInstance, sets: str = "array"):
        if sets not in SET_ENCODINGS:
            raise ValueError(f"sets must be one of {', '.join(SET_ENCODINGS)}, not {sets!r}")
        self.model = model
        self.sets = sets
        self.oracle = z3.Int("oracle")
        #: unbounded int sets that stay arrays, with the reason: set name -> why
        self.array_sets: dict[str, str] = {}
        candidates = self._interval_candidates() if sets != "array" else set()
        #: sets whose min/max/size the model reads: intervals or nothing (`checker.lang.setops`)
        needed: dict[int, NeedsInterval] = {}
        while True:  # each round either succeeds, or drops or adds one candidate
            self.interval_slots = frozenset(candidates)
            self.interp = Symbolic(model.enum_ids, self.interval_slots)
            self.interp.required_intervals = frozenset(needed)  # type: ignore[attr-defined]  # see setops.gap_message
            self.x = self.fresh_state("")
            self.x_next = self.fresh_state("'")
            try:
                self.fired = self._fire_all()
                self._probe_properties()
                break
            except NeedsInterval as exc:
                why = self.array_sets.get(model.slots[exc.slot].name)
                init = model.init[exc.slot]
                if init and max(init) - min(init) + 1 != len(init):
                    why = "its initial value is not a contiguous range"
                if why is not None or not self._unbounded_set(exc.slot):
                    message = f"{exc.message} (here it cannot be an interval: {why})"
                    raise ModelError(message, exc.file, exc.line) from None
                candidates.add(exc.slot)
                needed[exc.slot] = exc
            except NotAnInterval as exc:
                if sets == "interval":
                    raise ModelError(f"sets='interval' is impossible for this model: {exc.why}") from None
                if exc.slot in needed:
                    need = needed[exc.slot]
                    raise ModelError(
                        f"{need.message} (here it cannot be an interval: {exc.why})", need.file, need.line
                    ) from None
                candidates.discard(exc.slot)
                self.array_sets[model.slots[exc.slot].name] = exc.why
        self._trans = self._build_trans()
        self._live = frozenset(t.index for t, _ in self.fired)
        self._trans_within: dict[frozenset[int], z3.BoolRef] = {}
        self.step_checks = [
            StepCheck(t, z3.And(self.oracle == t.index, step.guard, z3.Not(c.ok)), c)
            for t, step in self.fired
            for c in step.checks
        ]
        self._prop_cache: dict[str, z3.BoolRef] = {}
        self.prop_checks: dict[str, list[RangeCheck]] = {}
        self._symmetry: dict[tuple[tuple[str, ...], ...], z3.BoolRef] = {}
        self._domain: dict[bool, z3.BoolRef] = {}  # per enum_bounds: over the template state

    def _fire_all(self) -> list[tuple[Transition, Any]]:
        fired: list[tuple[Transition, Any]] = []  # (transition, SymbolicStep)
        for t in self.model.transitions:
            step = fire_symbolic(self.model, self.interp, t, self.x)
            if step is not None:
                fired.append((t, step))
        return fired

    def _probe_properties(self) -> None:
        """Evaluate the properties once where a set is held as an array: one that reads the set's
        min/max/size needs it as an interval (`NeedsInterval`). Other errors are reported when,
        and only if, that property is checked."""
        if not any(self._unbounded_set(i) and i not in self.interval_slots for i in range(len(self.model.slots))):
            return
        for name, p in self.model.properties.items():
            states = [self.x, self.x_next] if p.kind == "action_invariant" else [self.x]
            try:
                evaluate(self.model, self.interp, name, *states, checks=[])
            except NeedsInterval:
                raise
            except ModelError:
                pass

    def _interval_candidates(self) -> set[int]:
        """Unbounded int sets whose initial value is an interval (the actions decide the rest)."""
        found = set()
        for i, slot in enumerate(self.model.slots):
            if self._unbounded_set(i):
                if all(not v or max(v) - min(v) + 1 == len(v) for v in {s[i] for s in self.model.inits}):
                    found.add(i)
                else:
                    self.array_sets[slot.name] = "its initial value is not a contiguous range"
        return found

    def _unbounded_set(self, i: int) -> bool:
        sort = self.model.slots[i].sort
        return isinstance(sort, SetSort) and not sort.finite and isinstance(sort.elem, IntSort)

    @property
    def logic(self) -> str:
        """The SMT logic of the encoding: arrays appear only for unbounded sets not held as intervals."""
        arrays = any(
            isinstance(s.sort, SetSort) and not s.sort.finite and i not in self.interval_slots
            for i, s in enumerate(self.model.slots)
        )
        return "QF_AUFLIA" if arrays else "QF_LIA"

    # -- states
    def fresh_state(self, suffix: str) -> State:
        out: State = []
        for i, slot in enumerate(self.model.slots):
            name = f"{slot.name}{suffix}"
            sort = slot.sort
            if i in self.interval_slots:
                out.append((z3.Int(f"{slot.name}.lo{suffix}"), z3.Int(f"{slot.name}.hi{suffix}")))
            elif isinstance(sort, SetSort):
                if sort.finite:
                    out.append(tuple(z3.Bool(f"{name}{{{v}}}") for v in finite_values(sort.elem)))
                else:
                    out.append(z3.Array(name, z3.IntSort(), z3.BoolSort()))
            elif isinstance(sort, BoolSort):
                out.append(z3.Bool(name))
            else:
                out.append(z3.Int(name))
        return out

    @staticmethod
    def flat(state: State) -> list[z3.ExprRef]:
        out: list[z3.ExprRef] = []
        for v in state:
            out.extend(v if isinstance(v, tuple) else (v,))
        return out

    def const_state(self, values: tuple[Any, ...]) -> State:
        """A concrete state as z3 values."""
        return [self._const_slot(i, v) for i, v in zip(range(len(self.model.slots)), values, strict=True)]

    def _const_slot(self, i: int, value: Any) -> Any:
        """Slot ``i``'s concrete ``value`` as z3 (a tuple of bits for a finite set, bounds for an interval)."""
        slot = self.model.slots[i]
        sort = slot.sort
        if i in self.interval_slots:
            lo, hi = (min(value), max(value)) if value else (1, 0)
            if hi - lo + 1 != len(value):
                raise ValueError(f"{slot.name} = {set(value)} is not an interval")
            return (z3.IntVal(lo), z3.IntVal(hi))
        if isinstance(sort, SetSort):
            if sort.finite:
                return tuple(z3.BoolVal(v in value) for v in finite_values(sort.elem))
            arr = z3.K(z3.IntSort(), z3.BoolVal(False))
            for v in sorted(value):
                arr = z3.Store(arr, v, True)
            return arr
        return self.interp.const(value)

    def equal(self, a: State, b: State) -> z3.BoolRef:
        return z3.And([x == y for x, y in zip(self.flat(a), self.flat(b), strict=True)])

    def init(self, state: State) -> z3.BoolRef:
        """The initial states: per slot its declared choice, or (with an ``@initial`` hook) the
        disjunction of the enumerated states. One initial state: the equalities of old."""
        model = self.model
        if not model.several_inits:
            return self.equal(state, self.const_state(model.init))
        if not model.init_hooks:
            parts = []
            for i, (sym, values) in enumerate(zip(state, model.init_choices, strict=True)):
                if len(values) == 1:
                    parts.append(self.equal([sym], [self._const_slot(i, values[0])]))
                elif all(isinstance(v, int) and not isinstance(v, bool) for v in values) and (
                    max(values) - min(values) + 1 == len(values)
                ):
                    parts += [sym >= min(values), sym <= max(values)]  # a range: bounds, not a disjunction
                else:
                    parts.append(z3.Or([self.equal([sym], [self._const_slot(i, v)]) for v in values]))
            return z3.And(parts)
        return z3.Or([self.equal(state, self.const_state(s)) for s in model.inits])

    def initial_of(self, zmodel: z3.ModelRef, x0: State) -> tuple[Any, ...]:
        """The initial state a satisfying assignment starts from (one of `ModelInstance.inits`)."""
        model = self.model
        if not model.several_inits:
            return model.init
        for s in model.inits:
            if z3.is_true(zmodel.eval(self.equal(x0, self.const_state(s)), model_completion=True)):
                return s
        raise InternalError("the solver's first state is none of the model's initial states")

    def domain(self, state: State, enum_bounds: bool = False) -> z3.BoolRef:
        """Type constraints of every slot (bounded ints, enum ranges).

        ``enum_bounds``: an enum whose ids are consecutive becomes ``lo <= v <= hi`` instead of
        a disjunction of equalities (the same set of values). Spacer is markedly faster with
        bounds (half the solving time on the DNS model); the other engines keep the disjunction.
        Built once over the template state, then instantiated (BMC asks for it at every depth).
        """
        if enum_bounds not in self._domain:
            self._domain[enum_bounds] = self._build_domain(self.x, enum_bounds)
        return substitute(self._domain[enum_bounds], self.substitution(state))

    def _build_domain(self, state: State, enum_bounds: bool) -> z3.BoolRef:
        parts = []
        for slot, v in zip(self.model.slots, state, strict=True):
            sort = slot.sort
            if isinstance(sort, IntSort):
                if sort.lo is not None:
                    parts.append(v >= sort.lo)
                if sort.hi is not None:
                    parts.append(v <= sort.hi)
            elif isinstance(sort, EnumSort):
                ids = sorted(self.interp.const(n).as_long() for n in sort.names)
                if enum_bounds and ids[-1] - ids[0] + 1 == len(ids):
                    parts += [v >= ids[0], v <= ids[-1]]
                else:
                    parts.append(z3.Or([v == self.interp.const(n) for n in sort.names]))
        return z3.And(parts)

    # -- the step relation
    def _build_trans(self, fired: list[tuple[Transition, Any]] | None = None) -> z3.BoolRef:
        fired = self.fired if fired is None else fired
        o = self.oracle
        parts = [z3.Or([o == t.index for t, _ in fired])] if fired else [z3.BoolVal(False)]
        parts += [z3.Implies(o == t.index, step.guard) for t, step in fired if not z3.is_true(step.guard)]
        for i, (cur, nxt) in enumerate(zip(self.x, self.x_next, strict=True)):
            if isinstance(cur, tuple):
                for j, (c, n) in enumerate(zip(cur, nxt, strict=True)):
                    parts.append(n == self._chain(lambda s, i=i, j=j: s.next[i][j], c, fired))
            else:
                parts.append(nxt == self._chain(lambda s, i=i: s.next[i], cur, fired))
        return z3.And(parts)

    def _chain(self, pick: Any, current: z3.ExprRef, fired: list[tuple[Transition, Any]]) -> z3.ExprRef:
        expr = current
        for t, step in reversed(fired):
            value = pick(step)
            if not z3.eq(value, current):
                expr = z3.If(self.oracle == t.index, value, expr)
        return expr

    def substitution(
        self, x: State, o: z3.ArithRef | None = None, x2: State | None = None
    ) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        pairs = list(zip(self.flat(self.x), self.flat(x), strict=True))
        if o is not None:
            pairs.append((self.oracle, o))
        if x2 is not None:
            pairs += list(zip(self.flat(self.x_next), self.flat(x2), strict=True))
        return pairs

    def trans(self, x: State, o: z3.ArithRef, x2: State, within: frozenset[int] | None = None) -> z3.BoolRef:
        """One step from ``x`` to ``x2`` firing transition ``o``; ``within``: only these transitions
        (indices) may fire, e.g. those that can be enabled at this depth (`engines.bmc_reach`).
        One template per set, shared by every step that uses it."""
        if within is None or within >= self._live:
            return substitute(self._trans, self.substitution(x, o, x2))
        if within not in self._trans_within:
            self._trans_within[within] = self._build_trans([(t, s) for t, s in self.fired if t.index in within])
        return substitute(self._trans_within[within], self.substitution(x, o, x2))

    # -- properties over states
    def prop(self, name: str, x: State, x2: State | None = None) -> z3.BoolRef:
        """A property over state ``x`` (and successor ``x2`` for action invariants)."""
        if name not in self._prop_cache:
            states = [self.x, self.x_next] if self.model.properties[name].kind == "action_invariant" else [self.x]
            checks: list[RangeCheck] = []
            self._prop_cache[name] = evaluate(self.model, self.interp, name, *states, checks=checks)
            self.prop_checks[name] = checks
        return substitute(self._prop_cache[name], self.substitution(x, None, x2))

    def prop_check_violations(
        self, name: str, x: State, x2: State | None = None
    ) -> list[tuple[RangeCheck, z3.BoolRef]]:
        """Each range check of a property (e.g. a key outside an array) with its violation over ``x``."""
        self.prop(name, x, x2)
        pairs = self.substitution(x, None, x2)
        return [(c, substitute(z3.Not(c.ok), pairs)) for c in self.prop_checks[name]]

    # -- symmetry
    def symmetry_breaking(self, x: State, o: z3.ArithRef, groups: list[list[Instance]]) -> z3.BoolRef:
        """Of two replicas in identical local states, only the lower-numbered one moves (where
        `Ref`s point at the replicas: in a state that swapping the two leaves unchanged).

        ``groups`` are replicas that `checker.symmetry.decide` found interchangeable (swapping
        two maps init, every step and every checked property onto itself): then any trace
        can be rewritten, step by step, by swapping the roles of two identical replicas,
        into one that obeys this rule, with the same length and the same properties.
        """
        key = tuple(tuple(inst.name for inst in g) for g in groups)
        if key not in self._symmetry:
            parts = []
            by_instance: dict[str, list[int]] = {}
            for t, _ in self.fired:
                by_instance.setdefault(t.instance.name, []).append(t.index)
            refs = referenced(self.model)
            for group in groups:
                for hi_pos, hi in enumerate(group):
                    moves = by_instance.get(hi.name)
                    if not moves:
                        continue
                    fires = z3.Or([self.oracle == i for i in moves])
                    for lo in group[:hi_pos]:
                        if group[0].attr in refs:  # swapping them must leave the whole state as it is
                            parts.append(z3.Not(z3.And(self._swap_fixes(lo, hi), fires)))
                            continue
                        # flat(): a set slot is a tuple of bits (or an interval's two bounds)
                        same = z3.And(
                            [
                                ea == eb
                                for va, vb in zip(lo.vars.values(), hi.vars.values(), strict=True)
                                for a, b in zip(va.slots, vb.slots, strict=True)
                                for ea, eb in zip(self.flat([self.x[a]]), self.flat([self.x[b]]), strict=True)
                            ]
                        )
                        parts.append(z3.Not(z3.And(same, fires)))
            self._symmetry[key] = z3.And(parts)
        return substitute(self._symmetry[key], self.substitution(x, o))

    def _swap_fixes(self, a: Instance, b: Instance) -> z3.BoolRef:
        """The template state is its own image under swapping ``a`` and ``b`` with `Ref`s to them
        renamed (`checker.replica_perm`): then either may take the step, and the trace where the
        lower one does is as good. Equal local states are not enough once a lock can name one."""
        image = transposition(self.model, a, b).z3_image(self.model, self.interp.const, self.x)
        return z3.And(
            [p == q for old, new in zip(self.x, image, strict=True) if old is not new
             for p, q in zip(self.flat([old]), self.flat([new]), strict=True)]
        )  # fmt: skip

    def step_check(self, check: StepCheck, x: State, o: z3.ArithRef) -> z3.BoolRef:
        return substitute(check.violated, self.substitution(x, o))


def substitute(e: E, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> E:
    """``z3.substitute(e, *pairs)``, less the work that is wasted here. Pairs that map a
    constant to itself (the same object: a formula asked for over the template state
    ``enc.x``, as PDR, Houdini and the certificate do) are dropped, and with them the whole
    substitution when nothing is left; and z3's per-call checks (every pair's sorts, built as
    Python objects pair by pair) are skipped: our pairs always map a state constant to one of
    the same sort. With the ~900 range checks of the 8-Enactor DNS model those checks cost
    seconds per proof."""
    pairs = [(a, b) for a, b in pairs if a is not b]
    if not pairs:
        return e
    n = len(pairs)
    sources, targets = (z3.Ast * n)(), (z3.Ast * n)()
    for i, (a, b) in enumerate(pairs):
        sources[i], targets[i] = a.as_ast(), b.as_ast()
    return z3.z3._to_expr_ref(z3.Z3_substitute(e.ctx_ref(), e.as_ast(), n, sources, targets), e.ctx)  # type: ignore[return-value]
