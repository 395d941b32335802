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

import z3

from ..encoding import Encoding, substitute
from ..errors import RaceproofError
from ..lang import views
from ..lang.model import ModelInstance
from ..lang.refs import uses_refs
from .domains import choose
from .index import PROBE, Hooks, Indexed, IndexRefused, SymbolicParams, find, prepare
from .inits import several_inits
from .keyed import Capture, KeyedMembers
from .keyed import setup as keyed_setup
from .reading import PState, Refused, const_ids
from .states import StateFormulas
from .steps import Template, build_trans, templates
from .watch import Log, Step, WatchedInstance, WatchedMembers, changes_every_replica, watched_params

__all__ = ["PState", "ParamEncoding", "Refused", "Template", "const_ids"]  # what the other modules import from here


class ParamEncoding(StateFormulas):
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
            self._trans = build_trans(self)
            return
        self.sort = z3.DeclareSort(attr)
        self._classify()
        self.actor = z3.Const("actor!", self.sort)  # "!": no state name has one
        self.p0 = self.fresh("")
        self.p1 = self.fresh("'")
        several_inits(self)
        self.templates = templates(self)
        self.prop_replica = z3.Const("s!1", self.sort)  # a property over the replicas: at this one
        self.props = {n: self._over_replica(n, t) if n in self.quantified else t for n, t in props.items()}
        self.check_props_shared()
        self._trans = build_trans(self)

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

    def _property(self, name: str) -> z3.BoolRef:
        enc = self.enc
        x2 = enc.x_next if self.model2.properties[name].kind == "action_invariant" else None
        term = z3.And([enc.prop(name, enc.x, x2)] + [z3.Not(v) for _, v in enc.prop_check_violations(name, enc.x, x2)])
        if self.ix is not None and self.ix.ix.get_id() in const_ids(term):  # at every index 0 <= ix < E
            term = z3.Implies(self.ix.in_range(self.ix.ix), term)
        return term

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
