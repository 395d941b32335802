"""The explicit-state engine: agreement with BMC, exact counts, symmetry, limits, and the
compiled (numpy) steps cross-checked against the concrete interpretation."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from checker import Model
from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.explicit.compile import Compiled, Untranslatable
from checker.engines.explicit.symmetry import MatrixCanon, TupleCanon
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.lang.runtime import CONCRETE, evaluate, fire
from checker.lang.types import BoolSort, EnumSort, IntSort, SetSort
from checker.results import PropertyResult, Verdict
from checker.state_store import KeyLayout
from checker.symmetry import replica_groups
from checker.trace import replay
from models.dns.model import VARIANTS, Dns
from tests.conftest import MODELS_DIR, assert_located, marker_line
from tests.models.arith import Division
from tests.models.bad_range import BadRange
from tests.models.counter import AtomicCounter, NonAtomicCounter
from tests.models.features import ArrayModel, Election, PurgeModel, SetModel, TrafficLight, WalkModel


def explicit(model: ModelInstance, *props: str, **kw: Any) -> dict[str, PropertyResult]:
    names = list(props) or list(model.properties)
    results = {r.name: r for r in run_explicit(model, names, **kw)}
    for r in results.values():
        assert r.engine == "explicit"
        assert_replays(model, r)
    return results


def assert_replays(model: ModelInstance, r: PropertyResult) -> None:
    if r.trace is None:
        assert r.verdict not in (Verdict.VIOLATED, Verdict.WITNESSED)
        return
    assert r.checked
    assert replay(model, r.trace.transitions) == r.trace.states
    r.trace.confirm()
    assert r.depth == len(r.trace)


# ---------------------------------------------------------------------------- agreement with BMC
AGREE_CASES = [
    (NonAtomicCounter, {"procs": 2}, 8),
    (NonAtomicCounter, {"procs": 3}, 8),
    (AtomicCounter, {"procs": 3}, 6),
    (ArrayModel, {"size": 3}, 6),
    (WalkModel, {}, 8),
    (SetModel, {}, 8),  # an unbounded set: the runtime.fire fallback
    (PurgeModel, {}, 8),
    (Division, {}, 4),
    (Election, {"voters": 3}, 5),
]


@pytest.mark.parametrize(("cls", "params", "depth"), AGREE_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_explicit_and_bmc_agree(cls: type[Model], params: dict[str, Any], depth: int) -> None:
    ours = explicit(cls.build(**params))
    bmc = {r.name: r for r in run_bmc(cls.build(**params), list(ours), depth)}
    for name, r in ours.items():
        b = bmc[name]
        assert r.extra["exhaustive"] or r.verdict in (Verdict.VIOLATED, Verdict.WITNESSED), name
        if b.verdict in (Verdict.VIOLATED, Verdict.WITNESSED):
            assert r.verdict is b.verdict, name
            assert len(r.trace) == len(b.trace), name  # both shortest
        else:
            # nothing up to BMC's bound; the exhausted search says so for every depth
            expected = Verdict.UNREACHABLE if r.kind == "reachable" else Verdict.HOLDS
            assert b.verdict in (expected, Verdict.UNKNOWN if r.kind == "reachable" else Verdict.HOLDS_TO_DEPTH), name
            assert r.verdict is expected, name
            assert r.reason.startswith(("exhaustive: ", "no witness: exhaustive: ")), name


def test_backend_choice() -> None:
    assert explicit(NonAtomicCounter.build())["no_lost_update"].extra["backend"] == "numpy"
    assert explicit(SetModel.build())["small_full"].extra["backend"] == "python"
    with pytest.raises(Untranslatable):
        run_explicit(SetModel.build(), ["small_full"], backend="numpy")


def test_dns_as_designed_shortest_counterexamples() -> None:
    results = explicit(Dns.build(max_plans=5), symmetry=True)
    assert results["endpoint_never_empty"].verdict is Verdict.VIOLATED
    assert len(results["endpoint_never_empty"].trace) == 9
    assert results["plan_never_regresses"].verdict is Verdict.VIOLATED
    assert len(results["plan_never_regresses"].trace) == 6
    bmc = run_bmc(Dns.build(max_plans=5), ["plan_never_regresses"], 6)[0]
    assert bmc.verdict is Verdict.VIOLATED and len(bmc.trace) == 6
    # the last step is a write that moved an endpoint back
    trace = results["plan_never_regresses"].trace
    before, after = trace.values(5), trace.values(6)
    assert any(n < o for o, n in zip(before["endpoint_plan"], after["endpoint_plan"], strict=True))


@pytest.mark.slow
def test_dns_as_designed_endpoint_empty_agrees_with_bmc() -> None:
    bmc = run_bmc(Dns.build(max_plans=5), ["endpoint_never_empty"], 9)[0]
    ours = explicit(Dns.build(max_plans=5), "endpoint_never_empty", symmetry=False)["endpoint_never_empty"]
    assert bmc.verdict is ours.verdict is Verdict.VIOLATED
    assert len(bmc.trace) == len(ours.trace) == 9


def test_dns_fencing_token_holds_exhaustively() -> None:
    results = explicit(Dns.build(variant="fencing_token", max_plans=4))
    for name in ("endpoint_never_empty", "plan_never_regresses"):
        r = results[name]
        assert r.verdict is Verdict.HOLDS and r.extra["exhaustive"]
        assert r.reason == f"exhaustive: {r.extra['states']:,} distinct states"
    assert results["every_endpoint_updated"].verdict is Verdict.WITNESSED


# ---------------------------------------------------------------------------- exact counts
def test_exact_counts_of_the_two_process_counter() -> None:
    """By hand, for 2 processes (a done process keeps the value it read):
    depth 0: (R, R, 0); 1: (W0, R, 0), (R, W0, 0); 2: (D0, R, 1), (W0, W0, 0), (R, D0, 1);
    3: (D0, W1, 1), (D0, W0, 1), (W0, D0, 1), (W1, D0, 1); 4: (D0, D1, 2), (D0, D0, 1), (D1, D0, 2).
    13 states, 14 enabled steps; up to swapping the processes: 1 + 1 + 2 + 2 + 2 = 8 states, 9 steps."""
    for backend in ("numpy", "python"):
        full = explicit(NonAtomicCounter.build(procs=2), "value_never_decreases", symmetry=False, backend=backend)
        r = full["value_never_decreases"]
        assert r.verdict is Verdict.HOLDS and r.reason == "exhaustive: 13 distinct states"
        assert (r.extra["states"], r.extra["transitions_fired"], r.extra["depth"]) == (13, 14, 4)
        assert r.extra["exhaustive"] and not r.extra["symmetry"]
        reduced = explicit(NonAtomicCounter.build(procs=2), "value_never_decreases", backend=backend)
        r = reduced["value_never_decreases"]
        assert (r.extra["states"], r.extra["transitions_fired"], r.extra["depth"]) == (8, 9, 4)
        assert r.extra["symmetry"]


def test_numpy_and_python_backends_count_the_same() -> None:
    for symmetry in (True, False):
        counts = []
        for backend in ("numpy", "python"):
            model = Dns.build(variant="fencing_token", enactors=2, max_plans=3)
            r = explicit(model, "endpoint_never_empty", symmetry=symmetry, backend=backend)["endpoint_never_empty"]
            assert r.verdict is Verdict.HOLDS
            counts.append((r.extra["states"], r.extra["transitions_fired"], r.extra["depth"]))
        assert counts[0] == counts[1], symmetry


@pytest.mark.slow
def test_dns_fencing_token_state_count_matches_spin() -> None:
    """SPIN (benchmarks/promela/dns_race.pml, no symmetry) stores 192,050 states for max_plans=5."""
    r = explicit(Dns.build(variant="fencing_token", max_plans=5), "endpoint_never_empty", symmetry=False)
    assert r["endpoint_never_empty"].extra["states"] == 192_050


# ---------------------------------------------------------------------------- symmetry
SYMMETRY_CASES = [
    (NonAtomicCounter, {"procs": 3}),
    (AtomicCounter, {"procs": 3}),
    (Dns, {"max_plans": 4}),
    (Dns, {"variant": "fencing_token", "max_plans": 3}),
    (Dns, {"variant": "cleanup_guard", "max_plans": 4}),
]


@pytest.mark.parametrize(("cls", "params"), SYMMETRY_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_symmetry_keeps_verdicts_and_lengths_with_fewer_states(cls: type[Model], params: dict[str, Any]) -> None:
    reduced = explicit(cls.build(**params), symmetry=True)
    full = explicit(cls.build(**params), symmetry=False)
    for name in reduced:
        assert reduced[name].verdict is full[name].verdict, name
        assert reduced[name].depth == full[name].depth, name
    assert next(iter(reduced.values())).extra["symmetry"]
    if all(r.extra["exhaustive"] for r in reduced.values()):
        assert next(iter(reduced.values())).extra["states"] < next(iter(full.values())).extra["states"]


def test_asymmetric_replicas_are_not_reduced() -> None:
    model = Election.build(voters=3)
    r = explicit(model)
    assert r["fewer_than_two_votes"].verdict is Verdict.VIOLATED
    assert str(r["fewer_than_two_votes"].trace.transitions[0]) == "voter3.vote"
    assert not r["fewer_than_two_votes"].extra["symmetry"]


def test_traces_through_permuted_representatives_are_real() -> None:
    """With symmetry, the search expands one representative per class; the reported trace
    must still be one the model can run (here replica 2 or 3 must move, not only 1)."""
    model = NonAtomicCounter.build(procs=3)
    r = explicit(model, "no_lost_update")["no_lost_update"]
    labels = [str(t) for t in r.trace.transitions]
    for i in (1, 2, 3):
        assert labels.count(f"worker{i}.read") == 1 and labels.count(f"worker{i}.write") == 1


def permuted(model: ModelInstance, state: tuple[Any, ...], rng: random.Random) -> tuple[Any, ...]:
    """``state`` with the replicas of each symmetry group shuffled."""
    out = list(state)
    for group in replica_groups(model).values():
        slots = [[s for var in inst.vars.values() for s in var.slots] for inst in group]
        shuffled = rng.sample(slots, len(slots))
        for src, dst in zip(slots, shuffled, strict=True):
            for a, b in zip(src, dst, strict=True):
                out[b] = state[a]
    return tuple(out)


def test_canonical_forms_pick_one_state_per_class() -> None:
    """Both canonical forms are the same for every permutation of the replicas, and each is
    itself such a permutation (they may pick different representatives: enums sort by id in
    one and by name in the other)."""
    model = Dns.build(variant="fencing_token", max_plans=4)
    compiled = Compiled(model, [])
    rng = random.Random(7)
    states = [random_state(model, rng) for _ in range(200)]
    shuffled = [permuted(model, st, rng) for st in states]
    S, P = compiled.vectors.matrix(states), compiled.vectors.matrix(shuffled)
    layout = KeyLayout.for_columns([(c.lo, c.hi) for c in compiled.vectors.columns], S)
    groups = list(replica_groups(model).values())
    canon_m = MatrixCanon(groups, compiled.vectors.slot_columns)
    canon_t = TupleCanon(groups)
    canon_m(S, layout.lo, layout.width)
    canon_m(P, layout.lo, layout.width)
    assert np.array_equal(S, P)
    for i, (state, other) in enumerate(zip(states, shuffled, strict=True)):
        assert canon_t(state) == canon_t(other)
        assert canon_t(compiled.vectors.decode(S[:, i])) == canon_t(state)


# ---------------------------------------------------------------------------- limits
def test_max_states_gives_unknown() -> None:
    r = explicit(Dns.build(variant="fencing_token", max_plans=4), "endpoint_never_empty", max_states=100)
    r0 = r["endpoint_never_empty"]
    assert r0.verdict is Verdict.UNKNOWN and r0.trace is None
    assert "max_states (100) reached" in r0.reason and r0.extra["states"] == 100
    assert not r0.extra["exhaustive"]


def test_max_states_still_finds_shallow_violations() -> None:
    """TrafficLight's cycle counter grows forever: the search never ends by itself."""
    results = explicit(TrafficLight.build(), max_states=50)
    assert results["at_most_one_cycle"].verdict is Verdict.VIOLATED and len(results["at_most_one_cycle"].trace) == 4
    assert results["yellow"].verdict is Verdict.WITNESSED and len(results["yellow"].trace) == 2
    for name in ("flash_means_two_cycles", "yellow_only_after_green", "green_follows_red"):
        assert results[name].verdict is Verdict.UNKNOWN, name
        assert "max_states (50)" in results[name].reason


