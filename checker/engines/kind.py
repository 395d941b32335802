"""k-induction over the symbolic step executor.

For k = 1, 2, ...: the *base case* is BMC from the initial states to depth k-1
(`checker.engines.kind_base`; a real counterexample found there is replayed and reported
like any BMC violation); the *step case* asks whether k consecutive states that keep every
property (and every range check) can be followed by one that does not, from *any* state,
reachable or not. If not, the properties hold in every reachable state. The step case uses
simple paths: its first k states must be pairwise distinct, a constraint added lazily, only
for pairs that a counterexample repeats (sound because a shortest path to a violation never
repeats a state).

Properties are proved jointly, with any strengthening invariants the caller names (which
are proved too). At each k, the properties a counterexample breaks are set aside and the
rest tried without them, so that what is k-inductive on its own is proved at that k (and
assumed from then on). If the step case still fails at the largest k, the last answer is a
*counterexample to induction* (CTI): a k+1 state segment that is not known to be reachable.
It is returned as a trace labelled ``kind="cti"``, never replayed from the initial state
(each of its steps is fired concretely from the state before it instead), and the verdict
is unknown.
"""

from __future__ import annotations

from typing import Any

import z3

from .. import certificate as certs
from ..encoding import Encoding, State
from ..errors import InternalError, ModelError
from ..formula import legend, readable
from ..lang.model import ModelInstance, Transition
from ..lang.runtime import fire
from ..results import PropertyResult, Verdict
from ..trace import Trace
from .kind_base import Base
from .obligations import Clock, Obligations, new_solver, unsupported_reason
from .phases import announce

ENGINE = "kind"
DEFAULT_MAX_K = 12
CTI_REASON = "induction failed: counterexample to induction (not a real violation)"
# When a CTI is decoded, interval-encoded sets are first kept this small if the solver can,
# so that the reported states stay readable.
_SMALL_SET = 16
_SMALL_INT = 32


