"""The interval encoding of unbounded int sets: when it is used, and that it changes nothing."""

from __future__ import annotations

import pytest
import z3

from checker.encoding import Encoding
from checker.engines.bmc import run_bmc
from checker.errors import ModelError
from checker.lang import intervals
from models.dns import VARIANTS, Dns

PROPS = ["endpoint_never_empty", "plan_never_regresses"]
g, t, u = z3.Ints("g t u")


@pytest.mark.parametrize(
    ("pred", "side", "bound"),
    [
        (g < t, "below", t),
        (g <= t, "below", t + 1),
        (t > g, "below", t),
        (g + 2 <= t - 1, "below", t - 2),
        (z3.Not(g >= t), "below", t),
        (g > t, "above", t),
        (-g < -t, "above", t),
        (g >= t + u, "above", t + u - 1),
    ],
)
def test_thresholds_are_recognized(pred: z3.BoolRef, side: str, bound: z3.ArithRef) -> None:
    found = intervals.threshold(pred, g)
    assert found is not None and found[0] == side
    solver = z3.Solver()
    solver.add(found[1] != bound)
    assert solver.check() == z3.unsat


@pytest.mark.parametrize("pred", [z3.And(g < t, g != u), g == t, 2 * g < t, z3.Or(g < t, g > u)])
def test_other_predicates_are_not_thresholds(pred: z3.BoolRef) -> None:
    assert intervals.threshold(pred, g) is None


def test_dns_uses_intervals_except_for_cleanup_guard() -> None:
    for variant in VARIANTS:
        enc = Encoding(Dns.build(variant=variant), sets="auto")
        if variant == "cleanup_guard":  # it deletes around the plans endpoints serve: gaps
            assert not enc.interval_slots and "plans" in enc.array_sets
            assert enc.logic == "QF_AUFLIA"
        else:
            assert [enc.model.slots[i].name for i in enc.interval_slots] == ["plans"]
            assert enc.logic == "QF_LIA"


def test_intervals_cannot_be_forced_where_they_do_not_fit() -> None:
    with pytest.raises(ModelError, match="not of the form g < t"):
        Encoding(Dns.build(variant="cleanup_guard"), sets="interval")


def test_bounded_sets_are_unaffected() -> None:
    enc = Encoding(Dns.build(variant="version_cas", max_plans=5), sets="auto")
    assert not enc.interval_slots and enc.logic == "QF_LIA"


def _bmc(variant: str, depth: int, **kw: object) -> list[tuple[str, int | None]]:
    sets = kw.pop("sets", "array")
    model = Dns.build(variant=variant, **kw)
    return [(r.verdict.value, r.depth) for r in run_bmc(model, PROPS, depth, encoding=Encoding(model, sets=str(sets)))]


# Within `depth` steps the planner adds at most `depth` plans, so max_plans = depth + 2 never
# binds: the bounded model (sets as bit vectors) has exactly the unbounded model's traces.
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "cleanup_guard"])
def test_bmc_verdicts_do_not_change_with_intervals(variant: str) -> None:
    depth = 6
    assert _bmc(variant, depth, sets="interval") == _bmc(variant, depth, max_plans=depth + 2)


@pytest.mark.slow
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "cleanup_guard"])
def test_bmc_verdicts_do_not_change_with_intervals_deeper(variant: str) -> None:
    depth = 9  # deep enough for every violation of these variants
    expected = _bmc(variant, depth, max_plans=depth + 2)
    assert _bmc(variant, depth, sets="interval") == expected
    arrays = _bmc(variant, depth)  # z3 may give up on the arrays' lambdas: compare its answers
    assert all(a == e for a, e in zip(arrays, expected, strict=True) if a[0] != "unknown")
