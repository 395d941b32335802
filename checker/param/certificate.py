"""The certificate of a proof for every number of replicas, as SMT-LIB2 for the `z3` binary.

The replicas are an uninterpreted sort (any number of elements: every N ≥ 1 at once); each
per-replica variable is an array over it. The script defines, from the parameterized
encoding (`checker.param.template`): ``init``, ``trans`` (the oracle names the transition,
``actor`` the replica that runs it), ``ranges``, ``prop``, ``step_ok``, the invariant's
parts ``inv0`` (shared state), ``inv1`` (∀ one replica), ``inv2`` (∀ two distinct replicas)
and ``inv``, their quantified conjunction with the declared types. Three queries must each
answer ``unsat``:

- initiation: ``init(x) => inv(x)``;
- consecution: ``inv(x) & ranges & trans(x, x') => inv(x')``;
- safety: ``inv(x) => prop(x)`` and ``inv(x) & trans(x, x') => step_ok``.

A negated ∀-goal is stated at two free replicas ``s1``, ``s2`` (its Skolem constants: the
goal fails for some replicas iff it fails at some ``s1``, ``s2``). ``inst`` is the
invariant's parts at the acting replica and ``s1``, ``s2`` (instances of ``inv``, which
``inv`` implies): it spares the solver the search for them.
"""

from __future__ import annotations

import itertools

import z3

from ..certificate import CheckResult, check_text
from ..encoding import substitute
from .infer import Ground, Lemma
from .template import ParamEncoding, PState


