"""PDR/IC3 over the symbolic step executor, by z3's Spacer.

The model becomes constrained Horn clauses over one relation ``Inv`` on the flattened state
slots: ``init(x) => Inv(x)``; one rule per transition t, ``Inv(x) & dom(x) & trans_t(x, x')
=> Inv(x')`` (the oracle fixed to t, so each rule is a guard and an update; Spacer works
per rule, and one rule with the oracle's ite chains was slower); and error rules for each
property, each action invariant on each transition, and each range check. ``unsat`` means
safe: Spacer's solution for ``Inv`` is an inductive invariant, which is re-checked by a
fresh solver (`checker.certificate`) before anything is reported, and printed in the
model's names. ``sat`` means unsafe: BMC then finds the shortest counterexample (to at
least the depth of Spacer's derivation) and replays it, as for any violation.

When the model has size parameters (replica counts, array lengths), the invariant is first
built up on a ladder of smaller instances (`checker.engines.generalize`): on the DNS model
that took the 8-Enactor, 3-endpoint proof of the fencing fix from 30-60 s to about 8 s (and
to under 3 s of solving with the rest: enum ranges as bounds in the rules, error rules that
the cover already rules out left out, lemmas tried on every array element; see
benchmarks/README.md). Spacer on the full instance, started from whatever carried over, is
the fallback.
"""

from __future__ import annotations

from typing import Any

import z3

from .. import certificate as certs
from ..encoding import Encoding
from ..errors import ModelError
from ..formula import legend, readable
from ..lang.model import ModelInstance
from ..results import PropertyResult, Verdict
from ..symmetry import decide as decide_symmetry
from .generalize import build, conjuncts, houdini, implies_properties, instantiate, ladder, shift_indices
from .kind_base import Base
from .obligations import Clock, Obligations, new_solver, unsupported_reason
from .phases import announce

ENGINE = "pdr"
# Spacer's options, measured on the DNS fixes (CPU of the whole ladder, medians of 3): lemmas
# generalized from plain unsat cores rather than interpolating ones (IUC) and proof
# obligations left ungrounded took fencing_token 3x2 from 2.2 s to 1.3 s, version_cas 3x2
# from 0.45 to 0.33 s, fencing_token 8x3 from 3.6 to 2.8 s, and were no slower elsewhere.
# Model-based projection by z3's generic quantifier elimination rather than Spacer's own
# ("native") one: whole process, 3 runs each on a 2-core machine, fencing_token 3x2 1.7-1.9 s
# to 1.35-1.4 s, fencing_token 8x3 3.2-5.0 s to 3.0 s (steadier), version_cas 3x2 and 8x3
# the same or a little faster, the other specs' proofs unchanged. (Turning off the inductive
# generalizer also helped at 3x2, but took fencing_token 8x3 to 28 s.)
SPACER_OPTIONS: dict[str, bool] = {"spacer.use_iuc": False, "spacer.ground_pobs": False, "spacer.native_mbp": False}


def run_pdr(
    model: ModelInstance,
    properties: list[str],
    timeout: float | None = None,
    encoding: Encoding | None = None,
    certificate_timeout: float | None = 120,
    generalize: bool = True,
) -> list[PropertyResult]:
    """Prove (or refute) ``properties`` for every reachable state, with Spacer."""
    clock = Clock(timeout)
    enc = encoding or Encoding(model, sets="auto")
    results: dict[str, PropertyResult] = {}

    def finish(names: list[str], verdict: Verdict, extra: dict[str, Any] | None = None, **kw: Any) -> None:
        for n in names:
            results[n] = PropertyResult(
                n, model.properties[n].kind, verdict, ENGINE, seconds=clock.elapsed(), extra=dict(extra or {}), **kw
            )
            results[n].extra["solver_seconds"] = round(clock.solver_seconds, 4)
            results[n].extra["solver_cpu_seconds"] = round(clock.solver_cpu_seconds, 4)
            results[n].extra["phases"] = dict(clock.phases)
            results[n].extra["phases_cpu"] = dict(clock.phases_cpu)
            if enc.array_sets:
                results[n].extra["array_sets"] = dict(enc.array_sets)

    pending: list[str] = []
    for n in dict.fromkeys(properties):
        why = unsupported_reason(model, n)
        if why:
            finish([n], Verdict.UNKNOWN, reason=why)
        else:
            pending.append(n)
    base: Base | None = None
    cover: list[z3.BoolRef] = []  # lemmas known to be inductive, for Spacer to start from
    if pending and generalize:
        inv, cover, note = _by_ladder(enc, pending, clock)
        if inv is not None and _proved(enc, pending, inv, clock, certificate_timeout, finish, note, quiet=True):
            pending = []
    while pending:
        started = clock.mark()
        status, found = _spacer(enc, pending, clock, cover)
        clock.phase("spacer", started)
        if status == z3.unsat:
            assert isinstance(found, z3.BoolRef)
            _proved(enc, pending, z3.And([found, *cover]), clock, certificate_timeout, finish)
            break
        if status == z3.unknown:
            finish(pending, Verdict.UNKNOWN, reason=str(found))
            break
        # unsafe: find and replay the shortest counterexamples (at most one step past the
        # derivation's last state: a violated action invariant or range check needs a step)
        depth = int(found)  # type: ignore[arg-type]
        # No symmetry reduction here: this search confirms (or not) Spacer's counterexample,
        # and "Spacer's counterexample was not found" must never hang on a reduction.
        base = base or Base(enc, symmetry=False)
        violated = base.search(pending, depth + 1, clock)
        if violated is None:
            why = base.why_undecided(clock)
            finish(pending, Verdict.UNKNOWN, reason=f"{why} while replaying Spacer's counterexample (depth {depth})")
            break
        if not violated:
            why = f"Spacer reported a counterexample at depth {depth} that BMC did not find"
            finish(pending, Verdict.UNKNOWN, reason=why)
            break
        for name, (d, trace) in violated.items():
            finish([name], Verdict.VIOLATED, depth=d, trace=trace, checked=True)
            pending.remove(name)
        cover = []  # inductive, but it was found for the properties that are now refuted
    return [results[n] for n in dict.fromkeys(properties)]


