"""Replica-keyed state for every number of replicas: sets of replica ids, actions over a
chosen replica, and all_of/any_of over the replicas (two-phase commit's ``tm.prepared``).

`checker.param.template` reads a model whose replicas are named by `Ref` values (``keyed``
mode) with this module. The model is still built with two replicas and encoded once, but:

- a shared ``Set(Ref("rm"))`` is one boolean per replica (``tm.prepared{rm1}``): it is read as
  a per-replica variable (an array over the replica sort, ``rm.tm.prepared{}``), like the
  replicas' own state;
- a shared component's action with a ``Ref("rm")`` argument (``tm.receive_vote(rm=...)``) is a
  template whose acting replica is that argument;
- ``sys.rm`` yields replica 2 alone, as a *generic* replica; an ``all_of``/``any_of`` whose
  generator iterates it becomes ``∀ v``/``∃ v`` over the replica sort with replica 2 read as
  ``v`` (`Capture`); any other use of ``sys.rm`` (``sum``, ``len``, a loop, nesting) refuses.

Replica 1 (in a template) is the acting replica; outside a quantifier's body replica 2 can
only appear through the enumeration of a set's elements (``contains(rm)`` tests every
element) and is read as the actor too. These readings are derived, not trusted:
`checker.param.counts` checks the resulting encoding equal to the model's own at every
replica count the model allows, transition by transition, before anything is proved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import z3

from ..lang import terms, views
from ..lang.model import ModelInstance
from ..lang.refs import Ref, RefSort
from ..lang.terms import Term
from ..lang.types import SetSort
from .watch import Log, WatchedMembers

if TYPE_CHECKING:
    from .template import ParamEncoding


class Unreadable(Exception):
    """A term of the two-replica encoding that has no reading over the replica sort."""


class KeyedMembers(WatchedMembers):
    """``sys.<replicas>`` is replica 2 alone: the generic replica that a quantifier binds."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        found = dict.get(self, key, default)
        return found[1:2] if key == self.attr else found


@dataclass
class Capture:
    """While the two-replica instance is encoded: each all_of/any_of over ``sys.<attr>``
    becomes a fresh boolean placeholder, its kind and body (over replica 2) recorded."""

    model: ModelInstance
    attr: str
    log: Log
    quantifiers: dict[int, tuple[str, z3.BoolRef]] = field(default_factory=dict)  # placeholder id -> (kind, body)
    folding: int = 0
    iterated: int = 0
    _saved: tuple[Any, ...] = ()

    def __enter__(self) -> Capture:
        had_iter = "__iter__" in views.Replicas.__dict__
        had_len = "__len__" in views.Replicas.__dict__
        self._saved = (terms.FOLD_OBSERVER, had_iter, had_len)
        capture = self

        def mine(rs: Any) -> bool:
            return bool(rs._attr == capture.attr and rs._frame.model is capture.model)

        def iterate(rs: Any) -> Iterator[Any]:
            return _Tracked(capture, tuple.__iter__(rs)) if mine(rs) else tuple.__iter__(rs)

        def length(rs: Any) -> int:
            if mine(rs):
                capture.log.note(f"counts sys.{capture.attr} (len): the number of replicas")
            return tuple.__len__(rs)

        views.Replicas.__iter__ = iterate  # type: ignore[method-assign,assignment]
        views.Replicas.__len__ = length  # type: ignore[method-assign,assignment]
        terms.FOLD_OBSERVER = self._observe
        return self

    def __exit__(self, *exc: Any) -> None:
        observer, had_iter, had_len = self._saved
        terms.FOLD_OBSERVER = observer
        if not had_iter:
            del views.Replicas.__iter__
        if not had_len:
            del views.Replicas.__len__

    def _observe(self, name: str, iterable: Any) -> tuple[Any, ...]:
        self.folding += 1
        before = self.iterated
        try:
            parts = tuple(iterable)
        finally:
            self.folding -= 1
        n = self.iterated - before
        if n == 0:
            return parts
        if n > 1:
            self.log.note(f"iterates sys.{self.attr} twice in one {name}(...) (nested quantifiers are not implemented)")
            return parts
        folded = terms._fold(parts, name == "all_of", name)
        if not isinstance(folded, Term):
            return (folded,)
        q = z3.Bool(f"q!{len(self.quantifiers)}")
        self.quantifiers[q.get_id()] = (name, folded.raw)
        return (Term(folded.interp, q, "bool"),)


