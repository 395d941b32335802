"""Candidate ∀-lemmas from the lemmas PDR finds on a small instance (`checker.param.infer`).

Replicas become bound replicas (``∀ e``, ``∀ e ≠ f``). With arrays of a parameter's size,
array elements and the numerals compared with a cursor become, in further candidates, a
bound index ``i`` or the parameter: guesses, of which Houdini keeps the inductive ones.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import z3

from ..encoding import Encoding, substitute
from ..engines.generalize import state_consts
from ..formula import readable
from .keyed import replica_key
from .reader import read_lemma
from .template import ParamEncoding

if TYPE_CHECKING:
    from .infer import Ground

MAX_ARITY = 2  # replicas per lemma (∀ e, or ∀ e ≠ f)


@dataclass
class Lemma:
    arity: int
    body: z3.BoolRef  # over the template state ``P0``, the bound replicas ``Ground.bound[:arity]`` (and index)
    text: str  # in model terms, quantified
    origin: str  # the instance it was learned on
    indexed: bool = False  # for every index ``Ground.ibound`` of the parameter-sized arrays


ELEMENT = re.compile(r"^(.*)\[(\d+)\]$")  # an array element's state constant: name[k]
MAX_VARIANTS = 16  # per lemma: its numerals read as an index or the parameter (see `_numeral_variants`)


def generalize(pe: ParamEncoding, small: Encoding, lemma: z3.BoolRef, origin: str, ground: Ground) -> list[Lemma]:
    """The ∀-lemmas of a small instance's lemma (none if it mentions more than MAX_ARITY
    replicas or state the template does not have). Replicas become bound replicas. With
    parameter-sized arrays, element 0 stays endpoint 0 (it is special: not interchangeable
    with the others) and, in another candidate, becomes every index ``i``; another single
    element ``k`` becomes every index ``i``; a numeral compared with a cursor becomes, in
    further candidates, ``i`` shifted as ``k`` is, or the parameter shifted as the small
    instance's size is. These are guesses: Houdini keeps the inductive ones."""
    pattern = re.compile(rf"^{re.escape(pe.attr)}(\d+)\.(.*)$")
    ix = pe.ix
    shared = {c.decl().name(): c for c, i in zip(pe.shared, pe.shared_slot, strict=True) if i != -1}
    ids: list[int] = []
    pairs = []
    elements: list[tuple[z3.ExprRef, str, int]] = []
    keyed = read_lemma(pe, small, lemma, ground.bound, pe.column_names) if pe.keyed else None
    if pe.keyed and keyed is None:
        return []
    for name, const in state_consts(lemma).items() if keyed is None else ():
        m = _replica_key(pe, pattern, name)
        if m is None:
            em = ELEMENT.match(name) if ix is not None else None
            if em is not None and ix is not None and em.group(1) in ix.arrays:
                elements.append((const, em.group(1), int(em.group(2))))
                continue
            if name not in shared or shared[name].sort() != const.sort():
                return []
            continue
        rid, key = m
        if key not in pe.local_keys:
            return []
        if rid not in ids:
            ids.append(rid)
        if len(ids) > MAX_ARITY:
            return []
        arr = pe.p0[1][pe.local_keys.index(key)]
        pairs.append((const, z3.Select(arr, ground.bound[ids.index(rid)])))
    base = substitute(lemma, pairs) if keyed is None else keyed[0]
    if keyed is not None:
        ids = keyed[1]
    names = [pe.attr[0], chr(ord(pe.attr[0]) + 1)]
    bound = (names[0] if len(ids) == 1 else f"{names[0]} ≠ {names[1]}") if ids else ""

    def lemma_of(body: z3.BoolRef, text: str, indexed: bool) -> Lemma:
        text = re.sub(rf"\b{re.escape(pe.attr)}(\d+)\.", lambda m: f"{names[ids.index(int(m.group(1)))]}.", text)
        if pe.keyed:  # a replica's id: "c"; an element of a shared set of replica ids: "r ∈ tm.prepared"
            text = re.sub(rf"\[{re.escape(pe.attr)}(\d+)\]", lambda m: f"[{names[ids.index(int(m.group(1)))]}]", text)
            text = re.sub(rf'"{re.escape(pe.attr)}(\d+)"', lambda m: names[ids.index(int(m.group(1)))], text)
            text = re.sub(
                rf"(~?)([\w.]+)\{{{re.escape(pe.attr)}(\d+)\}}",
                lambda m: f"{names[ids.index(int(m.group(3)))]} {'∉' if m.group(1) else '∈'} {m.group(2)}",
                text,
            )
        over = ([f"{bound} ∈ {pe.attr}"] if ids else []) + ([f"i < {ix.param}"] if indexed and ix else [])
        return Lemma(len(ids), body, f"∀ {', '.join(over)}: {text}" if over else text, origin, indexed)

    if ix is None:
        return [lemma_of(base, " & ".join(readable(small, lemma if keyed is None else keyed[2])), False)]
    nonzero = sorted({k for _, _, k in elements if k != 0})
    if len(nonzero) > 1:
        return []
    size = small.model.param_dict()[ix.param]
    choices: list[int | None] = ([] if nonzero else [None]) + (nonzero or ([0] if elements else []))
    out = []
    for g in choices:
        at = [(c, z3.Select(ix.now[a], ground.ibound if k == g else z3.IntVal(k))) for c, a, k in elements]
        for body in _numeral_variants(pe, ground, substitute(base, at), g, size):
            indexed = ground.ibound.get_id() in {c.get_id() for c in state_consts(body).values()}
            out.append(lemma_of(body, _text(pe, ground, small, body, ids), indexed))
    return out