def test_timeout_gives_unknown() -> None:
    r = explicit(Dns.build(variant="fencing_token", max_plans=5), "endpoint_never_empty", timeout=1e-6)
    assert r["endpoint_never_empty"].verdict is Verdict.UNKNOWN
    assert r["endpoint_never_empty"].reason.startswith("timeout")


def test_progress_is_reported_per_level() -> None:
    """(depth, stored states, open properties, frontier) as each level starts. Without symmetry
    the two-process counter has 1, 2, 3, 4, 3 states at depths 0..4 (see the exact counts above)."""
    for backend in ("numpy", "python"):
        seen: list[tuple[Any, ...]] = []
        model = NonAtomicCounter.build(procs=2)
        record = lambda *a, to=seen: to.append(a)  # noqa: E731
        explicit(model, "value_never_decreases", symmetry=False, backend=backend, progress=record)
        open_ = ["value_never_decreases"]
        assert seen == [
            (0, 1, open_, 1, 0),
            (1, 3, open_, 2, 1),
            (2, 6, open_, 3, 3),
            (3, 10, open_, 4, 6),
            (4, 13, open_, 3, 10),
        ]


def test_progress_moves_within_a_big_level(monkeypatch: pytest.MonkeyPatch) -> None:
    """A level takes seconds on a big model: within it, reports come every TICK seconds with
    the queue shrinking and the expanded count growing (here TICK is 0: at every chunk)."""
    from checker.engines.explicit import common as explicit_common
    from checker.engines.explicit import matrix as explicit_matrix

    monkeypatch.setattr(explicit_common, "TICK", 0.0)
    monkeypatch.setattr(explicit_matrix, "CHUNK", 2)
    for backend, model in (("numpy", NonAtomicCounter.build(procs=3)), ("python", NonAtomicCounter.build(procs=6))):
        seen: list[tuple[Any, ...]] = []
        record = lambda *a, to=seen: to.append(a)  # noqa: E731
        explicit(model, "value_never_decreases", symmetry=False, backend=backend, progress=record)
        level_starts: dict[int, tuple[Any, ...]] = {}
        for a in seen:  # reports come in order: a level's first is its start
            level_starts.setdefault(a[0], a)
        within = [a for a in seen if level_starts[a[0]] is not a]
        assert within, backend  # some level was reported on before it ended
        for a in within:
            start = level_starts[a[0]]
            assert 0 < a[3] < start[3] and a[4] > start[4], (backend, a, start)


