"""The model API on small systems whose answers are known exactly (tests/models/)."""

from __future__ import annotations

from typing import Any

import pytest

from checker import Model
from checker.encoding import Encoding
from checker.engines.bmc import run_bmc
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.lang.runtime import fire
from checker.results import PropertyResult, Verdict
from checker.symmetry import decide as decide_symmetry
from tests.models.arith import Division
from tests.models.counter import AtomicCounter, NonAtomicCounter
from tests.models.features import ArrayModel, Election, PurgeModel, SetModel, TrafficLight, WalkModel


def check(cls: type[Model], depth: int, *props: str, symmetry: bool = True, **params: Any) -> dict[str, PropertyResult]:
    model = cls.build(**params)
    names = list(props) or list(model.properties)
    return {r.name: r for r in run_bmc(model, names, depth, symmetry=symmetry)}


def steps(r: PropertyResult) -> list[str]:
    assert r.trace is not None
    return [str(t) for t in r.trace.transitions]


def final(r: PropertyResult) -> dict[str, Any]:
    assert r.trace is not None
    return r.trace.values(len(r.trace))


# ---------------------------------------------------------------------------- the counter race
@pytest.mark.parametrize("n", [2, 3])
def test_lost_update_needs_exactly_2n_steps(n: int) -> None:
    found = check(NonAtomicCounter, 2 * n + 2, "no_lost_update", procs=n)["no_lost_update"]
    assert found.verdict is Verdict.VIOLATED
    assert found.depth == 2 * n and len(found.trace) == 2 * n
    assert found.checked
    # every process reads and writes once; the counter ends below n
    labels = steps(found)
    for i in range(1, n + 1):
        assert labels.count(f"worker{i}.read") == 1 and labels.count(f"worker{i}.write") == 1
    end = final(found)
    assert end["value"] < n
    assert all(end[f"worker{i}.pc"] == "done" for i in range(1, n + 1))
    # one step short of 2n there is no counterexample
    short = check(NonAtomicCounter, 2 * n - 1, "no_lost_update", procs=n)["no_lost_update"]
    assert short.verdict is Verdict.HOLDS_TO_DEPTH and short.bound == 2 * n - 1 and not short.complete
    assert short.depth == 2 * n - 1 and short.trace is None


@pytest.mark.parametrize("n", [2, 3])
def test_atomic_increment_holds(n: int) -> None:
    results = check(AtomicCounter, 10, "no_lost_update", "value_never_decreases", procs=n)
    for r in results.values():
        assert r.verdict is Verdict.HOLDS
        assert r.trace is None
        # every behaviour is n increments long: the bound covered the whole state space
        assert r.depth == n
        assert f"every behaviour ends within {n} steps" in r.reason


def test_atomic_increment_holds_up_to_a_bound_short_of_the_end() -> None:
    r = check(AtomicCounter, 2, "no_lost_update", procs=4)["no_lost_update"]
    assert r.verdict is Verdict.HOLDS_TO_DEPTH and r.depth == 2
    assert "no violation up to depth 2" in r.reason


def test_action_invariant_holds_for_two_and_breaks_for_three() -> None:
    two = check(NonAtomicCounter, 10, "value_never_decreases", procs=2)["value_never_decreases"]
    assert two.verdict is Verdict.HOLDS and "every behaviour ends within 4 steps" in two.reason
    three = check(NonAtomicCounter, 10, "value_never_decreases", procs=3)["value_never_decreases"]
    assert three.verdict is Verdict.VIOLATED and len(three.trace) == 6
    before, after = three.trace.values(5), three.trace.values(6)
    assert after["value"] < before["value"]
    # the last step is a stale write
    assert three.trace.transitions[-1].action.name == "write"


@pytest.mark.parametrize(("cls", "n", "depth"), [(AtomicCounter, 3, 3), (NonAtomicCounter, 2, 4)])
def test_reachable_witnessed_at_its_depth(cls: type[Model], n: int, depth: int) -> None:
    r = check(cls, 10, "all_done", procs=n)["all_done"]
    assert r.verdict is Verdict.WITNESSED and len(r.trace) == depth
    assert r.trace.kind == "witness"
    assert final(r)["value"] >= 1