class Step:
    """The step case, grown one state at a time on one solver.

    The window is y_0 .. y_k with oracles p_0 .. p_{k-1}. Hypotheses (on y_0 .. y_{k-1} and
    the steps between them) are guarded by one literal per property, so that a property can
    be dropped from the hypotheses without rebuilding anything.
    """

    def __init__(self, enc: Encoding, obl: Obligations):
        self.enc, self.obl = enc, obl
        self.solver = new_solver(enc)
        self.act = {n: z3.Bool(f"assume {n}") for n in obl.names}
        self.ys: list[State] = [enc.fresh_state("#0")]
        self.ps: list[z3.ArithRef] = []
        self.pairs: set[tuple[int, int]] = set()  # simple-path constraints added
        self._queries = 0
        self.zmodel: z3.ModelRef | None = None

    @property
    def k(self) -> int:
        return len(self.ps)

    def extend(self) -> None:
        """From a window of k steps to k+1: the old last state and step become hypotheses."""
        enc, obl, k = self.enc, self.obl, self.k
        y = self.ys[k]
        self.solver.add(enc.domain(y))
        for n in obl.state_props:
            self.solver.add(z3.Implies(self.act[n], obl.holds(n, y)))
        if k >= 1:
            prev, p = self.ys[k - 1], self.ps[k - 1]
            self.solver.add(obl.range_ok(prev, p))
            for n in obl.step_props:
                self.solver.add(z3.Implies(self.act[n], obl.holds(n, prev, y)))
        p_new = z3.Int(f"oracle#{k}")
        y_new = enc.fresh_state(f"#{k + 1}")
        self.solver.add(enc.trans(y, p_new, y_new))
        self.ps.append(p_new)
        self.ys.append(y_new)

    def query(self, active: list[str], established: list[str], clock: Clock) -> z3.CheckSatResult:
        """Can the last state or step break an active property (or a range check), when the
        active and the ``established`` properties hold before it?"""
        enc, obl, k = self.enc, self.obl, self.k
        last, p, y = self.ys[k - 1], self.ps[k - 1], self.ys[k]
        broken = [z3.Not(obl.range_ok(last, p))]
        broken += [z3.Not(obl.holds(n, last, y)) for n in obl.step_props if n in active]
        states = [z3.Not(obl.holds(n, y)) for n in obl.state_props if n in active]
        if states:
            broken.append(z3.And(enc.domain(y), z3.Or(states)))
        self._queries += 1
        goal = z3.Bool(f"goal#{self._queries}")
        self.solver.add(z3.Implies(goal, z3.Or(broken)))
        assumptions = [goal] + [self.act[n] for n in list(active) + list(established)]
        while True:
            status = clock.check(self.solver, *assumptions)
            if status != z3.sat:
                self.zmodel = None
                return status
            zmodel = self.solver.model()
            repeated = self._repeated(zmodel)
            if not repeated:
                self.zmodel = self._small(zmodel, assumptions, clock)
                return status
            for i, j in repeated:  # not a simple path: rule that out, and ask again
                self.pairs.add((i, j))
                self.solver.add(z3.Not(enc.equal(self.ys[i], self.ys[j])))

    def _repeated(self, zmodel: z3.ModelRef) -> list[tuple[int, int]]:
        out = []
        for j in range(self.k):
            for i in range(j):
                same = zmodel.eval(self.enc.equal(self.ys[i], self.ys[j]), model_completion=True)
                if (i, j) not in self.pairs and z3.is_true(same):
                    out.append((i, j))
        return out

    def _small(self, zmodel: z3.ModelRef, assumptions: list[z3.BoolRef], clock: Clock) -> z3.ModelRef:
        """The same kind of answer with small numbers and sets, if there is one (a CTI is read
        by people: generation 3 says as much as generation 3489)."""
        sets = [hi - lo <= _SMALL_SET for y in self.ys for _, (lo, hi) in _intervals(self.enc, y)]
        ints = [z3.And(v >= -_SMALL_INT, v <= _SMALL_INT) for y in self.ys for v in self.enc.flat(y) if z3.is_int(v)]
        for bounds in (ints + sets, sets):
            if not bounds:
                continue
            self.solver.push()
            try:
                self.solver.add(bounds)
                if clock.check(self.solver, *assumptions) == z3.sat:
                    return self.solver.model()
            finally:
                self.solver.pop()
        return zmodel

    def cti(self, prop: str | None, broken: list[str]) -> Trace:
        """The last answer as a trace of kind "cti", each step checked concretely."""
        assert self.zmodel is not None
        zmodel, enc = self.zmodel, self.enc
        states = [enc.decode_state(zmodel, y) for y in self.ys]
        steps = [enc.decode_oracle(zmodel, p) for p in self.ps]
        notes: dict[str, Any] = {
            "cti": True,
            "breaks": broken,
            "simple_path_pairs": sorted(self.pairs),
            "checked": _check_steps(enc, states, steps, last_exact="ranges" not in broken),
        }
        return Trace(enc.model, states, steps, prop, "cti", notes=notes)


