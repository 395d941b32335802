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
from .inits import several_inits
from .reader import Reader, RefPair, Unreadable
from .watch import Log, WatchedMembers

if TYPE_CHECKING:
    from .template import ParamEncoding


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
    _saved_getitem: Any = None

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

        pick = self._saved_getitem = views.Replicas.__getitem__

        def index(rs: Any, key: Any) -> Any:
            if mine(rs) and isinstance(key, int | slice):
                capture.log.note(f"picks sys.{capture.attr}[{key!r}] (a replica by its position)")
            return pick(rs, key)

        views.Replicas.__getitem__ = index  # type: ignore[method-assign,assignment]
        views.Replicas.__iter__ = iterate  # type: ignore[method-assign,assignment]
        views.Replicas.__len__ = length  # type: ignore[method-assign,assignment]
        terms.FOLD_OBSERVER = self._observe
        return self

    def __exit__(self, *exc: Any) -> None:
        observer, had_iter, had_len = self._saved
        terms.FOLD_OBSERVER = observer
        views.Replicas.__getitem__ = self._saved_getitem  # type: ignore[method-assign]
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
    m = re.match(rf"^(.*)\[{re.escape(attr)}(\d+)\]$", name)  # a map keyed by replica: hits[rm1]
    if m is not None and m.group(1) in columns:
        return int(m.group(2)), f"{m.group(1)}[]"
    return None


def columns(pe: ParamEncoding) -> tuple[set[str], set[str]]:
    """The shared sets of replica ids (each read as one boolean per replica), the shared maps
    keyed by replica (one value per replica), and the shared
    `Ref` variables with a ``none`` value (each a pair: `checker.param.reader`); any other
    use of a replica id in the state refuses, naming the variable."""
    from .template import Refused

    sets: set[str] = set()
    refs: set[str] = set()
    for var in pe.model2.vars:
        sort = var.sort
        elem = sort.elem if isinstance(sort, SetSort) else None
        shared = var.owner.attr != pe.attr
        if isinstance(elem, RefSort) and elem.target == pe.attr and not elem.has_none and shared:
            sets.add(var.name)
            continue
        key = getattr(var.decl, "key", None) if var.shape == "map" else None
        if isinstance(key, Ref) and key.target == pe.attr and not key.none and shared and not _names(sort, pe.attr):
            sets.add(var.name)  # a map keyed by replica: one value per replica, like a set's element
            continue
        if isinstance(sort, RefSort) and sort.target == pe.attr and var.shape == "scalar" and shared:
            if not sort.has_none:
                raise Refused(
                    f"'{var.name}' is a Ref('{pe.attr}') without none=True: it always names a replica, and its "
                    "initial value singles one out"
                )
            refs.add(var.name)
            continue
        for s in var.slots:
            if _names(pe.model2.slots[s].sort, pe.attr):
                raise Refused(
                    f"'{var.name}' holds {pe.attr} identities other than as a shared set of them or a shared "
                    f"Ref ({pe.model2.slots[s].sort.describe()}): not read for every number of replicas "
                    "(not implemented)"
                )
    return sets, refs


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