def _replica_key(pe: ParamEncoding, pattern: re.Pattern[str], name: str) -> tuple[int, str] | None:
    """(replica, key) of a replica's state constant (`checker.param.keyed.replica_key` in keyed mode)."""
    if pe.keyed:
        return replica_key(name, pe.attr, pe.column_names)
    m = pattern.match(name)
    return (int(m.group(1)), m.group(2)) if m is not None else None


def _numeral_variants(pe: ParamEncoding, ground: Ground, body: z3.BoolRef, g: int | None, size: int) -> list[Any]:
    """``body``, and ``body`` with numerals compared with a cursor (a slot bounded by the
    parameter) read as ``i + (c - g)`` or ``E - (size - c)`` where that is
    within one of the numeral (at most MAX_VARIANTS in all)."""
    assert ground.size is not None
    cursors = {z3.Select(pe.p0[1][pe.local_keys.index(k)], b).get_id() for k in ground.cursors for b in ground.bound}
    nodes: dict[int, tuple[Any, list[Any]]] = {}
    stack, seen = [body], set()
    while stack:
        t = stack.pop()
        if t.get_id() in seen or not z3.is_app(t):
            continue
        seen.add(t.get_id())
        kids = t.children()
        stack.extend(kids)
        if len(kids) != 2 or t.decl().kind() not in _COMPARISONS:
            continue
        near = any(cursors & {c.get_id() for c in _subterms(k)} for k in kids)
        if not near:
            continue
        for pos, kid in enumerate(kids):
            if z3.is_int_value(kid):
                c = kid.as_long()
                opts = []
                if g is not None and abs(c - g) <= 1:
                    opts.append(ground.ibound + (c - g) if c != g else ground.ibound)
                if abs(size - c) <= 1:
                    opts.append(ground.size - (size - c) if c != size else ground.size)
                if opts:
                    alts = [t.decl()(*[o if j == pos else k for j, k in enumerate(kids)]) for o in opts]
                    nodes[t.get_id()] = (t, [t, *alts])
    out = [body]
    for combo in itertools.islice(itertools.product(*[alts for _, alts in nodes.values()]), 1, MAX_VARIANTS):
        pairs = [(t, alt) for (t, _), alt in zip(nodes.values(), combo, strict=True) if not alt.eq(t)]
        out.append(substitute(body, pairs))
    return out


_COMPARISONS = {z3.Z3_OP_LE, z3.Z3_OP_GE, z3.Z3_OP_LT, z3.Z3_OP_GT, z3.Z3_OP_EQ, z3.Z3_OP_DISTINCT}


def _subterms(t: z3.ExprRef) -> list[z3.ExprRef]:
    out, stack = [], [t]
    while stack:
        e = stack.pop()
        out.append(e)
        if z3.is_app(e):
            stack.extend(e.children())
    return out


def _text(pe: ParamEncoding, ground: Ground, small: Encoding, body: z3.BoolRef, ids: list[int]) -> str:
    """``body`` in model terms: its replicas as the small instance's (renamed by the caller),
    element ``i`` and 0 as ``name[i]`` and ``name[0]``, the parameter by its name."""
    ix = pe.ix
    assert ix is not None
    flat = {c.decl().name(): c for c in small.flat(small.x)}
    pairs: list[tuple[Any, Any]] = []
    for key, arr in zip(pe.local_keys, pe.p0[1], strict=True):
        for j, rid in enumerate(ids):
            name = f"{pe.attr}{rid}.{key}"
            if name in flat:
                pairs.append((z3.Select(arr, ground.bound[j]), flat[name]))
    for name, arr in ix.now.items():
        pairs.append((z3.Select(arr, ground.ibound), z3.Int(f"{name}[i]")))
        if f"{name}[0]" in flat:
            pairs.append((z3.Select(arr, 0), flat[f"{name}[0]"]))
    pairs += [(ix.size, z3.Int(ix.param)), (ground.ibound, z3.Int("i"))]
    return " & ".join(readable(small, substitute(body, pairs)))
