"""Candidate ∀-lemmas about finite sets indexed by a variable's value (`checker.param.infer`).

A set of bounded integers (``plans = Set(Int(min=1, max="max_plans"))``) is encoded as one
boolean per value (``plans{1}`` … ``plans{6}``). The lemmas PDR learns about it name concrete
values (``plans{2} | plans{4} | …``) and do not generalize into what makes the fencing fix
safe for every replica and endpoint: "the store contains the plan each endpoint serves", and
"it contains every generation from there up to the newest". Those are written here as
candidates over the variables whose range is the set's element range (a shared counter, an
element of a parameter-sized array, a replica's slot, optionally only at one value of the
replica's enum slots):

- ``S.contains(t)``
- ``S ⊇ [t1, t2]``: every value between two such variables is in the set
- ``S ⊆ [.., t]``: no value above a shared variable is

They are guesses, as the generalized PDR lemmas are: Houdini keeps the inductive ones on the
parameterized encoding, and the certificate re-checks the result. `instance_facts` writes the
same candidates on a finite instance, for the instance-level Houdini to hand Spacer as a
starting cover (they are kept only where they are inductive there too).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import z3

from ..encoding import Encoding
from ..lang.types import EnumSort, IntSort, SetSort
from .lemmas import Lemma
from .template import ParamEncoding

BIT = re.compile(r"^(.*)\{(-?\d+)\}$")  # a finite set's bit: name{value}
MAX_CANDIDATES = 400  # a guard against models with many such sets and variables


@dataclass
class _Term:
    """A variable whose values are the set's element values, read at a given state."""

    text: str  # in model terms: "planner.latest", "endpoint_plan[i]", "e.plan"
    kind: str  # "shared", "indexed" (at the bound index), "local" (at the bound replica)
    key: str  # the shared constant's name, the array's name, or the local key


def _int_range(sort: object) -> tuple[int, int] | None:
    if isinstance(sort, IntSort) and isinstance(sort.lo, int) and isinstance(sort.hi, int):
        return sort.lo, sort.hi
    return None


def _sets(pe: ParamEncoding) -> dict[str, list[tuple[int, int]]]:
    """Each finite integer set among the shared slots: name -> [(value, position in p0 shared)]."""
    out: dict[str, list[tuple[int, int]]] = {}
    for pos, (c, slot) in enumerate(zip(pe.shared, pe.shared_slot, strict=True)):
        if slot < 0 or not isinstance(pe.model2.slots[slot].sort, SetSort):
            continue
        m = BIT.match(c.decl().name())
        if m is None or _int_range(pe.model2.slots[slot].sort.elem) is None:
            continue
        out.setdefault(m.group(1), []).append((int(m.group(2)), pos))
    return out


def _terms(pe: ParamEncoding, lo: int, hi: int) -> list[_Term]:
    """The variables ranging over the element values (their upper bound is the set's: the same
    bounded quantity; a lower bound of lo - 1 allows "none yet", as ``Enactor.plan = 0``)."""

    def fits(sort: object) -> bool:
        r = _int_range(sort)
        return r is not None and r[1] == hi and lo - 1 <= r[0] <= hi

    out = []
    for c, slot in zip(pe.shared, pe.shared_slot, strict=True):
        if slot >= 0 and fits(pe.model2.slots[slot].sort) and z3.is_int(c):
            out.append(_Term(c.decl().name(), "shared", c.decl().name()))
    if pe.ix is not None:
        for name, var in pe.ix.arrays.items():
            if fits(var.sort):
                out.append(_Term(f"{name}[i]", "indexed", name))
    for key, slot in zip(pe.local_keys, pe.local_slot, strict=True):
        if fits(pe.model2.slots[slot].sort):
            out.append(_Term(f"{pe.attr[0]}.{key}", "local", key))
    return out


def _guards(pe: ParamEncoding) -> list[tuple[str, int, str]]:
    """(local key, enum id, value name) for each value of each enum slot of a replica."""
    names = pe.enc.interp.enum_names
    out = []
    for key, slot in zip(pe.local_keys, pe.local_slot, strict=True):
        sort = pe.model2.slots[slot].sort
        if isinstance(sort, EnumSort):
            for value in sort.names:
                ids = [i for i, n in names.items() if n == value]
                if len(ids) == 1:  # a name two enums share: no guard rather than a wrong one
                    out.append((key, ids[0], value))
    return out


Read = Callable[[_Term], z3.ArithRef]  # a term at the state, replica and index of a lemma


def _bodies(
    bits: list[tuple[int, z3.BoolRef]], terms: list[_Term], read: Read
) -> list[tuple[z3.BoolRef, str, set[str]]]:
    """The candidate bodies over ``bits`` (value, bit), their text and the kinds they use."""
    out: list[tuple[z3.BoolRef, str, set[str]]] = []

    def contains(t: z3.ArithRef) -> z3.BoolRef:
        return z3.Or([z3.And(t == v, b) for v, b in bits])

    for t in terms:
        out.append((contains(read(t)), f".contains({t.text})", {t.kind}))
        if t.kind == "shared":
            body = z3.And([z3.Implies(b, read(t) >= v) for v, b in bits])
            out.append((body, f" ⊆ [.., {t.text}]", {t.kind}))
    for t1, t2 in itertools.permutations(terms, 2):
        if t1.kind == t2.kind == "indexed":
            continue  # one bound index per lemma
        a, b = read(t1), read(t2)
        body = z3.And([z3.Implies(z3.And(a <= v, v <= b), bit) for v, bit in bits])
        out.append((body, f" ⊇ [{t1.text}, {t2.text}]", {t1.kind, t2.kind}))
    return out