def setup(pe: ParamEncoding, capture: Capture, raw_props: dict[str, z3.BoolRef]) -> None:
    """The keyed reading's state layout, templates and properties on ``pe``."""
    from .template import Refused, Template, const_ids

    enc, attr = pe.enc, pe.attr
    keyed_sets, ref_vars = columns(pe)
    pe.column_names = keyed_sets
    pe.sort = z3.DeclareSort(attr)
    pe.shared, pe.shared_slot, pe.local_keys, pe.local_slot = [], [], [], []
    pe.replica_flat = {1: [], 2: []}
    pe.ref_pairs = {}
    keys: dict[int, list[str]] = {1: [], 2: []}
    for i, sym in enumerate(enc.x):
        for c in enc.flat([sym]):
            name = c.decl().name()
            found = replica_key(name, attr, keyed_sets)
            if found is None:
                if pe.model2.slots[i].var.owner.attr == attr:
                    raise Refused(f"unexpected state constant {c} of {pe.model2.slots[i].var.owner.name}")
                if pe.model2.slots[i].var.name in ref_vars:  # the pair (names none, the replica named)
                    pair = (z3.Bool(f"{name}.none"), z3.Const(f"{name}.who", pe.sort))
                    pe.ref_pairs[name] = pair
                    pe.shared += list(pair)
                    pe.shared_slot += [-1, -1]  # no declared range: every pair is a Ref value
                    continue
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
    ids = enc.interp.enum_ids
    none_id = ids.get("none")
    init = enc.flat(enc.const_state(pe.model2.init))
    flat_x, flat_next = enc.flat(enc.x), enc.flat(enc.x_next)
    at = {c.get_id(): v for c, v in zip(flat_x, init, strict=True)}
    by_name = {c.decl().name(): c for c in flat_x}
    pe.init_shared = []
    for c in pe.shared:
        name = c.decl().name()
        owner = name.rsplit(".", 1)[0]
        if owner in pe.ref_pairs and c.eq(pe.ref_pairs[owner][0]):
            first = at[by_name[owner].get_id()]
            if not (z3.is_int_value(first) and first.as_long() == none_id):
                raise Refused(f"'{owner}' starts naming a {attr} replica: that singles one out")
            pe.init_shared.append(z3.BoolVal(True))
        elif owner in pe.ref_pairs:
            pe.init_shared.append(c)  # any replica: a none value names none of them
        else:
            pe.init_shared.append(at[c.get_id()])
    pe.init_local = [at[c.get_id()] for c in pe.replica_flat[1]]
    pe.actor = z3.Const("actor!", pe.sort)
    pe.p0 = pe.fresh("")
    nxt = {a.get_id(): b for a, b in zip(flat_x, flat_next, strict=True)}
    pe.p1 = (
        [nxt[c.get_id()] if c.get_id() in nxt else z3.Const(f"{c}'", c.sort()) for c in pe.shared],
        [z3.Array(f"{attr}.{k}'", pe.sort, c.sort()) for k, c in zip(pe.local_keys, pe.replica_flat[1], strict=True)],
    )
    several_inits(pe)
    pos = {c.get_id(): k for k, c in enumerate(flat_x)}
    cells: dict[int, tuple[int, z3.ExprRef]] = {}
    for rid, flat in pe.replica_flat.items():
        for k, c in enumerate(flat):
            cells[c.get_id()] = (rid, pe.p0[1][k])
            cells[flat_next[pos[c.get_id()]].get_id()] = (rid, pe.p1[1][k])
    refs: dict[int, RefPair] = {}
    index = {c.get_id(): k for k, c in enumerate(pe.shared)}
    for name, (none, who) in pe.ref_pairs.items():
        c = by_name[name]
        refs[c.get_id()] = (none, who)
        refs[nxt[c.get_id()].get_id()] = (pe.p1[0][index[none.get_id()]], pe.p1[0][index[who.get_id()]])
    literal = {ids[f"{attr}{k}"]: k for k in (1, 2) if f"{attr}{k}" in ids}
    reader = Reader(pe.sort, attr, cells, literal, none_id, refs, capture.quantifiers)
    actor = pe.actor
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
        targets: dict[Any, z3.ExprRef] = {1: actor, 2: actor} if acting else {}
        where = f"{inst.name}.{t.action.name}"
        value = {c.get_id(): v for c, v in zip(flat_x, enc.flat(step.next), strict=True)}
        try:
            guard = reader.read(z3.simplify(step.guard) if not acting else step.guard, targets)
            shared_next = _shared_next(pe, reader, value, by_name, targets)
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
            # outside the quantifiers a property names no replica: only range checks of a key
            # that is the generic replica's id (``9 == 9``), which simplification decides
            pe.props[name] = z3.simplify(reader.read(z3.simplify(term), {}))
        except Unreadable as exc:
            raise Refused(f"property '{name}' reads {exc} other than inside all_of/any_of over sys.{attr}") from None


def _shared_next(
    pe: ParamEncoding,
    reader: Reader,
    value: dict[int, z3.ExprRef],
    by_name: dict[str, z3.ExprRef],
    targets: dict[Any, z3.ExprRef],
) -> list[z3.ExprRef]:
    """The shared constants' next values; a Ref variable's pair from its flat next value."""
    out: list[z3.ExprRef] = []
    pairs: dict[str, tuple[z3.ExprRef, z3.ExprRef]] = {}
    for c in pe.shared:
        name = c.decl().name()
        owner = name.rsplit(".", 1)[0]
        if owner in pe.ref_pairs:
            if owner not in pairs:
                flat = by_name[owner]
                pairs[owner] = reader.read_ref(value[flat.get_id()], targets, pe.ref_pairs[owner])
            out.append(pairs[owner][0] if c.eq(pe.ref_pairs[owner][0]) else pairs[owner][1])
        else:
            out.append(reader.read(value[c.get_id()], targets))
    return out


def reader_key(pe: ParamEncoding, c: z3.ExprRef) -> str:
    return pe.local_keys[[f.get_id() for f in pe.replica_flat[1]].index(c.get_id())]