class _Tracked:
    """An iteration of the generic replica: inside an all_of/any_of a quantifier, else refused."""

    def __init__(self, capture: Capture, inner: Iterator[Any]):
        self.capture, self.inner, self.started = capture, inner, False

    def __iter__(self) -> _Tracked:
        return self

    def __next__(self) -> Any:
        if not self.started:
            self.started = True
            cap = self.capture
            if cap.folding == 0:
                cap.log.note(f"iterates sys.{cap.attr} other than in all_of(...)/any_of(...)")
            cap.iterated += 1
        return next(self.inner)


# ---------------------------------------------------------------------------- state layout
def replica_key(name: str, attr: str, columns: set[str]) -> tuple[int, str] | None:
    """(replica number, key) of a replica's state constant: its own (``rm1.state``) or its
    element of a shared set of replica ids (``tm.prepared{rm1}``, key ``tm.prepared{}``)."""
    m = re.match(rf"^{re.escape(attr)}(\d+)\.(.*)$", name)
    if m is not None:
        return int(m.group(1)), m.group(2)
    m = re.match(rf"^(.*)\{{{re.escape(attr)}(\d+)\}}$", name)
    if m is not None and m.group(1) in columns:
        return int(m.group(2)), f"{m.group(1)}{{}}"
    return None


def columns(pe: ParamEncoding) -> set[str]:
    """The shared sets of replica ids (each read as one boolean per replica); any other use
    of a replica id in the state refuses, naming the variable."""
    from .template import Refused

    out: set[str] = set()
    for var in pe.model2.vars:
        sort = var.sort
        elem = sort.elem if isinstance(sort, SetSort) else None
        if isinstance(elem, RefSort) and elem.target == pe.attr and not elem.has_none and var.owner.attr != pe.attr:
            out.add(var.name)
            continue
        for s in var.slots:
            if _names(pe.model2.slots[s].sort, pe.attr):
                raise Refused(
                    f"'{var.name}' holds {pe.attr} identities other than as a shared set of them "
                    f"({pe.model2.slots[s].sort.describe()}): not read for every number of replicas (not implemented)"
                )
    return out


def _names(sort: Any, attr: str) -> bool:
    if isinstance(sort, RefSort):
        return sort.target == attr
    return any(_names(getattr(sort, a, None), attr) for a in ("elem", "key", "value") if hasattr(sort, a))


def ref_argument(pe: ParamEncoding, t: Any) -> str | None:
    """The argument of transition ``t`` that names a replica (``rm=rm1``), if any."""
    from .template import Refused

    names = [k for k, d in t.action.domains.items() if isinstance(d, Ref) and d.target == pe.attr]
    if len(names) > 1:
        raise Refused(f"{t} takes two {pe.attr} replicas as arguments (not implemented)")
    if names and getattr(t.instance, "attr", None) == pe.attr:
        raise Refused(f"{t}: a {pe.attr} replica's action over another replica is not implemented")
    return names[0] if names else None