def test_range_error_is_reported_at_the_model_line() -> None:
    path = MODELS_DIR / "bad_range.py"
    with pytest.raises(ModelError) as err:
        run_explicit(BadRange.build(), ["count_small"])
    assert_located(str(err.value), path, marker_line(path))


def test_unknown_property() -> None:
    with pytest.raises(ModelError, match="no property 'nope'"):
        run_explicit(NonAtomicCounter.build(), ["nope"])


# ---------------------------------------------------------------------------- compiled vs concrete
def random_state(model: ModelInstance, rng: random.Random, spread: int = 6) -> tuple[Any, ...]:
    """Any state of the model's types (reachable or not), ints near their lower bound."""
    out: list[Any] = []
    for slot in model.slots:
        sort = slot.sort
        if isinstance(sort, SetSort):
            assert sort.finite
            elems = list(sort.elem.values()) if not isinstance(sort.elem, BoolSort) else [False, True]
            out.append(frozenset(e for e in elems if rng.random() < 0.5))
        elif isinstance(sort, BoolSort):
            out.append(rng.random() < 0.5)
        elif isinstance(sort, EnumSort):
            out.append(rng.choice(sort.names))
        else:
            assert isinstance(sort, IntSort)
            lo = sort.lo if sort.lo is not None else -spread
            hi = sort.hi if sort.hi is not None else lo + spread
            out.append(rng.randint(lo, hi))
    return tuple(out)


def outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except ModelError as exc:
        return ("error", exc.message)


def reachable_states(model: ModelInstance, limit: int = 3000) -> list[tuple[Any, ...]]:
    seen, queue = {model.init}, [model.init]
    for state in queue:
        for t in model.transitions:
            nxt = fire(model, t, state)
            if nxt is not None and nxt not in seen and len(seen) < limit:
                seen.add(nxt)
                queue.append(nxt)
    return queue


def assert_compiled_matches(model: ModelInstance, states: list[tuple[Any, ...]]) -> None:
    compiled = Compiled(model, list(model.properties))
    for state in states:
        for t in model.transitions:
            ours = outcome(lambda t=t, state=state: compiled.fire_concrete(t, state))
            assert ours == outcome(lambda t=t, state=state: fire(model, t, state)), (t, state)
    S = compiled.vectors.matrix(states)
    for name, prop in model.properties.items():
        args = (S, S[:, ::-1]) if prop.kind == "action_invariant" else (S,)
        ours = compiled.holds(name, *args)
        pairs = zip(states, states[::-1], strict=True) if prop.kind == "action_invariant" else ((s,) for s in states)
        assert [bool(v) for v in ours] == [bool(evaluate(model, CONCRETE, name, *p)) for p in pairs], name


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (NonAtomicCounter, {"procs": 3}),
        (AtomicCounter, {"procs": 3}),
        (ArrayModel, {"size": 3}),
        (WalkModel, {}),
        (Division, {}),
        (Election, {"voters": 3}),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_compiled_steps_match_fire_on_every_reachable_state(cls: type[Model], params: dict[str, Any]) -> None:
    model = cls.build(**params)
    assert_compiled_matches(model, reachable_states(model))


