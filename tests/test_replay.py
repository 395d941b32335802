"""Every reported trace replays concretely to the same states, and shows what it claims."""

from __future__ import annotations

from typing import Any

import pytest

from checker import Model
from checker.engines.bmc import run_bmc
from checker.errors import InternalError
from checker.lang.runtime import CONCRETE, evaluate
from checker.results import PropertyResult, Verdict
from checker.trace import Trace, normalize, replay
from tests.models.arith import Division
from tests.models.counter import AtomicCounter, NonAtomicCounter
from tests.models.features import ArrayModel, Election, PurgeModel, SetModel, TrafficLight, WalkModel

CASES: list[tuple[type[Model], dict[str, Any], int]] = [
    (NonAtomicCounter, {"procs": 2}, 5),
    (NonAtomicCounter, {"procs": 3}, 7),
    (AtomicCounter, {"procs": 3}, 4),
    (ArrayModel, {"size": 3}, 4),
    (SetModel, {}, 5),
    (PurgeModel, {}, 5),
    (TrafficLight, {}, 5),
    (Election, {"voters": 3}, 4),
    (WalkModel, {}, 6),
    (Division, {}, 2),
]


def _results() -> list[tuple[str, PropertyResult]]:
    out = []
    for cls, params, depth in CASES:
        for symmetry in (True, False):
            model = cls.build(**params)
            for r in run_bmc(model, list(model.properties), depth, symmetry=symmetry):
                if r.trace is not None:
                    out.append((f"{cls.__name__}-{r.name}-{'sym' if symmetry else 'full'}", r))
    return out


@pytest.fixture(scope="module")
def traces() -> list[tuple[str, PropertyResult]]:
    return _results()


def test_every_kind_of_trace_is_covered(traces: list[tuple[str, PropertyResult]]) -> None:
    kinds = {(r.kind, r.trace.kind) for _, r in traces if r.trace is not None}
    assert kinds == {("invariant", "violation"), ("action_invariant", "violation"), ("reachable", "witness")}
    assert len(traces) >= 30


def test_traces_replay_to_the_same_states(traces: list[tuple[str, PropertyResult]]) -> None:
    for label, r in traces:
        trace = r.trace
        assert trace is not None
        assert r.checked, label
        assert len(trace.states) == len(trace.transitions) + 1, label
        assert trace.states[0] == trace.model.init, label
        assert replay(trace.model, trace.transitions) == trace.states, label


def test_property_is_false_at_the_end_of_every_counterexample(traces: list[tuple[str, PropertyResult]]) -> None:
    for label, r in traces:
        trace = r.trace
        assert trace is not None
        states = replay(trace.model, trace.transitions)
        if r.kind == "action_invariant":
            at_end = evaluate(trace.model, CONCRETE, r.name, states[-2], states[-1])
        else:
            at_end = evaluate(trace.model, CONCRETE, r.name, states[-1])
        if r.verdict is Verdict.WITNESSED:
            assert at_end is True, label
        else:
            assert r.verdict is Verdict.VIOLATED, label
            assert at_end is False, label
        # shortest: nowhere earlier on the trace is the property answered
        for k in range(1, len(states) - 1):
            if r.kind == "action_invariant":
                earlier = evaluate(trace.model, CONCRETE, r.name, states[k - 1], states[k])
            else:
                earlier = evaluate(trace.model, CONCRETE, r.name, states[k])
            assert earlier is (r.verdict is Verdict.VIOLATED), f"{label} answered already at step {k}"
        trace.confirm()  # raises InternalError if the trace did not show what it claims


def _lost_update() -> Trace:
    model = NonAtomicCounter.build(procs=2)
    (r,) = run_bmc(model, ["no_lost_update"], 4)
    assert r.trace is not None
    return r.trace


def test_confirm_rejects_a_trace_that_does_not_show_the_violation() -> None:
    trace = _lost_update()
    short = Trace(trace.model, trace.states[:-1], trace.transitions[:-1], trace.property, trace.kind)
    with pytest.raises(InternalError, match="does not hold up under concrete replay"):
        short.confirm()
    as_witness = Trace(trace.model, trace.states, trace.transitions, "all_done", "witness")
    as_witness.confirm()  # every process is done at the end: a valid witness
    wrong_witness = Trace(trace.model, trace.states[:2], trace.transitions[:1], "all_done", "witness")
    with pytest.raises(InternalError, match="witness of 'all_done'"):
        wrong_witness.confirm()


def test_confirm_of_an_action_invariant_needs_a_step() -> None:
    model = NonAtomicCounter.build(procs=3)
    empty = Trace(model, [model.init], [], "value_never_decreases", "violation")
    with pytest.raises(InternalError, match="has no step"):
        empty.confirm()


def test_replay_rejects_a_disabled_step() -> None:
    trace = _lost_update()
    write_first = [t for t in trace.model.transitions if t.action.name == "write"][:1]
    with pytest.raises(InternalError, match="step 1 .* is not enabled"):
        replay(trace.model, write_first)


# ---------------------------------------------------------------------------- normal form
def _steps(model: Any, *names: str) -> list[Any]:
    by_name = {f"{t.instance.name}.{t.label}": t for t in model.transitions}
    return [by_name[n] for n in names]


def test_normalize_orders_commuting_steps_by_instance() -> None:
    model = NonAtomicCounter.build(procs=2)
    steps = _steps(model, "worker2.read", "worker1.read", "worker2.write", "worker1.write")
    trace = Trace(model, replay(model, steps), steps, "no_lost_update")
    trace.confirm()
    normal = normalize(trace)
    order = [f"{t.instance.name}.{t.label}" for t in normal.transitions]
    assert order == ["worker1.read", "worker2.read", "worker1.write", "worker2.write"]
    assert normal.states[-1] == trace.states[-1] and len(normal) == len(trace)
    normal.confirm()


def test_normalize_keeps_steps_that_do_not_commute() -> None:
    model = NonAtomicCounter.build(procs=2)
    # worker2 reads only after worker1 wrote: swapping them would change what worker2 read
    steps = _steps(model, "worker1.read", "worker2.read", "worker2.write", "worker1.write")
    trace = Trace(model, replay(model, steps), steps, "no_lost_update")
    normal = normalize(trace)
    # the reads commute, the writes (the same value 1) do too: but never a read past a write
    order = [f"{t.instance.name}.{t.label}" for t in normal.transitions]
    assert order.index("worker2.read") < order.index("worker1.write")
    assert normal.states[-1] == trace.states[-1]


def test_dns_race_reads_in_causal_order() -> None:
    """The postmortem's order: the delayed Enactor writes its old plan, then the other's cleanup
    deletes it (the same broken state as the other way round, which BMC may return first)."""
    from models.dns import Dns

    model = Dns.build(max_plans=5)
    (r,) = run_bmc(model, ["endpoint_never_empty"], 9)
    assert r.trace is not None and len(r.trace) == 9
    last = r.trace.transitions[-1]
    assert last.label == "cleanup"  # not the delayed write: that came first
    delayed = [t for t in r.trace.transitions if t.label == "apply" and t.instance is not last.instance]
    assert delayed, "another Enactor wrote before the cleanup"


def test_dns_recoverable_counterexample_is_normalized_too() -> None:
    from checker.engines.graph import run_graph
    from models.dns import Dns

    model = Dns.build(max_plans=5)
    (r,) = run_graph(model, ["endpoints_recoverable"])
    assert r.trace is not None and len(r.trace) == 9
    assert r.trace.transitions[-1].label == "cleanup"  # the delayed write came first, as in the postmortem
    assert normalize(r.trace) is r.trace  # already in canonical order