def _by_ladder(enc: Encoding, names: list[str], clock: Clock) -> tuple[z3.BoolRef | None, list[z3.BoolRef], str]:
    """Climb the ladder of smaller instances (`checker.engines.generalize`). Returns the full
    instance's invariant if the carried-over lemmas already prove the properties, else None;
    and the lemmas that are inductive at the full instance (for Spacer to start from)."""
    for n in names:
        enc.prop(n, enc.x, enc.x_next)
    # replicas the ladder may keep at two: those that are interchangeable (only a heuristic:
    # nothing the ladder finds is trusted without a check)
    rungs = ladder(enc.model, decide_symmetry(enc, names).reduced)
    if not rungs:
        return None, [], ""
    lemmas: list[z3.BoolRef] = []
    climbed = []
    below: ModelInstance | None = None  # the previous rung's instance
    for params in [*rungs, None]:
        label = ", ".join(f"{k}={v}" for k, v in params.items()) if params else "full instance"
        started = clock.mark()
        try:
            rung = enc if params is None else Encoding(build(enc.model, params), sets=enc.sets)
            for n in names:  # a property may not fit the smaller instance either
                rung.prop(n, rung.x, rung.x_next)
        except ModelError:
            # a smaller instance the model does not admit (say, a constant index beyond a
            # parameter-sized array): the ladder is only a shortcut; prove the full instance
            return None, [], ""
        obl = Obligations(rung, names)
        if below is not None:
            lemmas = lemmas + shift_indices(lemmas, below, rung)
        below = rung.model
        announce(f"pdr: houdini at {label}")
        kept = houdini(rung, obl, instantiate(lemmas, rung), clock) if lemmas else []
        if kept is None:  # timeout
            return None, [], ""
        clock.phase(f"houdini at {label}", started)
        if kept and implies_properties(rung, obl, kept, clock):
            lemmas = kept
            climbed.append(f"{label}: {len(kept)} lemmas carried over")
            continue
        if params is None:
            return None, kept, ""
        started = clock.mark()
        announce(f"pdr: spacer at {label}")
        status, found = _spacer(rung, names, clock, cover=kept)
        clock.phase(f"spacer at {label}", started)
        lemmas = kept + (conjuncts(found) if status == z3.unsat else [])  # type: ignore[arg-type]
        climbed.append(f"{label}: spacer {status}")
    note = "generalized from smaller instances (" + "; ".join(climbed) + ")"
    return z3.And(lemmas), lemmas, note


def _proved(  # type: ignore[no-untyped-def]
    enc: Encoding,
    names: list[str],
    inv: z3.BoolRef,
    clock: Clock,
    cert_timeout: float | None,
    finish,
    note: str = "",
    quiet: bool = False,
) -> bool:
    """Report ``names`` proved by ``inv`` if the certificate re-check accepts it (else unknown, or
    nothing when ``quiet``: a generalized invariant that falls short is just not used)."""
    started = clock.mark()
    announce("pdr: re-checking the invariant (certificate)")
    cert = certs.Certificate(enc, inv, list(names), k=1, engine=ENGINE)
    check = certs.check(cert, cert_timeout)
    clock.phase("certificate re-check", started)
    if not check.ok:
        if not quiet:
            why = f"Spacer's invariant failed the independent re-check: {check.describe()}"
            finish(names, Verdict.UNKNOWN, reason=why)
        return False
    lines = readable(enc, inv)
    why = f"inductive invariant of {len(lines)} conjunct(s)" + (f", {note}" if note else "")
    finish(
        names,
        Verdict.PROVED,
        checked=True,
        reason=f"{why}; {check.describe()}",
        extra={"invariant": lines, "invariant_legend": legend(enc), "certificate_text": cert.to_smtlib(), "k": 1},
    )
    return True


