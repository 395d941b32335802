"""The engines check each other on random models (issue #4, point 4).

Hypothesis generates small models (`tests.random_models`). For each, a plain breadth-first
search written here with `runtime.fire` (no symmetry, no numpy, no solver) is the reference:
the reachable states, the shortest counterexample or witness of every property, the first
step at which a write leaves its declared range, and the depths at which every behaviour has
ended. Then:

* explicit search, on both backends (numpy, python), with and without symmetry reduction,
  gives every property the reference's verdict at the reference's (shortest) length; without
  symmetry it stores exactly the reference's states, with symmetry no more (and both
  backends the same number);
* BMC to depth ``DEPTH``, with and without symmetry breaking, finds exactly the violations
  and witnesses of length <= ``DEPTH``, at that length, and "unreachable" exactly when every
  behaviour ends within the bound;
* no proof (k-induction, PDR) is contradicted by the reference, and a violation the proof
  engines report is real and no shorter than the shortest;
* a model error (a reachable out-of-range write) stops every engine that reaches it.

Every reported trace has been replayed by its engine (``checked``); it is replayed again here.
The default run checks ``EXAMPLES`` models (derandomized: the same ones every run, so CI is
reproducible); ``pytest -m crosscheck`` runs ``RACEPROOF_CROSSCHECK_EXAMPLES`` (default 2000)
fresh ones. Below the property tests: regressions for the engine bugs this cross-check found,
each with the minimal model hypothesis shrank it to.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, note, settings

from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.pdr import run_pdr
from checker.engines.prove import prove
from checker.errors import ModelError
from checker.model import Model, ModelInstance
from checker.results import PropertyResult, Verdict
from checker.runtime import CONCRETE, evaluate, fire
from checker.trace import replay
from tests.random_models import RandomModel, models

DEPTH = 5  # the BMC bound: most generated state spaces are deeper than that, some are not
EXAMPLES = 200
PROVE_EXAMPLES = 60  # a proof attempt costs more than the searches: fewer in the default run
MAX_REFERENCE_STATES = 5_000  # larger generated models are skipped (rare, and slow here)
PROVE_TIMEOUT = 30.0

_DEFAULT = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
_MANY = int(os.environ.get("RACEPROOF_CROSSCHECK_EXAMPLES", "2000"))
_OPT_IN = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


# ---------------------------------------------------------------------------- the reference
@dataclass
class Reference:
    """What a plain breadth-first search of the concrete model finds."""

    states: int = 0
    depth: int = 0  # the greatest shortest distance of a reachable state
    #: per property, the length of its shortest counterexample (witness, for `reachable`), or None
    shortest: dict[str, int | None] = field(default_factory=dict)
    #: the length of the shortest path whose last step is a model error, or None
    error_step: int | None = None
    #: the smallest k (<= the bound asked for) such that no behaviour has k steps, or None
    dead_at: int | None = None


def reference(model: ModelInstance, props: list[str], bound: int) -> Reference:
    ref = Reference(shortest=dict.fromkeys(props))
    kinds = {p: model.properties[p].kind for p in props}

    def check_state(state: tuple[Any, ...], depth: int) -> None:
        for p in props:
            if kinds[p] == "action_invariant" or ref.shortest[p] is not None:
                continue
            holds = bool(evaluate(model, CONCRETE, p, state))
            if holds == (kinds[p] == "reachable"):
                ref.shortest[p] = depth

    dist = {model.init: 0}
    succ: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    queue = deque([model.init])
    check_state(model.init, 0)
    while queue:
        state = queue.popleft()
        d = dist[state]
        succ[state] = []
        for t in model.transitions:
            try:
                nxt = fire(model, t, state)
            except ModelError:
                # breadth-first: the first error met is on a shortest path to one
                ref.error_step = d + 1 if ref.error_step is None else ref.error_step
                continue
            if nxt is None:
                continue
            succ[state].append(nxt)
            for p in props:
                if kinds[p] == "action_invariant" and ref.shortest[p] is None:
                    if not evaluate(model, CONCRETE, p, state, nxt):
                        ref.shortest[p] = d + 1
            if nxt not in dist:
                dist[nxt] = d + 1
                if len(dist) > MAX_REFERENCE_STATES:
                    assume(False)  # too large to be worth checking here
                queue.append(nxt)
                check_state(nxt, d + 1)
    ref.states = len(dist)
    ref.depth = max(dist.values())
    layer = {model.init}  # the states at exactly k steps (not the shortest distance)
    for k in range(1, bound + 1):
        layer = {n for s in layer for n in succ[s]}
        if not layer:
            ref.dead_at = k
            break
    return ref


# ---------------------------------------------------------------------------- helpers
def build(m: RandomModel) -> tuple[type[Model], ModelInstance]:
    note(m.source)
    cls = m.build_class()
    return cls, cls.build()


def assert_evidence(model: ModelInstance, r: PropertyResult, length: int) -> None:
    """``r`` carries a replayed trace of ``length`` steps."""
    assert r.trace is not None and r.checked, r
    assert len(r.trace) == length and r.depth == length, (r.name, r.engine, len(r.trace), r.depth, length)
    assert replay(model, r.trace.transitions) == r.trace.states
    r.trace.confirm()


def expect_explicit(model: ModelInstance, r: PropertyResult, ref: Reference) -> None:
    """An exhaustive search: the reference's verdict, at the reference's length."""
    length = ref.shortest[r.name]
    if length is None:
        want = Verdict.UNREACHABLE if r.kind == "reachable" else Verdict.HOLDS
        assert r.verdict is want, (r.name, r.verdict, r.reason)
        assert r.trace is None
    else:
        want = Verdict.WITNESSED if r.kind == "reachable" else Verdict.VIOLATED
        assert r.verdict is want, (r.name, r.verdict, r.reason, length)
        assert_evidence(model, r, length)


def expect_bmc(model: ModelInstance, r: PropertyResult, ref: Reference, depth: int) -> None:
    """Exactly what the reference has within ``depth`` steps."""
    length = ref.shortest[r.name]
    if length is not None and length <= depth:
        want = Verdict.WITNESSED if r.kind == "reachable" else Verdict.VIOLATED
        assert r.verdict is want, (r.name, r.verdict, r.reason, length)
        assert_evidence(model, r, length)
        return
    reached = ref.dead_at - 1 if ref.dead_at is not None else depth
    if r.kind == "reachable":
        want = Verdict.UNREACHABLE if ref.dead_at is not None else Verdict.UNKNOWN
    else:  # complete only when every behaviour ends within the bound; else a bounded pass
        want = Verdict.HOLDS if ref.dead_at is not None else Verdict.HOLDS_TO_DEPTH
    assert r.verdict is want, (r.name, r.verdict, r.reason, length, ref.dead_at)
    assert r.depth == reached, (r.name, r.depth, reached)


# ---------------------------------------------------------------------------- explicit vs BMC
def check_searches(m: RandomModel) -> None:
    cls, model = build(m)
    props = list(m.properties)
    ref = reference(model, props, DEPTH)
    note(f"reference: {ref}")
    counts: dict[tuple[str, bool], int] = {}
    for backend in ("numpy", "python"):
        for symmetry in (False, True):
            model = cls.build()
            if ref.error_step is not None:
                # some reachable step writes outside a declared range; `invariant0` (always
                # true) keeps every search going until it reaches that step
                with pytest.raises(ModelError):
                    run_explicit(model, props, symmetry=symmetry, backend=backend)
                continue
            results = run_explicit(model, props, symmetry=symmetry, backend=backend)
            for r in results:
                expect_explicit(model, r, ref)
            extra = results[0].extra
            assert extra["exhaustive"] and extra["backend"] == backend
            counts[backend, symmetry] = extra["states"]
            if not symmetry:
                assert extra["states"] == ref.states and extra["depth"] == ref.depth, (backend, extra, ref)
    if counts:
        assert counts["numpy", True] == counts["python", True] <= ref.states, counts
    for symmetry in (False, True):
        model = cls.build()
        if ref.error_step is not None and ref.error_step <= DEPTH:
            with pytest.raises(ModelError):
                run_bmc(model, props, DEPTH, symmetry=symmetry)
            continue
        for r in run_bmc(model, props, DEPTH, symmetry=symmetry):
            expect_bmc(model, r, ref, DEPTH)


@settings(max_examples=EXAMPLES, **_DEFAULT)
@given(models())
def test_explicit_and_bmc_agree(m: RandomModel) -> None:
    check_searches(m)


@pytest.mark.crosscheck
@settings(max_examples=_MANY, **_OPT_IN)
@given(models())
def test_explicit_and_bmc_agree_many(m: RandomModel) -> None:
    check_searches(m)


# ---------------------------------------------------------------------------- proofs vs search
def check_proofs(m: RandomModel) -> None:
    cls, model = build(m)
    props = list(m.properties)
    ref = reference(model, props, 0)
    provable = [p for p in props if m.properties[p] != "reachable"]
    for engine in ("kind", "pdr"):
        model = cls.build()
        if ref.error_step is not None:
            try:
                results = prove(model, provable, engine, timeout=PROVE_TIMEOUT)
            except ModelError:
                continue
            # a proof covers the model's range checks too: none may claim to hold
            assert all(r.verdict is not Verdict.PROVED for r in results), [(r.name, r.verdict) for r in results]
            continue
        for r in prove(model, provable, engine, timeout=PROVE_TIMEOUT):
            length = ref.shortest[r.name]
            if r.verdict is Verdict.PROVED:
                assert length is None, (engine, r.name, "proved, but violated at", length)
                assert r.checked
            elif r.verdict is Verdict.VIOLATED:
                assert length is not None, (engine, r.name, "violated, but holds in every reachable state")
                assert r.trace is not None and r.checked
                assert len(r.trace) >= length
                assert replay(model, r.trace.transitions) == r.trace.states
                r.trace.confirm()
            else:
                assert r.verdict is Verdict.UNKNOWN, (engine, r.name, r.verdict)


@settings(max_examples=PROVE_EXAMPLES, **_DEFAULT)
@given(models())
def test_proofs_agree_with_search(m: RandomModel) -> None:
    check_proofs(m)


@pytest.mark.crosscheck
@settings(max_examples=_MANY // 4, **_OPT_IN)
@given(models())
def test_proofs_agree_with_search_many(m: RandomModel) -> None:
    check_proofs(m)


# ---------------------------------------------------------------------------- regressions
def _model(source: str) -> ModelInstance:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<regression model>", "exec"), namespace)  # noqa: S102
    return namespace["Regression"].build()


ENUM_INIT = """
from checker import Enum, Model, Process, action, invariant, require

