"""Terms of the two-replica encoding read over the replica sort (`checker.param.keyed`).

A replica's state constant (``rm1.state``, ``tm.prepared{rm1}``) becomes its array's element
at the replica term it stands for; a comparison of two replica-id literals (``8 == 9``: a
set's elements tested one by one) becomes a comparison of replica terms; a quantifier
placeholder of `checker.param.keyed.Capture` becomes ``∀ v``/``∃ v`` with the generic
replica read as ``v``. A shared `Ref` variable with a ``none`` value (``lock.holder``) is a
pair of constants: ``holder.none`` (it names no replica) and ``holder.who`` (the replica it
names, irrelevant when ``none``); an equality of such values compares the pairs. Whatever
has no reading raises `Unreadable`; what is read is checked afterwards, at every count
(`checker.param.counts`).
"""

from __future__ import annotations

from typing import Any

import z3

NOBODY = "nobody!"  # the replica a none value names: replaced by the variable's own, never kept


class Unreadable(Exception):
    """A term of the two-replica encoding that has no reading over the replica sort."""


RefPair = tuple[z3.ExprRef, z3.ExprRef]  # (names no replica, the replica it names)


class Reader:
    """Reads terms of one flat encoding. ``cells``: state constant id -> (replica, array);
    ``literal``: replica-id literal -> replica; ``none_id``: the literal of ``none``;
    ``refs``: a shared Ref variable's constant id -> its pair; ``quantifiers``: the placeholders."""

    def __init__(
        self,
        sort: z3.SortRef,
        attr: str,
        cells: dict[int, tuple[int, z3.ExprRef]],
        literal: dict[int, int],
        none_id: int | None,
        refs: dict[int, RefPair],
        quantifiers: dict[int, tuple[str, z3.BoolRef]] | None = None,
    ):
        self.sort, self.attr = sort, attr
        self.cells, self.literal, self.none_id, self.refs = cells, literal, none_id, refs
        self.quantifiers = quantifiers or {}
        self.nobody = z3.Const(NOBODY, sort)
        self.count = 0
        self.seen: list[int] = []  # the replicas read, in order (a lemma's bound replicas)

    def read(self, term: z3.ExprRef, targets: dict[Any, z3.ExprRef]) -> z3.ExprRef:
        """``term`` with replica ``k``'s state and id read at ``targets[k]`` (absent: refused)."""
        out = self._go(term, targets, {})
        if self.nobody.get_id() in {c.get_id() for c in _consts(out)}:
            raise Unreadable("a Ref value 'none' where a replica is needed")
        return out

    def read_ref(self, term: z3.ExprRef, targets: dict[Any, z3.ExprRef], own: RefPair) -> RefPair:
        """A Ref-valued term (a next value of a Ref variable whose current pair is ``own``)."""
        pair = self._ref(term, targets, {})
        if pair is None:
            raise Unreadable(f"a value {term} of a Ref variable")
        none, who = pair
        return none, z3.substitute(who, (self.nobody, own[1]))

    def _go(self, t: z3.ExprRef, targets: dict[Any, z3.ExprRef], memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        key = t.get_id()
        if key not in memo:
            memo[key] = self._rebuild(t, targets, memo)
        return memo[key]

    def _target(self, rid: int, targets: dict[Any, z3.ExprRef]) -> z3.ExprRef:
        if rid not in self.seen:
            self.seen.append(rid)
        if rid not in targets:
            raise Unreadable(f"{self.attr}{rid}")
        return targets[rid]

    def _ref(self, t: z3.ExprRef, targets: dict[Any, z3.ExprRef], memo: dict[int, z3.ExprRef]) -> RefPair | None:
        if t.get_id() in self.refs:
            return self.refs[t.get_id()]
        if z3.is_int_value(t) and self.refs:
            v = t.as_long()
            if v == self.none_id:
                return z3.BoolVal(True), self.nobody
            if v in self.literal:
                return z3.BoolVal(False), self._target(self.literal[v], targets)
            return None
        if z3.is_app(t) and t.decl().kind() == z3.Z3_OP_ITE:
            a, b = self._ref(t.arg(1), targets, memo), self._ref(t.arg(2), targets, memo)
            if a is None or b is None:
                return None
            c = self._go(t.arg(0), targets, memo)
            return z3.If(c, a[0], b[0]), z3.If(c, a[1], b[1])
        return None

    def _rebuild(self, t: z3.ExprRef, targets: dict[Any, z3.ExprRef], memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        if z3.is_quantifier(t):  # a lambda of the encoding (an int set): its constants only
            pairs = [(c, self._go(c, targets, memo)) for c in _consts(t) if c.get_id() in self.cells]
            return z3.substitute(t, *pairs) if pairs else t
        if not z3.is_app(t):
            return t
        if z3.is_const(t):
            cell = self.cells.get(t.get_id())
            if cell is not None:
                rid, arr = cell
                return z3.Select(arr, self._target(rid, targets))
            if t.get_id() in self.refs:
                raise Unreadable(f"the Ref variable {t} other than in a comparison or an assignment")
            q = self.quantifiers.get(t.get_id())
            if q is not None:
                return self._quantifier(q, targets)
            return t
        kids = t.children()
        kind = t.decl().kind()
        if kind in (z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT) and len(kids) == 2:
            same = self._compare(kids[0], kids[1], targets, memo)
            if same is not None:
                return same if kind == z3.Z3_OP_EQ else z3.Not(same)
        if kind in _ORDER and len(kids) == 2 and any(k.get_id() in self.refs for k in kids):
            return self._ordered(t, targets, memo)
        new = [self._go(k, targets, memo) for k in kids]
        if all(n.eq(k) for n, k in zip(new, kids, strict=True)):
            return t
        return t.decl()(*new)

    def _compare(
        self, a: z3.ExprRef, b: z3.ExprRef, targets: dict[Any, z3.ExprRef], memo: dict[int, z3.ExprRef]
    ) -> z3.BoolRef | None:
        lit = [z3.is_int_value(k) and k.as_long() in self.literal for k in (a, b)]
        if all(lit):  # two replicas' ids: a set's elements tested one by one
            return self._target(self.literal[a.as_long()], targets) == self._target(self.literal[b.as_long()], targets)
        if not (a.get_id() in self.refs or b.get_id() in self.refs or _is_ite(a) or _is_ite(b)):
            return None
        pa, pb = self._ref(a, targets, memo), self._ref(b, targets, memo)
        if pa is None or pb is None:
            return None
        (na, wa), (nb, wb) = pa, pb
        if wa.eq(self.nobody):  # "== none": only whether it names a replica
            return nb
        if wb.eq(self.nobody):
            return na
        return z3.And(na == nb, z3.Or(na, wa == wb))

    def _ordered(self, t: z3.ExprRef, targets: dict[Any, z3.ExprRef], memo: dict[int, z3.ExprRef]) -> z3.ExprRef:
        """``holder >= 3`` (a solver's lemma over the ids of a Ref's values): the values of
        the Ref's domain in this encoding that satisfy it, as equalities."""
        a, b = t.children()
        ref, other = (a, b) if a.get_id() in self.refs else (b, a)
        if not z3.is_int_value(other):
            raise Unreadable(f"an order between a Ref variable and {other}")
        values = ([self.none_id] if self.none_id is not None else []) + sorted(self.literal)
        parts = []
        for v in values:
            holds = z3.simplify(z3.substitute(t, (ref, z3.IntVal(v))))
            if z3.is_true(holds):
                parts.append(self._compare(ref, z3.IntVal(v), targets, memo))
        return z3.Or([p for p in parts if p is not None])

    def _quantifier(self, q: tuple[str, z3.BoolRef], targets: dict[Any, z3.ExprRef]) -> z3.ExprRef:
        if "v" in targets:
            raise Unreadable("a quantifier inside a quantifier")
        self.count += 1
        v = z3.Const(f"{self.attr[0]}!{self.count}", self.sort)
        inner = dict(targets) | {2: v, "v": v}
        if 1 not in targets:  # a property or a shared step: replica 1 there is an artefact of a set's elements
            inner[1] = v
        body = self.read(q[1], inner)
        return z3.ForAll([v], body) if q[0] == "all_of" else z3.Exists([v], body)


_ORDER = (z3.Z3_OP_LE, z3.Z3_OP_GE, z3.Z3_OP_LT, z3.Z3_OP_GT)


def _is_ite(t: z3.ExprRef) -> bool:
    return z3.is_app(t) and t.decl().kind() == z3.Z3_OP_ITE


def _consts(t: z3.ExprRef) -> list[z3.ExprRef]:
    from ..engines.generalize import state_consts

    return list(state_consts(t).values())


class _Bound(dict[Any, z3.ExprRef]):
    """Replica -> bound replica, allocated in the order a lemma reads them (at most ``limit``)."""

    def __init__(self, bound: list[z3.ExprRef]):
        super().__init__()
        self.bound = bound

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and (dict.__contains__(self, key) or len(self) < len(self.bound))

    def __getitem__(self, key: Any) -> z3.ExprRef:
        if not dict.__contains__(self, key):
            if len(self) >= len(self.bound):
                raise Unreadable("more replicas than a lemma binds")
            self[key] = self.bound[len(self)]
        return dict.__getitem__(self, key)


def read_lemma(
    pe: Any, small: Any, lemma: z3.BoolRef, bound: list[z3.ExprRef], columns: set[str]
) -> tuple[z3.BoolRef, list[int], z3.BoolRef] | None:
    """A small instance's lemma over bound replicas (their replica numbers in order, and the
    lemma with its order comparisons of Ref values as equalities, for its text), or None
    when it reads state the keyed reading does not have (`checker.param.keyed`)."""
    from .keyed import replica_key

    shared = {c.decl().name(): c for c, i in zip(pe.shared, pe.shared_slot, strict=True) if i != -1}
    cells: dict[int, tuple[int, z3.ExprRef]] = {}
    refs: dict[int, RefPair] = {}
    for c in _consts(lemma):
        name = c.decl().name()
        found = replica_key(name, pe.attr, columns)
        if found is not None:
            if found[1] not in pe.local_keys:
                return None
            cells[c.get_id()] = (found[0], pe.p0[1][pe.local_keys.index(found[1])])
        elif name in pe.ref_pairs:
            refs[c.get_id()] = pe.ref_pairs[name]
        elif name not in shared or shared[name].sort() != c.sort():
            return None
    ids = small.interp.enum_ids
    count = small.model.param_dict()[pe.count]
    literal = {ids[f"{pe.attr}{k}"]: k for k in range(1, count + 1) if f"{pe.attr}{k}" in ids}
    reader = Reader(pe.sort, pe.attr, cells, literal, ids.get("none"), refs)
    values = ([ids["none"]] if "none" in ids else []) + sorted(literal)
    lemma = _orders_as_values(lemma, {c for c in _consts(lemma) if c.get_id() in refs}, values)
    targets = _Bound(bound)
    try:
        body = reader.read(lemma, targets)
    except Unreadable:
        return None
    return body, list(targets), lemma


def _orders_as_values(t: z3.BoolRef, refs: set[z3.ExprRef], values: list[int]) -> z3.BoolRef:
    """``holder >= 3`` as ``holder == 3 | holder == 4`` over the Ref's values ``values``: the
    same for every typed state, and what a replica-by-replica reading needs."""
    ids = {c.get_id() for c in refs}
    pairs = []
    stack, seen = [t], set()
    while stack:
        e = stack.pop()
        if e.get_id() in seen or not z3.is_app(e):
            continue
        seen.add(e.get_id())
        kids = e.children()
        if e.decl().kind() in _ORDER and len(kids) == 2 and any(k.get_id() in ids for k in kids):
            ref = next(k for k in kids if k.get_id() in ids)
            holds = [v for v in values if z3.is_true(z3.simplify(z3.substitute(e, (ref, z3.IntVal(v)))))]
            pairs.append((e, z3.Or([ref == v for v in holds])))
            continue
        stack.extend(kids)
    return z3.substitute(t, *pairs) if pairs else t


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