def test_compiled_steps_match_fire_on_traffic_light_states() -> None:
    model = TrafficLight.build()
    assert_compiled_matches(model, reachable_states(model, limit=60))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_compiled_dns_matches_fire_on_random_states(variant: str) -> None:
    """Random states, reachable or not: the same successors, and the same range errors."""
    model = Dns.build(variant=variant, max_plans=4)
    rng = random.Random(variant)
    states = [random_state(model, rng) for _ in range(150)] + reachable_states(model, limit=300)
    assert_compiled_matches(model, states)


def test_division_helpers_follow_smt_semantics() -> None:
    from checker.engines.explicit.compile import _div, _mod

    for a in range(-7, 8):
        for b in (-3, -2, 2, 3):
            q, r = int(_div(a, b)), int(_mod(a, b))
            assert a == b * q + r and 0 <= r < abs(b)
    assert int(_div(np.int64(5), 0)) == 0  # masked by a false `when`: any value, no error


# ---------------------------------------------------------------------------- packed keys
def test_key_layout_round_trips_and_widens() -> None:
    bounds: list[tuple[int | None, int | None]] = [(0, 1), (None, None), (0, None), (3, 9)]
    S = np.array([[0, 1], [-2, 5], [0, 7], [3, 9]], dtype=np.int64)
    layout = KeyLayout.for_columns(bounds, S)
    assert layout.words == 1 and np.array_equal(layout.unpack(layout.pack(S)), S)
    wide = np.array([[1], [-900], [10**12], [4]], dtype=np.int64)
    outside = layout.covers(wide)
    assert [j for j, _, _ in outside] == [1, 2]
    wider = layout.widened(outside)
    assert wider.covers(wide) == [] and wider.covers(S) == []
    both = np.concatenate([S, wide], axis=1)
    assert np.array_equal(wider.unpack(wider.pack(both)), both)
    many = KeyLayout([0] * 5, [30] * 5, [True] * 5)  # 150 bits: three words, a void key
    T = np.array([[1, 2], [3, 4], [5, 6], [7, 8], [2**30 - 1, 0]], dtype=np.int64)
    assert many.words == 3 and np.array_equal(many.unpack(many.pack(T)), T)


def test_visited_store_dedupes_across_levels_and_repacks() -> None:
    from checker.state_store import VisitedStore

    S = np.array([[0, 1, 1, 2]], dtype=np.int64)
    store = VisitedStore(KeyLayout.for_columns([(0, None)], S[:, :1]))
    store.ensure_covers(S)
    chosen, cut = store.add(store.layout.pack(S), np.zeros(4, np.int32), np.arange(4, dtype=np.int32))
    assert list(chosen) == [0, 1, 3] and not cut and store.count == 3  # the first of equal keys wins
    T = np.array([[2, 300, 0, 301]], dtype=np.int64)
    store.ensure_covers(T)  # widens: every stored key is re-packed
    assert store.repacks == 1
    chosen, cut = store.add(store.layout.pack(T), np.ones(4, np.int32), np.zeros(4, np.int32), limit=1)
    assert list(chosen) == [1] and cut and store.count == 4
    assert store.path(3) == [1, 0]  # id 3 (300) came from id 1 via transition 0; id 1 from the root via 1