class P(Process):
    pc = Enum("a", "b", init="b")

    @action
    def go(self, sys):
        require(self.pc == "b")
        self.pc = "a"

class Regression(Model):
    p = P()

    @invariant
    def stays_b(sys):
        return sys.p.pc == "b"
"""


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_enum_initial_value_compares_with_literals(backend: str) -> None:
    """`Enum(..., init="b")` kept its str-subclass marker in the initial state, so the
    concrete interpretation refused to compare it with the literal "b"."""
    model = _model(ENUM_INIT)
    (r,) = run_explicit(model, ["stays_b"], backend=backend)
    assert r.verdict is Verdict.VIOLATED and r.depth == 1
    (r,) = run_bmc(model, ["stays_b"], 3)
    assert r.verdict is Verdict.VIOLATED and r.depth == 1


# Undefined operations (a state key outside an array's keys, a division by 0, an element
# outside a finite set's type) followed by a `require` that disables the step where they are
# undefined. Symbolically (BMC, the numpy steps) such an operation is an error only on a step
# that fires; concretely (the python search, every replay) it raised at once, so the python
# backend reported a model error that BMC and the numpy backend did not. Where a later guard
# reads the operation's result, the engines must also agree on that don't-care value: z3 left
# `x // 0` unconstrained (BMC then "found" an error that replay could not reproduce: an
# InternalError), and the concrete interpretation wrote out-of-range array keys into the last
# slot and added out-of-range elements to sets, where symbolically nothing is written.
UNDEFINED_THEN_DISABLED = {
    "array_read": """
    @action
    def act(self, sys):
        self.d = sys.cells[self.i]  # undefined at i == 2 ...
        require(self.i < 2)  # ... where the step cannot fire
