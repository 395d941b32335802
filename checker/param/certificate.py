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
from .infer import Ground, Lemma
from .template import ParamEncoding, PState


def to_smtlib(pe: ParamEncoding, ground: Ground, lemmas: list[Lemma], title: str) -> str:
    p0, p1, o, a = pe.p0, pe.p1, pe.enc.oracle, pe.actor
    r1, r2 = ground.bound
    s1, s2 = ground.skolem
    state = _params(pe.flat(p0))
    state2 = _params(pe.flat(p1))
    srt = pe.sort.sexpr()

    def conj(arity: int, p: PState) -> z3.BoolRef:
        return z3.And([ground.body(m, p, ground.bound[:arity]) for m in lemmas if m.arity == arity])

    defs = [
        ("init", state, pe.init(p0)),
        ("dom0", state, pe.dom_shared(p0)),
        ("dom1", f"{state} ({r1.sexpr()} {srt})", pe.dom_local(p0, r1)),
        ("inv0", state, conj(0, p0)),
        ("inv1", f"{state} ({r1.sexpr()} {srt})", conj(1, p0)),
        ("inv2", f"{state} ({r1.sexpr()} {srt}) ({r2.sexpr()} {srt})", conj(2, p0)),
        ("prop", state, pe.state_ok(p0)),
        ("trans", f"{state} ({o.sexpr()} Int) ({a.sexpr()} {srt}) {state2}", pe.trans(p0, o, a, p1)),
        ("ranges", f"{state} ({o.sexpr()} Int) ({a.sexpr()} {srt})", pe.ranges(p0, o, a)),
        ("step_ok", f"{state} ({o.sexpr()} Int) ({a.sexpr()} {srt}) {state2}", pe.step_ok(p0, o, a, p1)),
    ]
    x = " ".join(c.sexpr() for c in pe.flat(p0))
    lines = [
        f"; raceproof certificate: {title}",
        f"; for every number of {pe.attr} replicas (the sort {srt}: any size >= 1)",
        "; re-check: z3 THIS_FILE  -- the three (check-sat) answers must all be unsat",
    ]
    enums = sorted(pe.enc.interp.enum_ids.items(), key=lambda kv: kv[1])
    if enums:
        lines.append("; enum values are integers: " + ", ".join(f"{n}={i}" for n, i in enums))
    lines += ["", f"(declare-sort {srt} 0)"]
    lines += [f"(define-fun {name} ({args}) Bool\n  {body.sexpr()})" for name, args, body in defs]
    q1 = f"(forall (({r1.sexpr()} {srt})) (and (inv1 {x} {r1.sexpr()}) (dom1 {x} {r1.sexpr()})))"
    q2 = (
        f"(forall (({r1.sexpr()} {srt}) ({r2.sexpr()} {srt})) "
        f"(=> (distinct {r1.sexpr()} {r2.sexpr()}) (inv2 {x} {r1.sexpr()} {r2.sexpr()})))"
    )
    lines.append(f"(define-fun inv ({state}) Bool\n  (and (inv0 {x}) (dom0 {x}) {q1} {q2}))")
    terms = [f"|ground!{i}|" for i in range(len(ground.terms))]  # inst's parameters: no clash with a state name
    inst = [f"(inv0 {x})", f"(dom0 {x})"]
    inst += [f"(inv1 {x} {t})" for t in terms] + [f"(dom1 {x} {t})" for t in terms]
    inst += [f"(=> (distinct {t} {u}) (inv2 {x} {t} {u}))" for t, u in itertools.permutations(terms, 2)]
    lines.append(
        f"(define-fun inst ({state} {' '.join(f'({t} {srt})' for t in terms)}) Bool\n  (and {' '.join(inst)}))"
    )
    states = [_rename(pe, "@0"), _rename(pe, "@1")]
    for p in states:
        lines += [f"(declare-fun {c.sexpr()} () {c.sort().sexpr()})" for c in pe.flat(p)]
    lines += [f"(declare-fun {c} () {srt})" for c in ("actor!0", s1.sexpr(), s2.sexpr())]
    lines.append("(declare-fun oracle!0 () Int)")
    x0, x1 = (" ".join(c.sexpr() for c in pe.flat(p)) for p in states)
    at = f"actor!0 {s1.sexpr()} {s2.sexpr()}"
    goal = (
        f"(and (inv0 {x1}) (dom0 {x1}) (inv1 {x1} {s1.sexpr()}) (dom1 {x1} {s1.sexpr()}) "
        f"(=> (distinct {s1.sexpr()} {s2.sexpr()}) (inv2 {x1} {s1.sexpr()} {s2.sexpr()})))"
    )
    hyp = f"(inv {x0}) (inst {x0} {at})"
    blocks = [
        ("initiation", f"(=> (init {x0}) (inv {x0}))"),
        ("consecution", f"(=> (and {hyp} (ranges {x0} oracle!0 actor!0) (trans {x0} oracle!0 actor!0 {x1})) {goal})"),
        (
            "safety",
            f"(and (=> (and {hyp}) (prop {x0})) "
            f"(=> (and {hyp} (trans {x0} oracle!0 actor!0 {x1})) (step_ok {x0} oracle!0 actor!0 {x1})))",
        ),
    ]
    for name, body in blocks:
        lines += ["", f"; {name}", "(push 1)", f"(assert (not {body}))", "(check-sat)", "(pop 1)"]
    return "\n".join(lines) + "\n"


def _rename(pe: ParamEncoding, suffix: str) -> PState:
    shared = [z3.Const(f"{c}{suffix}", c.sort()) for c in pe.shared]
    local = [z3.Const(f"{pe.attr}.{k}{suffix}", c.sort()) for k, c in zip(pe.local_keys, pe.p0[1], strict=True)]
    return shared, local  # type: ignore[return-value]


def _params(consts: list[z3.ExprRef]) -> str:
    return " ".join(f"({c.sexpr()} {c.sort().sexpr()})" for c in consts)


def recheck(text: str, timeout: float | None = 60) -> CheckResult:
    """The three queries in a fresh z3 context (`checker.certificate.check_text`)."""
    return check_text(text, timeout)