def _spacer(
    enc: Encoding,
    names: list[str],
    clock: Clock,
    cover: list[z3.BoolRef] | None = None,
    options: dict[str, bool] | None = None,
) -> tuple[z3.CheckSatResult, object]:
    """(unsat, invariant over enc.x) | (sat, derivation depth) | (unknown, reason).
    ``options``: Spacer's settings (None: `SPACER_OPTIONS`; {}: z3's own, whose interpolated
    lemmas generalize over replicas better, `checker.param.infer`).

    ``cover``: lemmas already shown inductive (Houdini), given to Spacer as known facts; the
    invariant returned is Spacer's own lemmas, which the caller conjoins with them.
    """
    obl = Obligations(enc, names)
    x, x2 = enc.flat(enc.x), enc.flat(enc.x_next)
    inv = z3.Function("Inv", *[c.sort() for c in x], z3.BoolSort())
    err = z3.Bool("Err")
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    # Without these, z3 may inline `Inv` away (e.g. when every step is the identity on the
    # property's variables) and then report safety with an empty cover: the invariant "True",
    # which the certificate re-check rightly rejects, leaving a true property unproved.
    fp.set("xform.inline_linear", False)
    fp.set("xform.inline_eager", False)
    for key, value in (SPACER_OPTIONS if options is None else options).items():
        fp.set(key, value)
    ms = clock.remaining_ms()
    if ms is not None:
        fp.set("timeout", ms)
    fp.register_relation(inv, err.decl())
    fp.declare_var(*x, *x2)
    if cover:
        fp.set("xform.slice", False)  # z3 refuses covers otherwise
        fp.add_cover(-1, inv, z3.substitute(z3.And(cover), *[(c, z3.Var(i, c.sort())) for i, c in enumerate(x)]))
    now, nxt = inv(*x), inv(*x2)
    dom = enc.domain(enc.x, enum_bounds=True)
    # An error rule whose body no state of the declared types satisfies together with the
    # cover (an invariant already) can never fire: leaving it out spares Spacer a query per
    # frame. On the DNS model that is most of them (range checks that cannot fail, steps that
    # do not write the endpoints).
    possible = new_solver(enc)
    possible.add(dom, *(cover or []))
    errors = 0

    def error(*body: z3.BoolRef) -> None:
        nonlocal errors
        possible.push()
        possible.add(*body)
        status = clock.check(possible)
        possible.pop()
        if status != z3.unsat:
            fp.rule(err, [now, dom, *body])
            errors += 1

    fp.rule(now, enc.init(enc.x))
    for t, _ in enc.fired:
        step = z3.simplify(enc.trans(enc.x, z3.IntVal(t.index), enc.x_next))
        if z3.is_false(step):
            continue
        fp.rule(nxt, [now, dom, step])
        for n in obl.step_props:
            error(step, z3.Not(obl.holds(n, enc.x, enc.x_next)))
    for n in obl.state_props:
        error(z3.Not(obl.holds(n, enc.x)))
    for c in enc.step_checks:
        bad = z3.simplify(enc.step_check(c, enc.x, z3.IntVal(c.transition.index)))
        if not z3.is_false(bad):
            error(bad)
    if clock.expired():
        return z3.unknown, "timeout"
    if not errors:  # the cover alone proves everything
        return z3.unsat, z3.BoolVal(True)
    started = clock.mark()
    try:
        status = fp.query(err)
    except z3.Z3Exception as exc:  # a timeout surfaces as "canceled"
        clock.solved(started)
        return z3.unknown, "timeout" if "cancel" in str(exc) else f"Spacer failed: {exc}"
    clock.solved(started)
    if status == z3.unsat:
        cover = fp.get_cover_delta(-1, inv)
        return status, z3.simplify(z3.substitute_vars(cover, *x))
    if status == z3.sat:
        return status, _derivation_depth(fp.get_answer(), inv)
    return status, f"Spacer: {fp.reason_unknown() or 'unknown'}"


def _derivation_depth(proof: z3.ExprRef, inv: z3.FuncDeclRef) -> int:
    """Steps in Spacer's derivation of Err: the number of derived Inv facts, less the initial one."""
    count = 0
    seen: set[int] = set()
    stack = [proof]
    while stack:
        e = stack.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_app(e):
            if e.decl().name() == "hyper-res" and e.num_args():
                fact = e.arg(e.num_args() - 1)  # a hyper-resolution step's conclusion
                if z3.is_app(fact) and fact.decl() == inv:
                    count += 1
            stack.extend(e.children())
    return max(count - 1, 0)
