"""The parameterized encoding: one component's replicas as arrays over a sort of any size.

The model is built with two replicas of the component and its actions are run once by the
ordinary symbolic interpretation (`checker.encoding`). Replica 1's steps then become
*templates*: every slot of replica 1 is read as ``A[a]``, ``A`` an array from the replica
sort ``R`` (an uninterpreted sort: any number of elements) and ``a`` the acting replica, a
fresh constant per step; its writes become ``A' = Store(A, a, v)``. Every other replica's
slots are untouched by the step. That reading is faithful only when a replica's step
depends on its own state, the shared state and nothing else that varies with the number
of replicas. So it is checked, not assumed, and anything else refuses with a reason:

- while the actions and properties run, reads of ``sys.<component>`` (iterating, indexing
  or counting the replicas), of ``self.id``/``self.name`` of a replica, and of the count
  parameter are recorded (the parameter also while the model is built: beyond the count
  itself, a size, an initial value or an action domain would then depend on it);
- replica 1's terms mention no slot of replica 2 and leave replica 2's slots unchanged; the
  shared components' steps and the properties mention no replica slot at all;
- replica 2's steps are replica 1's with the two replicas' slots swapped, term for term
  (`checker.param.twins`), and the two replicas start alike.

Then an N-replica instance is the encoding with ``R`` = {1..N}, for every N ≥ 1.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

import z3

from ..encoding import Encoding, substitute
from ..engines.generalize import state_consts
from ..errors import RaceproofError
from ..lang import views
from ..lang.model import Instance, ModelInstance
from ..lang.refs import uses_refs
from ..lang.types import EnumSort, IntSort
from .domains import choose
from .index import PROBE, Hooks, Indexed, IndexRefused, SymbolicParams, find, prepare
from .inits import several_inits
from .keyed import Capture, KeyedMembers
from .keyed import setup as keyed_setup
from .twins import twin_mismatch
from .watch import Log, Step, WatchedInstance, WatchedMembers, changes_every_replica, watched_params

PState = tuple[list[z3.ExprRef], list[z3.ArrayRef]]  # shared slots' constants, the replicas' arrays


class Refused(Exception):
    """The model cannot be read for every number of replicas; ``reason`` says where and why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Template:
    """One transition, over the template state ``P0 -> P1``, acting replica ``actor``."""

    index: int  # the oracle's value for this transition
    label: str  # "enactor.pick", "planner.plan"
    replica: bool  # run by the acting replica
    guard: z3.BoolRef
    next_shared: list[z3.ExprRef]
    next_local: list[z3.ExprRef | None]  # the actor's new values (None: unchanged)
    violations: list[tuple[str, z3.BoolRef]]  # range checks: (message at line, guard & ~ok)