def to_smtlib(pe: ParamEncoding, ground: Ground, lemmas: list[Lemma], title: str) -> str:
    p0, p1, o, a = pe.p0, pe.p1, pe.enc.oracle, pe.actor
    r1, r2 = ground.bound
    s1, s2 = ground.skolem
    state = _params(pe.flat(p0))
    state2 = _params(pe.flat(p1))
    srt = pe.sort.sexpr()
    ix = pe.ix
    i, isk = ground.ibound.sexpr(), (ground.iskolem.sexpr() if ground.iskolem is not None else "")
    ipar = f" ({i} Int)" if ix is not None else ""  # the index of the parameter-sized arrays
    iprop = f" ({isk} Int)" if ix is not None else ""  # the properties' index (their Skolem index)
    iprop = f" ({s1.sexpr()} {srt}){iprop}"  # and replica (a property over every replica)
    chosen = ix is not None and bool(ix.families)  # a step over the parameter's domain chooses an index
    ch = f" ({ix.chosen.sexpr()} Int)" if chosen else ""
    cha = " chosen!0" if chosen else ""

    def conj(arity: int, indexed: bool, p: PState) -> z3.BoolRef:
        at = ground.bound[:arity]
        chosen = [m for m in lemmas if m.arity == arity and m.indexed == indexed]
        return z3.And([ground.body(m, p, at, ground.ibound if indexed else None) for m in chosen])

    parts = [(n, b) for n in range(3) for b in ((False, True) if ix is not None else (False,))]

    def part_args(n: int, b: bool) -> str:
        args = [f"({r.sexpr()} {srt})" for r in ground.bound[:n]]
        return " ".join([state, *args]) + (ipar if b else "")

    defs = [
        ("init", state, pe.init(p0)),
        ("dom0", state, pe.dom_shared(p0)),
        ("dom1", f"{state} ({r1.sexpr()} {srt})", pe.dom_local(p0, r1)),
    ]
    if ix is not None:
        defs.append(("domi", f"{state}{ipar}", pe.dom_index(p0, ground.ibound)))
    defs += [(_part(n, b), part_args(n, b), conj(n, b, p0)) for n, b in parts]
    defs += [
        ("prop", f"{state}{iprop}", pe.state_ok(p0)),
        ("trans", f"{state} ({o.sexpr()} Int) ({a.sexpr()} {srt}){ch} {state2}", pe.trans(p0, o, a, p1)),
        ("ranges", f"{state} ({o.sexpr()} Int) ({a.sexpr()} {srt}){ch}", pe.ranges(p0, o, a)),
        ("step_ok", f"{state} ({o.sexpr()} Int) ({a.sexpr()} {srt}){ch} {state2}{iprop}", pe.step_ok(p0, o, a, p1)),
    ]
    x = " ".join(c.sexpr() for c in pe.flat(p0))
    lines = [
        f"; raceproof certificate: {title}",
        f"; for every number of {pe.attr} replicas (the sort {srt}: any size >= 1)"
        + (f" and every {ix.param} >= 1 (the constant {ix.size.sexpr()})" if ix is not None else ""),
        "; re-check: z3 THIS_FILE  -- the three (check-sat) answers must all be unsat",
    ]
    enums = sorted(pe.enc.interp.enum_ids.items(), key=lambda kv: kv[1])
    if enums:
        lines.append("; enum values are integers: " + ", ".join(f"{n}={i}" for n, i in enums))
    lines += ["", f"(declare-sort {srt} 0)"]
    if ix is not None:
        lines.append(f"(declare-fun {ix.size.sexpr()} () Int)")
        lines.append(f"(assert (>= {ix.size.sexpr()} 1))  ; every size >= 1 (a constant: no step changes it)")
    lines += [f"(define-fun {name} ({args}) Bool\n  {body.sexpr()})" for name, args, body in defs]

    def quantified(n: int, b: bool, xs: str) -> str:
        bound = [f"({r.sexpr()} {srt})" for r in ground.bound[:n]] + ([f"({i} Int)"] if b else [])
        cond = ([f"(distinct {r1.sexpr()} {r2.sexpr()})"] if n == 2 else []) + (
            [f"(<= 0 {i})", f"(< {i} {ix.size.sexpr()})"] if b and ix is not None else []
        )
        call = f"({_part(n, b)} {' '.join([xs, *[r.sexpr() for r in ground.bound[:n]]])}{' ' + i if b else ''})"
        body = f"(=> (and {' '.join(cond)}) {call})" if cond else call
        return f"(forall ({' '.join(bound)}) {body})" if bound else body

    doms = [f"(dom0 {x})", f"(forall (({r1.sexpr()} {srt})) (dom1 {x} {r1.sexpr()}))"]
    if ix is not None:
        doms.append(f"(forall (({i} Int)) (domi {x} {i}))")
    every = " ".join(quantified(n, b, x) for n, b in parts)
    lines.append(f"(define-fun inv ({state}) Bool\n  (and {' '.join(doms)} {every}))")
    states = [_rename(pe, "@0"), _rename(pe, "@1")]
    for p in states:
        lines += [f"(declare-fun {c.sexpr()} () {c.sort().sexpr()})" for c in pe.flat(p)]
    lines += [f"(declare-fun {c} () {srt})" for c in ("actor!0", s1.sexpr(), s2.sexpr())]
    if ix is not None:
        lines.append(f"(declare-fun {isk} () Int)")
    lines.append("(declare-fun oracle!0 () Int)")
    if chosen:
        lines.append("(declare-fun chosen!0 () Int)")
    x0, x1 = (" ".join(c.sexpr() for c in pe.flat(p)) for p in states)
    # instances of inv at the ground replicas and indices, which inv implies: they spare the
    # solver the search for them
    terms = ["actor!0", s1.sexpr(), s2.sexpr()]
    indices = _index_terms(pe, ground, states[0]) if ix is not None else []
    inst = [f"(dom0 {x0})"] + [f"(dom1 {x0} {t})" for t in terms] + [f"(domi {x0} {j})" for j in indices]
    for n, b in parts:
        for combo in itertools.permutations(terms, n):
            for j in indices if b else [""]:
                call = f"({_part(n, b)} {' '.join([x0, *combo])}{' ' + j if b else ''})"
                cond = ([f"(distinct {combo[0]} {combo[1]})"] if n == 2 else []) + (
                    [f"(<= 0 {j})", f"(< {j} {ix.size.sexpr()})"] if b and ix is not None else []
                )
                inst.append(f"(=> (and {' '.join(cond)}) {call})" if cond else call)
    goal_parts = [f"(dom0 {x1})", f"(dom1 {x1} {s1.sexpr()})"]
    if ix is not None:
        goal_parts.append(f"(domi {x1} {isk})")
    sk = {0: [], 1: [s1.sexpr()], 2: [s1.sexpr(), s2.sexpr()]}
    for n, b in parts:
        call = f"({_part(n, b)} {' '.join([x1, *sk[n]])}{' ' + isk if b else ''})"
        cond = ([f"(distinct {s1.sexpr()} {s2.sexpr()})"] if n == 2 else []) + (
            [f"(<= 0 {isk})", f"(< {isk} {ix.size.sexpr()})"] if b and ix is not None else []
        )
        goal_parts.append(f"(=> (and {' '.join(cond)}) {call})" if cond else call)
    goal = f"(and {' '.join(goal_parts)})"
    hyp = f"(inv {x0}) (and {' '.join(inst)})"
    pk = f" {s1.sexpr()}" + (f" {isk}" if ix is not None else "")
    blocks = [
        ("initiation", f"(=> (init {x0}) (inv {x0}))"),
        (
            "consecution",
            f"(=> (and {hyp} (ranges {x0} oracle!0 actor!0{cha}) (trans {x0} oracle!0 actor!0{cha} {x1})) {goal})",
        ),
        (
            "safety",
            f"(and (=> (and {hyp}) (prop {x0}{pk})) "
            f"(=> (and {hyp} (trans {x0} oracle!0 actor!0{cha} {x1})) (step_ok {x0} oracle!0 actor!0{cha} {x1}{pk})))",
        ),
    ]
    for name, body in blocks:
        lines += ["", f"; {name}", "(push 1)", f"(assert (not {body}))", "(check-sat)", "(pop 1)"]
    return "\n".join(lines) + "\n"


def _part(n: int, indexed: bool) -> str:
    """inv0, inv1, inv2: ∀ none, one, two distinct replicas; with ``i``: and every index."""
    return f"inv{n}{'i' if indexed else ''}"


def _index_terms(pe: ParamEncoding, ground: Ground, p: PState) -> list[str]:
    """`Ground.index_terms` over the renamed state ``p``, as SMT-LIB terms."""
    renamed = [(ground.pe.actor, z3.Const("actor!0", pe.sort))]
    if pe.ix is not None and pe.ix.families:
        renamed.append((pe.ix.chosen, z3.Int("chosen!0")))
    return [substitute(t, pe.pairs(p) + renamed).sexpr() for t in ground.index_terms(pe.p0)]


def _rename(pe: ParamEncoding, suffix: str) -> PState:
    shared = [z3.Const(f"{c}{suffix}", c.sort()) for c in pe.shared]
    local = [z3.Const(f"{pe.attr}.{k}{suffix}", c.sort()) for k, c in zip(pe.local_keys, pe.p0[1], strict=True)]
    return shared, local  # type: ignore[return-value]


def _params(consts: list[z3.ExprRef]) -> str:
    return " ".join(f"({c.sexpr()} {c.sort().sexpr()})" for c in consts)


def recheck(text: str, timeout: float | None = 60) -> CheckResult:
    """The three queries in a fresh z3 context (`checker.certificate.check_text`)."""
    return check_text(text, timeout)