def _random_layout(rng: random.Random, max_width: int) -> tuple[KeyLayout, np.ndarray]:
    """A layout of 1-14 fields (often more than one word) and 30 states that fit it."""
    m = rng.randint(1, 14)
    layout = KeyLayout(
        [rng.randint(-5, 5) for _ in range(m)], [rng.randint(1, max_width) for _ in range(m)], [False] * m
    )
    S = np.array(
        [[rng.randint(layout.lo[j], layout.lo[j] + (1 << layout.width[j]) - 1) for _ in range(30)] for j in range(m)],
        dtype=np.int64,
    )
    return layout, S


def test_derived_keys_are_the_packed_successors() -> None:
    """Without symmetry a successor's key is its parent's with the updated fields replaced
    (`KeyLayout.derive`); it must equal packing the successor, constants included."""
    rng = random.Random(5)
    for _ in range(300):
        layout, S = _random_layout(rng, 20)
        keys = layout.pack(S)
        assert np.array_equal(layout.unpack(keys), S)
        where = np.array(sorted(rng.sample(range(S.shape[1]), rng.randint(1, S.shape[1]))))
        changed = sorted(rng.sample(range(S.shape[0]), rng.randint(1, S.shape[0])))
        N, values = S[:, where].copy(), []
        for j in changed:
            top = layout.lo[j] + (1 << layout.width[j]) - 1
            if rng.random() < 0.3:
                v = np.asarray(rng.randint(layout.lo[j], top), dtype=np.int64)  # an update folded to a constant
            else:
                v = np.array([rng.randint(layout.lo[j], top) for _ in where], dtype=np.int64)
            N[j] = v
            values.append(v)
        derived, packed = layout.derive(keys[where], changed, values), layout.pack(N)
        assert derived.dtype == packed.dtype and np.array_equal(derived, packed)


def test_widening_repacks_keys_and_keeps_one_word_keys_in_order() -> None:
    """`KeyLayout.repack` moves runs of fields in key space: the same keys as unpacking and
    packing; between one-word layouts the keys' order is kept (the store skips re-sorting)."""
    rng = random.Random(3)
    for _ in range(500):
        layout, S = _random_layout(rng, 9)
        outside = [
            (
                j,
                layout.lo[j] - rng.randint(0, 6) * (rng.random() < 0.3),
                layout.lo[j] + (1 << layout.width[j]) + rng.randint(0, 40),
            )
            for j in range(S.shape[0])
            if rng.random() < 0.4
        ]
        if not outside:
            continue
        wider = layout.widened(outside)
        keys = layout.pack(S)
        assert np.array_equal(wider.repack(keys, layout), wider.pack(S))
        if layout.words == wider.words == 1:
            new = wider.pack(S)
            assert np.array_equal(np.argsort(keys, kind="stable"), np.argsort(new, kind="stable"))


def test_stored_keys_unpack_to_the_canonical_states_searched() -> None:
    """Sorting replicas moves values between their columns, whose key fields widen separately:
    the layout must cover the canonical states, or keys are corrupted (a past bug, that the
    frontier kept packed made visible). Every stored key must decode to a canonical reachable state."""
    from checker.engines.explicit.common import Search
    from checker.engines.explicit.compile import Compiled
    from checker.engines.explicit.matrix import MatrixSearch

    model = Dns.build(variant="fencing_token", max_plans=5)
    search = Search(model, ["endpoint_never_empty"], None, None, None)
    ms = MatrixSearch(Compiled(model, ["endpoint_never_empty"]), search, list(replica_groups(model).values()))
    ms.run()
    assert search.exhaustive and search.stop is None
    states = ms.store.layout.unpack(ms.store.keys)
    assert states.shape[1] == search.states
    again = states.copy()
    ms._canon(again)
    assert (again == states).all()  # canonical already
    assert ms.c.holds("endpoint_never_empty", states).all()
    decoded = {ms.vec.decode(states[:, j]) for j in range(states.shape[1])}
    assert len(decoded) == search.states