class ParamEncoding:
    """The transition relation of the model for any number of replicas of ``attr``."""

    def __init__(
        self,
        model: ModelInstance,
        count: str,
        sets: str = "auto",
        properties: list[str] | None = None,
        index: str | None = None,
        keyed: bool = False,
    ):
        comps = [a for a, c in model.model.components().items() if c.count == count]
        if len(comps) != 1:
            found = ", ".join(comps) or "none"
            raise Refused(f"exactly one component must have count='{count}' (found: {found})")
        self.attr = attr = comps[0]
        self.count = count
        if not model.model.components()[attr].symmetric:
            raise Refused(f"{attr} is declared symmetric=False: its replicas are not to be treated alike")
        self.ix: Indexed | None = None
        sizes = {count: 2}
        if index is not None:
            try:
                self.ix = find(model, count, index)
            except IndexRefused as exc:
                raise Refused(f"not for all {index}: {exc.reason}") from None
            except RaceproofError as exc:
                raise Refused(f"not for all {index}: the model cannot be built at {index}={PROBE}: {exc}") from None
            sizes[index] = PROBE[0]
        problems = model.model.check_params(model.param_dict() | sizes)
        if problems:
            raise Refused(f"the model does not allow {count}=2: {problems[0][1]}")
        self.log = log = Log()
        params = watched_params(model.param_dict() | sizes, count, log)
        try:
            m2 = ModelInstance(model.model, params)
        except RaceproofError as exc:
            raise Refused(f"the two-replica instance cannot be built: {exc.message}") from None
        if len(log) != 1:  # the one read that is expected: the component's count itself
            raise Refused(
                f"building the model reads '{count}' beyond the number of {attr} replicas "
                "(a size, an initial value or an action's domain depends on it)"
            )
        log.clear()
        self.model2 = m2
        if self.ix is not None:
            prepare(self.ix, m2)
            m2.params = SymbolicParams(m2.params, self.ix.param, self.ix.size)  # type: ignore[assignment]
        # replicas named by Ref values, or read through all_of/any_of: `checker.param.keyed`
        self.keyed = keyed or attr in uses_refs(model.model)
        if self.keyed and self.ix is not None:
            raise Refused(f"not for all {index}: with sets or actions over {attr} identities (not implemented)")
        self.sources: dict[int, tuple[str, str, tuple[tuple[str, str], ...], str | None]] = {}
        self.init_pred: z3.BoolRef | None = None  # several initial states, over P0: `checker.param.inits`
        self.column_names: set[str] = set()  # shared sets of replica ids, read per replica
        self.ref_pairs: dict[str, tuple[z3.ExprRef, z3.ExprRef]] = {}  # shared Ref variables: (none, who)
        self.members = members = (KeyedMembers if self.keyed else WatchedMembers)(views._members(m2), attr, log)
        views._MEMBERS[m2] = members
        m2.transitions = [
            Step(t.index, WatchedInstance(t.instance, log), t.action, t.args, str(t))  # type: ignore[arg-type]
            if t.instance.attr == attr
            else t
            for t in m2.transitions
        ]
        if self.ix is not None and self.ix.families:  # one step per index: member 0, at a chosen index
            ix = self.ix
            m2.transitions = choose(m2.transitions, ix.param, ix.families, ix.chosen, ix.in_range)
        self.properties = list(properties if properties is not None else m2.properties)
        try:
            capture = Capture(m2, attr, log) if self.keyed else None
            with (
                Hooks(self.ix, m2) if self.ix is not None else contextlib.nullcontext(),
                capture if capture is not None else contextlib.nullcontext(),
            ):
                self.enc = Encoding(m2, sets=sets)
                props, self.quantified = {}, set()
                members.quantify = True
                try:
                    for n in self.properties:
                        before = len(members.iterated)
                        props[n] = self._property(n)
                        if len(members.iterated) > before:
                            self.quantified.add(n)
                finally:
                    members.quantify = False
        except RaceproofError as exc:  # e.g. code that picks a third replica: an error with two
            if self.ix is not None:
                param = self.ix.param
                raise Refused(f"not for all {param}: with a symbolic '{param}' the model fails: {exc}") from None
            why = f"{log[0]}, and" if log else "with"
            raise Refused(f"{why} two replicas the model fails: {exc}") from None
        except TypeError as exc:  # e.g. range(sys.params.endpoints): a Python value was needed
            if self.ix is None:
                raise
            param = self.ix.param
            raise Refused(f"not for all {param}: model code needs '{param}' as a number ({exc})") from None
        if log:
            why = f"{log.summary()}: a step or property may then differ with the number of replicas"
            every = changes_every_replica(self.enc, attr)
            if every:
                why += f"; {', '.join(every)} change(s) every {attr} replica in one step"
            raise Refused(why)
        if capture is not None:
            keyed_setup(self, capture, props)
            self.quantified = set()
            self._trans = self._build_trans()
            return
        self.sort = z3.DeclareSort(attr)
        self._classify()
        self.actor = z3.Const("actor!", self.sort)  # "!": no state name has one
        self.p0 = self.fresh("")
        self.p1 = self.fresh("'")
        several_inits(self)
        self.templates = self._templates()
        self.prop_replica = z3.Const("s!1", self.sort)  # a property over the replicas: at this one
        self.props = {n: self._over_replica(n, t) if n in self.quantified else t for n, t in props.items()}
        self.check_props_shared()
        self._trans = self._build_trans()

    # -- slots
    def _classify(self) -> None:
        enc, attr = self.enc, self.attr
        pattern = re.compile(rf"^{re.escape(attr)}(\d+)\.(.*)$")
        self.shared: list[z3.ExprRef] = []  # flat constants of the shared slots
        self.shared_slot: list[int] = []  # the slot each one belongs to
        self.local_keys: list[str] = []  # "pc", "plan", "seen[0]"
        self.local_slot: list[int] = []  # replica 1's slot of each key
        self.replica_flat: dict[int, list[z3.ExprRef]] = {1: [], 2: []}
        indexed = set(self.ix.arrays) if self.ix is not None else set()
        for i, sym in enumerate(enc.x):
            owner = self.model2.slots[i].var.owner
            if self.model2.slots[i].var.name in indexed:
                continue  # read as one array (`checker.param.index`), never as its elements
            for c in enc.flat([sym]):
                if owner.attr != attr:
                    self.shared.append(c)
                    self.shared_slot.append(i)
                    continue
                m = pattern.match(c.decl().name())
                if m is None or owner.id not in (1, 2):
                    raise Refused(f"unexpected state constant {c} of {owner.name}")
                self.replica_flat[owner.id].append(c)
                if owner.id == 1:
                    self.local_keys.append(m.group(2))
                    self.local_slot.append(i)
        keys2 = [pattern.match(c.decl().name()).group(2) for c in self.replica_flat[2]]  # type: ignore[union-attr]
        if keys2 != self.local_keys:
            raise Refused(f"{attr}1 and {attr}2 do not have the same state variables")
        init = enc.flat(enc.const_state(self.model2.init))
        flat = enc.flat(enc.x)
        at = {c.get_id(): v for c, v in zip(flat, init, strict=True)}
        self.init_shared = [at[c.get_id()] for c in self.shared]
        if self.ix is not None:
            for name, var in self.ix.arrays.items():
                self.shared.append(self.ix.now[name])
                self.shared_slot.append(-1)
                first = self.model2.init[var.slots[0]]
                self.init_shared.append(z3.K(z3.IntSort(), z3.IntVal(first)))
        self.init_local = [at[c.get_id()] for c in self.replica_flat[1]]
        if any(not z3.eq(at[c.get_id()], v) for c, v in zip(self.replica_flat[2], self.init_local, strict=True)):
            raise Refused(f"{attr}1 and {attr}2 start in different states")

    def fresh(self, suffix: str) -> PState:
        if suffix == "":
            shared = list(self.shared)
        elif suffix == "'":
            nxt = {
                a.get_id(): b for a, b in zip(self.enc.flat(self.enc.x), self.enc.flat(self.enc.x_next), strict=True)
            }
            shared = [nxt[c.get_id()] if c.get_id() in nxt else self._array_after(c) for c in self.shared]
        else:
            shared = [z3.Const(f"{c}{suffix}", c.sort()) for c in self.shared]
        local = [
            z3.Array(f"{self.attr}.{k}{suffix}", self.sort, c.sort())
            for k, c in zip(self.local_keys, self.replica_flat[1], strict=True)
        ]
        return shared, local

    def _array_after(self, c: z3.ExprRef) -> z3.ExprRef:
        assert self.ix is not None
        return next(self.ix.after[n] for n, a in self.ix.now.items() if a.eq(c))

    def arrays_next(self, step: Any) -> dict[int, z3.ExprRef]:
        """The parameter-sized arrays after a step (by the id of the array's constant)."""
        if self.ix is None:
            return {}
        terms = self.ix.frames.get(id(step.next), {})
        return {a.get_id(): terms.get(n, a) for n, a in self.ix.now.items()}

    @staticmethod
    def flat(p: PState) -> list[z3.ExprRef]:
        return [*p[0], *p[1]]

    def pairs(self, p: PState, a: z3.ExprRef | None = None, p2: PState | None = None) -> list[tuple[Any, Any]]:
        out = list(zip(self.flat(self.p0), self.flat(p), strict=True))
        if a is not None:
            out.append((self.actor, a))
        if p2 is not None:
            out += list(zip(self.flat(self.p1), self.flat(p2), strict=True))
        return out

    def at(self, p: PState, r: z3.ExprRef) -> list[tuple[Any, Any]]:
        """Replica 1's constants read as replica ``r``'s array elements of ``p``."""
        return [(c, z3.Select(arr, r)) for c, arr in zip(self.replica_flat[1], p[1], strict=True)]

    # -- the transition relation
    def _templates(self) -> list[Template]:
        enc, attr = self.enc, self.attr
        own, other = self.replica_flat[1], self.replica_flat[2]
        own_ids = {c.get_id() for c in own}
        other_ids = {c.get_id() for c in other}
        flat_x = enc.flat(enc.x)
        twins: dict[tuple[str, str], tuple[Any, Any]] = {}
        out: list[Template] = []
        for t, step in enc.fired:
            inst: Instance = getattr(t.instance, "_real", t.instance)
            nxt = enc.flat(step.next)
            changed = {c.get_id() for c, v in zip(flat_x, nxt, strict=True) if not z3.eq(c, v)}
            arrays = self.arrays_next(step)
            changed |= {i for i, v in arrays.items() if v.get_id() != i}
            new = [v for c, v in zip(flat_x, nxt, strict=True) if c.get_id() in changed]
            new += [v for i, v in arrays.items() if v.get_id() != i]
            used = set().union(*(const_ids(e) for e in [step.guard, *[c.ok for c in step.checks], *new]))
            where = f"{inst.name}.{t.label}"
            if inst.attr == attr and inst.id == 2:
                twins[(t.label, "2")] = (t, step)
                continue
            if inst.attr == attr:
                twins[(t.label, "1")] = (t, step)
                if used & other_ids or changed & other_ids:
                    raise Refused(f"{where} reads or writes {attr}2's state: replicas must only use their own")
            elif used & (own_ids | other_ids) or changed & (own_ids | other_ids):
                raise Refused(f"{where} reads or writes a replica's state (a quantified reading is not implemented)")
            pairs = self.at(self.p0, self.actor)
            value = {c.get_id(): v for c, v in zip(flat_x, nxt, strict=True)} | arrays
            out.append(
                Template(
                    t.index,
                    f"{inst.attr}.{t.label}",
                    inst.attr == attr,
                    substitute(step.guard, pairs),
                    [substitute(value[c.get_id()], pairs) for c in self.shared],
                    [substitute(value[c.get_id()], pairs) if c.get_id() in changed else None for c in own],
                    [
                        (f"{c.message} ({c.file}:{c.line})", substitute(z3.And(step.guard, z3.Not(c.ok)), pairs))
                        for c in step.checks
                    ],
                )
            )
        mismatch = twin_mismatch(self.enc, self.attr, self.replica_flat, twins, self.arrays_next)
        if mismatch is not None:
            raise Refused(mismatch)
        return out

    def _property(self, name: str) -> z3.BoolRef:
        enc = self.enc
        x2 = enc.x_next if self.model2.properties[name].kind == "action_invariant" else None
        term = z3.And([enc.prop(name, enc.x, x2)] + [z3.Not(v) for _, v in enc.prop_check_violations(name, enc.x, x2)])
        if self.ix is not None and self.ix.ix.get_id() in const_ids(term):  # at every index 0 <= ix < E
            term = z3.Implies(self.ix.in_range(self.ix.ix), term)
        return term

    def _build_trans(self) -> z3.BoolRef:
        o, l0, (g1, l1) = self.enc.oracle, self.p0[1], self.p1
        cases = []
        for t in self.templates:
            parts = [o == t.index, t.guard]
            parts += [n == v for n, v in zip(g1, t.next_shared, strict=True)]
            for cur, new, v in zip(l0, l1, t.next_local, strict=True):
                parts.append(new == (z3.Store(cur, self.actor, v) if v is not None else cur))
            cases.append(z3.And(parts))
        return z3.Or(cases) if cases else z3.BoolVal(False)

    def _over_replica(self, name: str, term: z3.BoolRef) -> z3.BoolRef:
        """A property that iterated the replicas (it saw replica 1 alone), at the replica ``s!1``."""
        enc = self.enc
        nxt = {a.get_id(): b for a, b in zip(enc.flat(enc.x), enc.flat(enc.x_next), strict=True)}
        pairs = self.at(self.p0, self.prop_replica)
        pairs += [(nxt[c.get_id()], z3.Select(arr, self.prop_replica)) for c, arr in
                  zip(self.replica_flat[1], self.p1[1], strict=True)]  # fmt: skip
        return substitute(term, pairs)

    def check_props_shared(self) -> None:
        """Properties read the shared state, and replica state only as a property over every replica."""
        enc = self.enc
        nxt = {a.get_id(): b for a, b in zip(enc.flat(enc.x), enc.flat(enc.x_next), strict=True)}
        flat = self.replica_flat[1] + self.replica_flat[2]
        replica = {c.get_id() for c in flat} | {nxt[c.get_id()].get_id() for c in flat}
        for name, term in self.props.items():
            if const_ids(term) & replica:
                raise Refused(f"property '{name}' reads replica state other than as a property of every replica")

    # -- formulas over given states
    def trans(self, p: PState, o: z3.ArithRef, a: z3.ExprRef, p2: PState) -> z3.BoolRef:
        return substitute(self._trans, self.pairs(p, a, p2) + [(self.enc.oracle, o)])

    def ranges(self, p: PState, o: z3.ArithRef, a: z3.ExprRef) -> z3.BoolRef:
        bad = [z3.And(self.enc.oracle == t.index, v) for t in self.templates for _, v in t.violations]
        return substitute(z3.Not(z3.Or(bad)) if bad else z3.BoolVal(True), self.pairs(p, a) + [(self.enc.oracle, o)])

    def state_ok(self, p: PState) -> z3.BoolRef:
        names = [n for n in self.properties if self.model2.properties[n].kind == "invariant"]
        return substitute(z3.And([self.props[n] for n in names]), self.pairs(p))

    def step_ok(self, p: PState, o: z3.ArithRef, a: z3.ExprRef, p2: PState) -> z3.BoolRef:
        names = [n for n in self.properties if self.model2.properties[n].kind == "action_invariant"]
        props = substitute(z3.And([self.props[n] for n in names]), self.pairs(p, None, p2))
        return z3.And(props, self.ranges(p, o, a))

    def init(self, p: PState) -> z3.BoolRef:
        if self.init_pred is not None:  # several initial states (`checker.param.inits`)
            return substitute(self.init_pred, self.pairs(p))
        parts = [c == v for c, v in zip(p[0], self.init_shared, strict=True)]
        parts += [arr == z3.K(self.sort, v) for arr, v in zip(p[1], self.init_local, strict=True)]
        return z3.And(parts)

    def init_state(self) -> PState:
        return list(self.init_shared), [z3.K(self.sort, v) for v in self.init_local]

    def dom_shared(self, p: PState) -> z3.BoolRef:
        return z3.And([d for c, i in zip(p[0], self.shared_slot, strict=True) for d in self._dom(i, c)])

    def dom_local(self, p: PState, r: z3.ExprRef) -> z3.BoolRef:
        return z3.And(
            [d for arr, i in zip(p[1], self.local_slot, strict=True) for d in self._dom(i, z3.Select(arr, r))]
        )

    def dom_index(self, p: PState, k: z3.ArithRef) -> z3.BoolRef:
        """The declared type of element ``k`` of each parameter-sized array, where ``k`` is an index."""
        if self.ix is None:
            return z3.BoolVal(True)
        parts = []
        slot_of = {self.ix.now[n].get_id(): v.slots[0] for n, v in self.ix.arrays.items()}
        for pos, (c, i) in enumerate(zip(p[0], self.shared_slot, strict=True)):
            if i == -1:
                parts += self._dom(slot_of[self.shared[pos].get_id()], z3.Select(c, k))
        return z3.Implies(self.ix.in_range(k), z3.And(parts)) if parts else z3.BoolVal(True)

    def _dom(self, slot: int, v: z3.ExprRef) -> list[z3.BoolRef]:
        """The declared type of a scalar slot, as `Encoding.domain` states it."""
        if slot == -1:
            return []  # a parameter-sized array: `dom_index`
        sort = self.model2.slots[slot].sort
        if isinstance(sort, IntSort) and z3.is_int(v):
            return ([v >= sort.lo] if sort.lo is not None else []) + ([v <= sort.hi] if sort.hi is not None else [])
        if isinstance(sort, EnumSort):
            return [z3.Or([v == self.enc.interp.const(n) for n in sort.names])]
        return []


def const_ids(e: z3.ExprRef) -> set[int]:
    """The ids of the uninterpreted constants in ``e``, inside quantifiers and lambdas too."""
    return {c.get_id() for c in state_consts(e).values()}