""",
    "array_write": """
    @action
    def act(self, sys):
        before = sys.cells[1]
        sys.cells[self.i] = 1 - before  # at i == 2 no key matches: nothing is written ...
        require(sys.cells[1] != before)  # ... so this disables the step
""",
    "set_add": """
    @action
    def act(self, sys):
        sys.seen.add(self.i)  # 2 is outside the set's type: not added ...
        require(sys.seen.contains(self.i))  # ... so this disables the step
""",
    "division": """
    @action
    def act(self, sys):
        self.d = 1 // self.d  # at d == 0: quotient 0, as in every interpretation ...
        require(self.d != 0)  # ... so this disables the step
""",
    "modulo": """
    @action
    def act(self, sys):
        self.d = (self.i + 1) % self.d  # at d == 0: the dividend (i + 1 - 0 * 0) ...
        require(self.d == 0)  # ... is not 0 there: the step cannot fire
""",
}
UNDEFINED_MODEL = """
from checker import Array, Int, Model, Process, Set, Store, action, invariant, require

class P(Process):
    i = Int(init=0, min=0, max=2)
    d = Int(init=1, min=0, max=1)

    @action
    def advance(self, sys):
        require(self.i < 2)
        self.i = self.i + 1

    @action
    def clear(self, sys):
        self.d = 0
{action}