def run_kind(
    model: ModelInstance,
    properties: list[str],
    max_k: int = DEFAULT_MAX_K,
    timeout: float | None = None,
    strengthen: list[str] | tuple[str, ...] = (),
    encoding: Encoding | None = None,
    symmetry: bool = True,
    certificate_timeout: float | None = 120,
) -> list[PropertyResult]:
    """Prove ``properties`` (with the ``strengthen`` invariants, proved along) by k-induction, k <= ``max_k``."""
    clock = Clock(timeout)
    enc = encoding or Encoding(model, sets="auto")
    for n in list(properties) + list(strengthen):
        if n not in model.properties:
            raise ModelError(f"unknown property '{n}' (this model has: {', '.join(model.properties)})")
    run = _Run(model, enc, list(dict.fromkeys(properties)), list(strengthen), clock, certificate_timeout)
    names = run.supported(list(dict.fromkeys(list(properties) + list(strengthen))))
    for n in names:  # evaluate every property once (located errors before any solving)
        enc.prop(n, enc.x, enc.x_next)
    base = Base(enc, symmetry, names)
    step = Step(enc, Obligations(enc, names))
    pending = list(names)
    established: list[str] = []  # proved at a smaller k: assumed from then on
    for k in range(1, max_k + 1):
        announce(f"k-induction: k = {k}")
        violated = base.advance(pending, k - 1, clock)
        if violated is None:
            why = base.why_undecided(clock)
            run.finish(pending, Verdict.UNKNOWN, reason=f"{why} in the base case at depth {k - 1}", depth=k - 1)
            break
        for name, (depth, trace) in violated.items():
            run.finish([name], Verdict.VIOLATED, depth=depth, trace=trace, checked=True)
            pending.remove(name)
            if name not in run.wanted:
                run.notes.append(f"strengthening invariant '{name}' is violated (depth {depth})")
        if not run.open(pending):
            break
        step.extend()
        status, proved, ctis = _round(step, pending, established, clock, decode=k == max_k)
        if status == z3.unknown:
            why = "timeout" if clock.expired() else step.solver.reason_unknown() or "solver gave up"
            run.finish(pending, Verdict.UNKNOWN, reason=f"{why} in the step case at k={k}", depth=k - 1)
            break
        if proved:
            established += proved
            pending = [n for n in pending if n not in proved]
            run.proved(step, proved, established)
        if k == max_k:
            for name, (trace, broken) in ctis.items():
                why = f"{CTI_REASON} at k={k}; it breaks {', '.join(broken) or '?'}"
                extra = {"cti": trace, "k": k}
                run.finish([name], Verdict.UNKNOWN, reason=run.with_notes(why), depth=k - 1, extra=extra)
        if not run.open(pending):
            break
    run.finish(run.wanted, Verdict.UNKNOWN, reason="no verdict")  # only fills what is still open (none, normally)
    return [run.results[n] for n in run.wanted]


def _round(
    step: Step, pending: list[str], established: list[str], clock: Clock, decode: bool
) -> tuple[z3.CheckSatResult, list[str], dict[str, tuple[Trace | None, list[str]]]]:
    """Step case at the current k: the largest subset of ``pending`` that is k-inductive
    (assuming ``established``), found by dropping what each counterexample breaks; and,
    for the rest, the counterexample (decoded only if ``decode``) with what it breaks."""
    obl, k = step.obl, step.k
    active = list(pending)
    ctis: dict[str, tuple[Trace | None, list[str]]] = {}
    while active:
        status = step.query(active, established, clock)
        if status != z3.sat:
            return status, (active if status == z3.unsat else []), ctis
        assert step.zmodel is not None
        broken = obl.broken_by(step.zmodel, step.ys[k - 1], step.ps[k - 1], step.ys[k])
        droppable = [n for n in broken if n in active]
        trace = step.cti(droppable[0] if droppable else None, broken) if decode else None
        # range checks cannot be dropped: if one breaks, nothing here is k-inductive
        failed = active if "ranges" in broken or not droppable else droppable
        for n in failed:
            ctis[n] = (trace, broken)
        active = [n for n in active if n not in failed]
    return z3.sat, [], ctis