# ---------------------------------------------------------------------------- reading terms
class Reader:
    """Terms of the two-replica encoding read over the replica sort."""

    def __init__(self, pe: ParamEncoding, capture: Capture):
        self.pe, self.capture = pe, capture
        ids = pe.enc.interp.enum_ids
        self.literal = {ids[f"{pe.attr}{k}"]: k for k in (1, 2) if f"{pe.attr}{k}" in ids}
        self.cells: dict[int, tuple[int, int, int]] = {}  # const id -> (replica, key index, 0 now / 1 next)
        nxt = pe.enc.flat(pe.enc.x_next)
        for pos, c in enumerate(pe.enc.flat(pe.enc.x)):
            for rid, flat in pe.replica_flat.items():
                if any(c.eq(f) for f in flat):
                    k = [f.get_id() for f in flat].index(c.get_id())
                    self.cells[c.get_id()] = (rid, k, 0)
                    self.cells[nxt[pos].get_id()] = (rid, k, 1)
        self.count = 0

    def read(self, term: z3.ExprRef, targets: dict[int, z3.ExprRef]) -> z3.ExprRef:
        """``term`` with replica ``k``'s state and id read at ``targets[k]`` (absent: refused),
        and each quantifier placeholder as its quantifier (its body's replica 2 bound)."""
        memo: dict[int, z3.ExprRef] = {}
        return self._go(term, targets, memo)

    def _go(self, t: z3.ExprRef, targets: dict[int, z3.ExprRef], memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        key = t.get_id()
        if key in memo:
            return memo[key]
        out = self._rebuild(t, targets, memo)
        memo[key] = out
        return out

    def _target(self, rid: int, targets: dict[int, z3.ExprRef]) -> z3.ExprRef:
        if rid not in targets:
            raise Unreadable(f"{self.pe.attr}{rid}")
        return targets[rid]

    def _rebuild(self, t: z3.ExprRef, targets: dict[int, z3.ExprRef], memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        pe = self.pe
        if z3.is_quantifier(t):  # a lambda of the encoding (an int set): its constants only
            pairs = []
            for c in _consts(t):
                if c.get_id() in self.cells:
                    pairs.append((c, self._go(c, targets, memo)))
            return z3.substitute(t, *pairs) if pairs else t
        if not z3.is_app(t):
            return t
        if z3.is_const(t):
            cell = self.cells.get(t.get_id())
            if cell is not None:
                rid, k, after = cell
                arr = (pe.p1 if after else pe.p0)[1][k]
                return z3.Select(arr, self._target(rid, targets))
            q = self.capture.quantifiers.get(t.get_id())
            if q is not None:
                if "v" in targets:
                    raise Unreadable("a quantifier inside a quantifier")
                self.count += 1
                v = z3.Const(f"{pe.attr[0]}!{self.count}", pe.sort)
                inner = dict(targets) | {2: v, "v": v}  # type: ignore[dict-item]
                if 1 not in targets:  # a property: replica 1 there is an artefact of a set's elements
                    inner[1] = v
                body = self.read(q[1], inner)
                return z3.ForAll([v], body) if q[0] == "all_of" else z3.Exists([v], body)
            return t
        kids = t.children()
        kind = t.decl().kind()
        if kind in (z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT) and len(kids) == 2 and all(self._is_literal(k) for k in kids):
            a, b = (self._target(self.literal[k.as_long()], targets) for k in kids)
            return a == b if kind == z3.Z3_OP_EQ else a != b
        new = [self._go(k, targets, memo) for k in kids]
        if all(n.eq(k) for n, k in zip(new, kids, strict=True)):
            return t
        return t.decl()(*new)

    def _is_literal(self, t: z3.ExprRef) -> bool:
        return z3.is_int_value(t) and t.as_long() in self.literal


def _consts(t: z3.ExprRef) -> list[z3.ExprRef]:
    from ..engines.generalize import state_consts

    return list(state_consts(t).values())


def setup(pe: ParamEncoding, capture: Capture, raw_props: dict[str, z3.BoolRef]) -> None:
    """The keyed reading's state layout, templates and properties on ``pe``."""
    from .template import Refused, Template, const_ids

    enc, attr = pe.enc, pe.attr
    keyed_sets = pe.column_names = columns(pe)
    pe.sort = z3.DeclareSort(attr)
    pe.shared, pe.shared_slot, pe.local_keys, pe.local_slot = [], [], [], []
    pe.replica_flat = {1: [], 2: []}
    keys: dict[int, list[str]] = {1: [], 2: []}
    for i, sym in enumerate(enc.x):
        for c in enc.flat([sym]):
            found = replica_key(c.decl().name(), attr, keyed_sets)
            if found is None:
                if pe.model2.slots[i].var.owner.attr == attr:
                    raise Refused(f"unexpected state constant {c} of {pe.model2.slots[i].var.owner.name}")
                pe.shared.append(c)
                pe.shared_slot.append(i)
                continue
            rid, key = found
            pe.replica_flat[rid].append(c)
            keys[rid].append(key)
            if rid == 1:
                pe.local_keys.append(key)
                pe.local_slot.append(i)
    if keys[1] != keys[2]:
        raise Refused(f"{attr}1 and {attr}2 do not have the same state variables")
    if pe.model2.several_inits:
        raise Refused("the model has several initial states (initial choices or @initial): not implemented with "
                      f"sets of {attr} identities")  # fmt: skip
    init = enc.flat(enc.const_state(pe.model2.init))
    at = {c.get_id(): v for c, v in zip(enc.flat(enc.x), init, strict=True)}
    pe.init_shared = [at[c.get_id()] for c in pe.shared]
    pe.init_local = [at[c.get_id()] for c in pe.replica_flat[1]]
    pe.actor = z3.Const("actor!", pe.sort)
    pe.p0 = pe.fresh("")
    pe.p1 = pe.fresh("'")
    reader = Reader(pe, capture)
    actor = pe.actor
    flat_x = enc.flat(enc.x)
    own = pe.replica_flat[1]
    pe.templates, pe.sources = [], {}
    for t, step in enc.fired:
        inst = getattr(t.instance, "_real", t.instance)
        ref = ref_argument(pe, t)
        if inst.attr == attr:
            if inst.id != 1:
                continue  # replica 2's steps: `checker.param.counts` checks them against the template
        elif ref is not None and t.args[ref] != f"{attr}1":
            continue
        acting = inst.attr == attr or ref is not None
        targets = {1: actor, 2: actor} if acting else {}
        where = f"{inst.name}.{t.action.name}"
        nxt = enc.flat(step.next)
        value = {c.get_id(): v for c, v in zip(flat_x, nxt, strict=True)}
        try:
            guard = reader.read(z3.simplify(step.guard) if not acting else step.guard, targets)
            shared_next = [reader.read(value[c.get_id()], targets) for c in pe.shared]
            local_next: list[z3.ExprRef | None] = []
            for c in own:
                v = value[c.get_id()]
                if z3.eq(v, c):
                    local_next.append(None)
                elif not acting:
                    raise Refused(f"{where} changes every {attr} replica's '{reader_key(pe, c)}' (not implemented)")
                else:
                    local_next.append(reader.read(v, targets))
            violations = [
                (f"{c.message} ({c.file}:{c.line})", reader.read(z3.And(step.guard, z3.Not(c.ok)), targets))
                for c in step.checks
            ]
        except Unreadable as exc:
            raise Refused(f"{where} reads {exc} (a replica other than the one it acts for)") from None
        if not acting and any(actor.get_id() in const_ids(e) for e in [guard, *shared_next]):
            raise Refused(f"{where} reads a {attr} replica's state without naming it")
        label = f"{inst.attr}.{t.action.name}" + (f"({ref}={attr[0]})" if ref else "")
        others = tuple(sorted((k, str(v)) for k, v in t.args.items() if k != ref))
        if others:
            label += "(" + ", ".join(f"{k}={v}" for k, v in others) + ")"
        guard, shared_next = z3.simplify(guard), [z3.simplify(e) for e in shared_next]
        local_next = [None if e is None else z3.simplify(e) for e in local_next]
        violations = [(m, z3.simplify(e)) for m, e in violations]
        pe.templates.append(Template(t.index, label, acting, guard, shared_next, local_next, violations))
        pe.sources[t.index] = (inst.attr, t.action.name, others, ref)
    pe.prop_replica = z3.Const("s!1", pe.sort)
    pe.props = {}
    for name, term in raw_props.items():
        try:
            pe.props[name] = z3.simplify(reader.read(term, {}))
        except Unreadable as exc:
            raise Refused(f"property '{name}' reads {exc} other than inside all_of/any_of over sys.{attr}") from None


def reader_key(pe: ParamEncoding, c: z3.ExprRef) -> str:
    return pe.local_keys[[f.get_id() for f in pe.replica_flat[1]].index(c.get_id())]


# ---------------------------------------------------------------------------- negated properties
def skolemize_negation(term: z3.BoolRef, skolems: list[z3.ExprRef]) -> z3.BoolRef:
    """``Not(term)`` with its outermost existential quantifiers (after negation) replaced by
    the constants ``skolems`` (then fresh ones): satisfiable exactly when ``Not(term)`` is,
    and the queries' ∀-lemma instances at those constants can refute it."""
    fresh = iter(skolems)
    made = [0]

    def next_const(sort: z3.SortRef) -> z3.ExprRef:
        for s in fresh:
            if s.sort() == sort:
                return s
        made[0] += 1
        return z3.Const(f"sk!{made[0]}", sort)

    def go(t: z3.ExprRef, positive: bool) -> z3.ExprRef:
        if z3.is_not(t):
            return go(t.arg(0), not positive)
        if z3.is_and(t) or z3.is_or(t):
            parts = [go(k, positive) for k in t.children()]
            conj = z3.is_and(t) == positive
            return z3.And(parts) if conj else z3.Or(parts)
        if z3.is_implies(t):
            return go(z3.Or(z3.Not(t.arg(0)), t.arg(1)), positive)
        if z3.is_quantifier(t) and not t.is_lambda() and t.is_forall() != positive:
            # an existential in this polarity (∃ kept, or ∀ negated): a Skolem constant
            consts = [next_const(t.var_sort(i)) for i in range(t.num_vars())]
            body = z3.substitute_vars(t.body(), *reversed(consts))
            return go(body, positive)
        return t if positive else z3.Not(t)

    return go(term, False)