def test_impossible_reachable_is_unreachable_when_the_state_space_is_exhausted() -> None:
    r = check(AtomicCounter, 10, "overshoot", procs=3)["overshoot"]
    assert r.verdict is Verdict.UNREACHABLE
    assert r.trace is None and r.checked
    assert "every behaviour ends within 3 steps" in r.reason


def test_reachable_beyond_the_bound_is_unknown() -> None:
    r = check(AtomicCounter, 2, "all_done", procs=3)["all_done"]
    assert r.verdict is Verdict.UNKNOWN
    assert "no witness up to depth 2" in r.reason


# ---------------------------------------------------------------------------- symmetry
SYMMETRY_CASES = [
    (NonAtomicCounter, {"procs": 2}, 6),
    (NonAtomicCounter, {"procs": 3}, 7),
    (AtomicCounter, {"procs": 3}, 5),
    (Election, {"voters": 3}, 4),
]


@pytest.mark.parametrize(("cls", "params", "depth"), SYMMETRY_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_symmetry_reduction_does_not_change_results(cls: type[Model], params: dict[str, Any], depth: int) -> None:
    reduced = check(cls, depth, symmetry=True, **params)
    full = check(cls, depth, symmetry=False, **params)
    assert reduced.keys() == full.keys()
    for name in reduced:
        assert reduced[name].verdict is full[name].verdict, name
        assert reduced[name].depth == full[name].depth, name
        lengths = [len(r.trace) if r.trace is not None else None for r in (reduced[name], full[name])]
        assert lengths[0] == lengths[1], name


def test_replicas_are_a_symmetry_group() -> None:
    model = AtomicCounter.build(procs=3)
    groups = decide_symmetry(Encoding(model)).groups
    assert [[i.name for i in g] for g in groups] == [["worker1", "worker2", "worker3"]]


def test_reading_id_turns_symmetry_off() -> None:
    model = Election.build(voters=3)
    r = run_bmc(model, ["fewer_than_two_votes", "unanimous"], 5)
    # with the replicas wrongly treated as symmetric, only voter1 (not the leader) could
    # move first and the model would deadlock at once
    decision = decide_symmetry(Encoding(model), ["fewer_than_two_votes", "unanimous"])
    assert decision.groups == [] and "voter" in decision.not_reduced
    assert "voter" in model.asymmetry and "reads .id" in model.asymmetry["voter"]  # kept as the explanation
    assert "features.py" in decision.not_reduced["voter"]
    assert r[0].verdict is Verdict.VIOLATED and steps(r[0])[0] == "voter3.vote"
    assert r[1].verdict is Verdict.WITNESSED and len(r[1].trace) == 3


# ---------------------------------------------------------------------------- arrays
@pytest.mark.parametrize("size", [2, 3])
def test_array_with_a_state_index(size: int) -> None:
    results = check(ArrayModel, 8, size=size)
    last = results["last_cell_empty"]
    assert last.verdict is Verdict.VIOLATED and len(last.trace) == size
    assert final(last)["cells"] == list(range(1, size + 1))
    for name in ("cell_holds_its_number", "filled_in_order", "cursor_cell_empty"):
        assert results[name].verdict is Verdict.HOLDS, name
        assert f"every behaviour ends within {size} steps" in results[name].reason


def test_when_block_with_an_out_of_range_state_key() -> None:
    """A key past the end inside a false `when` is no error, symbolically or in replay."""
    results = check(WalkModel, 7)
    r = results["cursor_below_five"]
    assert r.verdict is Verdict.VIOLATED and len(r.trace) == 5
    assert final(r)["cells"] == [1, 1, 1] and final(r)["walker.cursor"] == 5
    assert results["marked_behind_cursor"].verdict is Verdict.HOLDS_TO_DEPTH


# ---------------------------------------------------------------------------- sets and action parameters
def test_sets_bounded_and_unbounded() -> None:
    results = check(SetModel, 6)
    assert {n: r.verdict for n, r in results.items()} == {
        "small_implies_big": Verdict.HOLDS_TO_DEPTH,
        "big_below_three": Verdict.VIOLATED,
        "last_added_present": Verdict.HOLDS_TO_DEPTH,
        "never_dropped": Verdict.VIOLATED,
        "small_emptied": Verdict.WITNESSED,
        "small_full": Verdict.WITNESSED,
    }
    assert len(results["big_below_three"].trace) == 3
    assert final(results["big_below_three"])["big"] == [0, 100, 200]
    assert steps(results["never_dropped"]) == ["adder.add", "adder.drop(e=0)"]
    assert len(results["small_full"].trace) == 4 and final(results["small_full"])["small"] == [0, 1, 2, 3]
    emptied = results["small_emptied"]
    assert len(emptied.trace) == 4
    assert sorted(steps(emptied)) == ["adder.add", "adder.add", "adder.drop(e=0)", "adder.drop(e=1)"]
    assert final(emptied)["small"] == [] and final(emptied)["big"] == [0, 100]


def test_action_parameters_make_one_transition_per_value() -> None:
    model = SetModel.build()
    labels = [str(t) for t in model.transitions]
    assert labels == ["adder.add"] + [f"adder.drop(e={e})" for e in range(4)]
    drop2 = model.transitions[3]
    assert drop2.args == {"e": 2} and drop2.label == "drop(e=2)"


def test_bulk_delete_from_an_unbounded_set() -> None:
    results = check(PurgeModel, 5, "zero_stays_in_big", "big_below_three", "small_implies_big")
    r = results["zero_stays_in_big"]
    assert r.verdict is Verdict.VIOLATED
    assert steps(r) == ["adder.add", "adder.purge"]
    assert final(r)["big"] == [] and final(r)["small"] == [0]
    assert results["big_below_three"].verdict is Verdict.VIOLATED and len(results["big_below_three"].trace) == 3
    assert results["small_implies_big"].verdict is Verdict.VIOLATED


# ---------------------------------------------------------------------------- when / ite with enums
def test_when_and_ite_with_enum_strings() -> None:
    results = check(TrafficLight, 8)
    r = results["at_most_one_cycle"]
    assert r.verdict is Verdict.VIOLATED and len(r.trace) == 4
    colors = [r.trace.values(i)["light.color"] for i in range(5)]
    cycles = [r.trace.values(i)["light.cycles"] for i in range(5)]
    flashed = [r.trace.values(i)["light.flashed"] for i in range(5)]
    assert colors == ["red", "green", "yellow", "red", "green"]
    assert cycles == [0, 1, 1, 1, 2]
    assert flashed == [False, False, False, False, True]  # the nested `when` fired on the second cycle only
    for name in ("flash_means_two_cycles", "yellow_only_after_green", "green_follows_red"):
        assert results[name].verdict is Verdict.HOLDS_TO_DEPTH and results[name].depth == 8, name
    assert results["yellow"].verdict is Verdict.WITNESSED and len(results["yellow"].trace) == 2


def test_concrete_step_matches_the_model() -> None:
    model = TrafficLight.build()
    state = model.init
    (tick,) = model.transitions
    seen = []
    for _ in range(4):
        state = fire(model, tick, state)
        assert state is not None
        seen.append(model.describe_state(state)["light.color"])
    assert seen == ["green", "yellow", "red", "green"]


# ---------------------------------------------------------------------------- arithmetic semantics
def test_division_follows_python_semantics() -> None:
    results = check(Division, 3)
    assert results["python_division"].verdict is Verdict.HOLDS_TO_DEPTH
    witness = results["seven_by_minus_two"]
    assert witness.verdict is Verdict.WITNESSED
    assert steps(witness) == ["divider.pick(a=7, d=-2)", "divider.divide"]
    assert final(witness)["divider.quotient"] == 7 // -2
    assert final(witness)["divider.remainder"] == 7 % -2


# ---------------------------------------------------------------------------- parameters
def test_parameters_are_validated() -> None:
    assert NonAtomicCounter.check_params({"procs": 0}) == [("procs", "parameter 'procs' must be at least 1, got 0")]
    assert NonAtomicCounter.check_params({"procs": "2"})[0][1] == "parameter 'procs' must be an integer, got '2'"
    assert NonAtomicCounter.check_params({"nope": 1})[0][0] == "nope"
    with pytest.raises(ModelError, match="at most 8"):
        NonAtomicCounter.build(procs=9)
    model: ModelInstance = NonAtomicCounter.build(procs=3)
    assert [i.name for i in model.instances] == ["shared", "worker1", "worker2", "worker3"]
    assert model.param_dict() == {"procs": 3}