class _Run:
    """Bookkeeping of one `run_kind` call: results, notes, certificates."""

    def __init__(self, model, enc, wanted, strengthen, clock, cert_timeout):  # type: ignore[no-untyped-def]
        self.model, self.enc, self.wanted, self.strengthen = model, enc, wanted, strengthen
        self.clock, self.cert_timeout = clock, cert_timeout
        self.results: dict[str, PropertyResult] = {}
        self.notes: list[str] = []

    def supported(self, names: list[str]) -> list[str]:
        out = []
        for n in names:
            why = unsupported_reason(self.model, n)
            if why:
                self.finish([n], Verdict.UNKNOWN, reason=why)
            else:
                out.append(n)
        return out

    def open(self, pending: list[str]) -> bool:
        return any(n in self.wanted for n in pending)

    def with_notes(self, reason: str) -> str:
        return "; ".join([reason] + self.notes)

    def finish(self, names: list[str], verdict: Verdict, extra: dict[str, Any] | None = None, **kw: Any) -> None:
        for n in names:
            if n not in self.wanted or n in self.results:
                continue
            kind = self.model.properties[n].kind
            r = PropertyResult(n, kind, verdict, ENGINE, seconds=self.clock.elapsed(), extra=dict(extra or {}), **kw)
            r.extra["solver_seconds"] = round(self.clock.solver_seconds, 4)
            if self.strengthen:
                r.extra["strengthen"] = list(self.strengthen)
            if self.enc.array_sets:
                r.extra["array_sets"] = dict(self.enc.array_sets)
            self.results[n] = r

    def proved(self, step: Step, names: list[str], established: list[str]) -> None:
        """Report ``names`` proved at the current k, after the certificate re-check (which covers
        everything assumed: ``established`` includes ``names``)."""
        enc, obl = self.enc, step.obl
        state_names = [n for n in obl.state_props if n in established]
        inv = obl.state_ok(enc.x, state_names)
        cert = certs.Certificate(enc, inv, list(established), k=step.k, simple_path=bool(step.pairs), engine=ENGINE)
        check = certs.check(cert, self.cert_timeout)
        if not check.ok:
            why = f"the k-induction proof failed the independent re-check: {check.describe()}"
            self.finish(names, Verdict.UNKNOWN, reason=why)
            return
        what = f"{step.k}-inductive" + (" (simple paths)" if step.pairs else "")
        extra = {
            "invariant": readable(enc, inv) if state_names else ["True"],
            "invariant_legend": legend(enc),
            "certificate_text": cert.to_smtlib(),
            "k": step.k,
            "proved_with": list(established),
        }
        reason = self.with_notes(f"{what}; {check.describe()}")
        self.finish(names, Verdict.PROVED, checked=True, depth=step.k, reason=reason, extra=extra)


def _intervals(enc: Encoding, y: State) -> list[tuple[int, Any]]:
    return [(i, y[i]) for i in sorted(enc.interval_slots)]


def _check_steps(enc: Encoding, states: list[tuple[Any, ...]], steps: list[Transition], last_exact: bool) -> str:
    """Fire each labelled step concretely from the decoded state; say how that went.

    A CTI is not reachable, so it cannot be replayed from the initial state; but each of
    its steps must be a real step of the model from the state before it. (Except the last
    one when that is what breaks a range check: there the encoding is not exact.)
    """
    # unbounded array sets are decoded only near the state's other integers: not compared
    skip = {
        i
        for i, s in enumerate(enc.model.slots)
        if s.var.shape == "set" and not s.sort.finite and i not in enc.interval_slots
    }
    for i, t in enumerate(steps):
        try:
            nxt = fire(enc.model, t, states[i])
        except ModelError as exc:
            if i == len(steps) - 1:
                return f"the last step breaks a range check concretely: {exc.message}"
            raise InternalError(f"CTI step {i + 1} ({t}) fails concretely: {exc}") from None
        if nxt is None:
            raise InternalError(f"CTI step {i + 1} ({t}) is not enabled concretely")
        pairs = enumerate(zip(nxt, states[i + 1], strict=True))
        bad = [enc.model.slots[j].name for j, (a, b) in pairs if j not in skip and a != b]
        if bad and (last_exact or i < len(steps) - 1):
            raise InternalError(f"CTI step {i + 1} ({t}) disagrees with the concrete step on {', '.join(bad)}")
        if bad:
            return f"the last step breaks a range check; concretely it gives other values of {', '.join(bad)}"
    return "every step fired concretely from the state before it"