def candidates(pe: ParamEncoding, bound: list[z3.ExprRef], ibound: z3.ArithRef, origin: str) -> list[Lemma]:
    """The membership candidates as ∀-lemmas over the template state ``pe.p0``, the bound
    replica ``bound[0]`` and the bound index ``ibound`` (as `checker.param.infer.Ground` reads them)."""
    out: list[Lemma] = []
    shared = {c.decl().name(): c for c in pe.p0[0]}
    local = dict(zip(pe.local_keys, pe.p0[1], strict=True))
    e = bound[0]

    def read(t: _Term) -> z3.ArithRef:
        if t.kind == "shared":
            return shared[t.key]
        if t.kind == "indexed":
            assert pe.ix is not None
            return z3.Select(pe.ix.now[t.key], ibound)
        return z3.Select(local[t.key], e)

    for name, at in _sets(pe).items():
        sort = pe.model2.slots[pe.shared_slot[at[0][1]]].sort
        lo, hi = _int_range(sort.elem)  # type: ignore[attr-defined, misc]
        bits = [(v, pe.p0[0][pos]) for v, pos in at]
        for body, text, kinds in _bodies(bits, _terms(pe, lo, hi), read):
            indexed = "indexed" in kinds
            over = ([f"{pe.attr[0]} ∈ {pe.attr}"] if "local" in kinds else []) + (
                [f"i < {pe.ix.param}"] if indexed and pe.ix is not None else []
            )
            prefix = f"∀ {', '.join(over)}: " if over else ""
            arity = 1 if "local" in kinds else 0
            out.append(Lemma(arity, body, f"{prefix}{name}{text}", origin, indexed))
            if arity:
                for key, ident, value in _guards(pe):
                    guarded = z3.Implies(z3.Select(local[key], e) == ident, body)
                    out.append(
                        Lemma(1, guarded, f'{prefix}{pe.attr[0]}.{key} == "{value}" → {name}{text}', origin, indexed)
                    )
    return out[:MAX_CANDIDATES]


def instance_facts(pe: ParamEncoding, small: Encoding) -> list[z3.BoolRef]:
    """The same candidates on the finite instance ``small``: at each replica and each array
    element (only those whose state ``small`` has; an instance-level Houdini filters them)."""
    flat = {c.decl().name(): c for c in small.flat(small.x)}
    params = small.model.param_dict()
    size = params.get(pe.ix.param) if pe.ix is not None else None
    replicas = sorted({int(m.group(1)) for n in flat if (m := re.match(rf"^{re.escape(pe.attr)}(\d+)\.", n))})
    out: list[z3.BoolRef] = []
    for name, at in _sets(pe).items():
        values = [v for v, _ in at]
        if any(f"{name}{{{v}}}" not in flat for v in values):
            continue
        bits = [(v, flat[f"{name}{{{v}}}"]) for v in values]
        sort = pe.model2.slots[pe.shared_slot[at[0][1]]].sort
        lo, hi = _int_range(sort.elem)  # type: ignore[attr-defined, misc]
        terms = _terms(pe, lo, hi)
        for r in replicas or [0]:
            for k in range(size or 1):

                def read(t: _Term, r: int = r, k: int = k) -> z3.ArithRef:
                    n = {"shared": t.key, "indexed": f"{t.key}[{k}]", "local": f"{pe.attr}{r}.{t.key}"}[t.kind]
                    if n not in flat:
                        raise KeyError(n)
                    return flat[n]

                for body, _, kinds in _bodies_safe(bits, terms, read):
                    if ("local" in kinds and not replicas) or ("indexed" in kinds and size is None):
                        continue
                    out.append(body)
                    if "local" in kinds:
                        for key, ident, _ in _guards(pe):
                            pc = flat.get(f"{pe.attr}{r}.{key}")
                            if pc is not None:
                                out.append(z3.Implies(pc == ident, body))
    unique = {f.get_id(): f for f in out}
    return list(unique.values())[:MAX_CANDIDATES]


def _bodies_safe(
    bits: list[tuple[int, z3.BoolRef]], terms: list[_Term], read: Read
) -> list[tuple[z3.BoolRef, str, set[str]]]:
    """`_bodies`, leaving out terms the instance does not have."""
    present = []
    for t in terms:
        try:
            read(t)
        except KeyError:
            continue
        present.append(t)
    return _bodies(bits, present, read)


def without_implied(lemmas: list[Lemma]) -> list[Lemma]:
    """``lemmas`` without each ``c → B`` (a guarded candidate) where ``B`` is itself one of
    them over the same bound replicas and index: implied by it, so the conjunction is the
    same invariant, printed shorter. (The certificate is written from what is left and re-checked.)"""
    kept = {(m.arity, m.indexed, m.body.get_id()) for m in lemmas}
    return [m for m in lemmas if not (z3.is_implies(m.body) and (m.arity, m.indexed, m.body.arg(1).get_id()) in kept)]