class S(Store):
    cells = Array(Int(min=0, max=1), size=2, init=[1, 0])
    seen = Set(Int(min=0, max=1))

class Regression(Model):
    p = P()
    s = S()

    @invariant
    def anything(sys):
        return True
"""


@pytest.mark.parametrize("case", list(UNDEFINED_THEN_DISABLED))
def test_undefined_operation_in_a_disabled_step_is_no_error(case: str) -> None:
    source = UNDEFINED_MODEL.format(action=UNDEFINED_THEN_DISABLED[case])
    ref = reference(_model(source), ["anything"], DEPTH)
    assert ref.error_step is None
    counts = set()
    for backend in ("python", "numpy"):
        (r,) = run_explicit(_model(source), ["anything"], backend=backend, symmetry=False)
        assert r.verdict is Verdict.HOLDS, (backend, r.reason)
        counts.add(r.extra["states"])
    assert counts == {ref.states}
    (r,) = run_bmc(_model(source), ["anything"], DEPTH)
    # complete when every behaviour ends within DEPTH steps, else a bounded pass
    assert r.verdict is (Verdict.HOLDS if ref.dead_at is not None else Verdict.HOLDS_TO_DEPTH)
    for engine in ("kind", "pdr"):
        (r,) = prove(_model(source), ["anything"], engine, timeout=PROVE_TIMEOUT)
        # division by a state value is nonlinear: z3 may give up on it
        allowed = (Verdict.PROVED, Verdict.UNKNOWN) if case in ("division", "modulo") else (Verdict.PROVED,)
        assert r.verdict in allowed, (engine, r.reason)


@pytest.mark.parametrize("case", list(UNDEFINED_THEN_DISABLED))
def test_undefined_operation_in_a_step_that_fires_is_an_error(case: str) -> None:
    """The same steps without their guard: every engine reports the model error."""
    action = "\n".join(line for line in UNDEFINED_THEN_DISABLED[case].splitlines() if "require" not in line)
    source = UNDEFINED_MODEL.format(action=action)
    for backend in ("python", "numpy"):
        with pytest.raises(ModelError):
            run_explicit(_model(source), ["anything"], backend=backend)
    with pytest.raises(ModelError):
        run_bmc(_model(source), ["anything"], DEPTH)


IDENTITY_STEP = """
from checker import Bool, Model, Process, action, all_of, any_of, implies, invariant

class P(Process):
    flag = Bool(init=False)

    @action
    def idle(self, sys):
        self.flag = self.flag

class Regression(Model):
    p = P(count=2)

    @invariant
    def all_or_none(sys):
        return implies(any_of(~r.flag for r in sys.p), all_of(~r.flag for r in sys.p))
"""


def test_pdr_proves_a_property_that_no_step_changes() -> None:
    """Spacer inlined the invariant relation away (its default rule inlining) and answered
    "safe" with the invariant True, which the certificate re-check rejected: UNKNOWN for a
    property that holds. With inlining off it returns a real invariant."""
    (r,) = run_pdr(_model(IDENTITY_STEP), ["all_or_none"], timeout=PROVE_TIMEOUT, generalize=False)
    assert r.verdict is Verdict.PROVED and r.checked, r.reason
