"""The DNS race: the fixes proved for unbounded plan generations, the broken designs refuted."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import certificate as certs
from checker.engines.prove import prove
from checker.lang.runtime import CONCRETE, evaluate
from checker.results import Verdict
from checker.trace import replay
from models.dns import Dns

PROPS = ["endpoint_never_empty", "plan_never_regresses"]


def _assert_proved(results, cert: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    for r in results:
        assert r.verdict is Verdict.PROVED and r.checked, r.reason
        assert r.extra["invariant"]
    if cert is not None:
        assert certs.check_file(cert).ok


def _assert_violated(model, results) -> None:  # type: ignore[no-untyped-def]
    for r in results:
        assert r.verdict is Verdict.VIOLATED and r.trace is not None and r.trace.kind == "violation"
        assert replay(model, r.trace.transitions) == r.trace.states
        last = r.trace.states[-2:] if r.kind == "action_invariant" else r.trace.states[-1:]
        assert evaluate(model, CONCRETE, r.name, *last) is False


def test_version_cas_is_proved_for_unbounded_plans(tmp_path: Path) -> None:
    model = Dns.build(variant="version_cas")
    assert model.params.max_plans is None
    cert = tmp_path / "cas.smt2"
    results = prove(model, PROPS, engine="pdr", timeout=120, certificate=cert)
    _assert_proved(results, cert)
    text = "\n".join(results[0].extra["invariant"])
    assert "plans.lo" in text and "endpoint_plan[0]" in text  # in the model's names


@pytest.mark.parametrize("variant", ["as_designed", "cas_stale_snapshot"])
def test_broken_designs_are_violated(variant: str) -> None:
    model = Dns.build(variant=variant)
    results = prove(model, PROPS, engine="kind", timeout=120)
    _assert_violated(model, results)
    assert [r.depth for r in results] == [9, 6]


def test_stale_snapshot_only_exists_in_its_variant() -> None:
    assert not any(s.name.startswith("enactor1.seen") for s in Dns.build(variant="version_cas").slots)
    names = [s.name for s in Dns.build(variant="cas_stale_snapshot", endpoints=3).slots]
    assert [n for n in names if n.startswith("enactor1.seen")] == [f"enactor1.seen[{i}]" for i in range(3)]


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["version_cas", "fencing_token"])
@pytest.mark.parametrize(("enactors", "endpoints"), [(3, 2), (8, 3)])
def test_fixes_are_proved_at_scale(variant: str, enactors: int, endpoints: int, tmp_path: Path) -> None:
    model = Dns.build(variant=variant, enactors=enactors, endpoints=endpoints)
    cert = tmp_path / "cert.smt2"
    _assert_proved(prove(model, PROPS, engine="pdr", timeout=600, certificate=cert), cert)


@pytest.mark.slow
def test_auto_refutes_the_outage() -> None:
    model = Dns.build(variant="as_designed")
    _assert_violated(model, prove(model, PROPS, engine="auto", timeout=300))


def test_the_ladder_climbs_replicas_to_two_then_arrays() -> None:
    from checker.engines.generalize import ladder

    rungs = ladder(Dns.build(variant="fencing_token", enactors=8, endpoints=3))
    assert rungs == [
        {"enactors": 1, "endpoints": 1},
        {"enactors": 2, "endpoints": 1},
        {"enactors": 2, "endpoints": 2},
        {"enactors": 2, "endpoints": 3},
    ]
    assert ladder(Dns.build(enactors=1, endpoints=1)) == []


def test_lemmas_are_instantiated_for_every_choice_of_replicas() -> None:
    import z3

    from checker.encoding import Encoding
    from checker.engines.generalize import instantiate

    big = Encoding(Dns.build(variant="version_cas", enactors=3), sets="auto")
    a, b = z3.Ints("enactor1.plan enactor2.plan")
    images = instantiate([a <= b, a >= 0], big)
    assert len(images) == 3 * 2 + 3  # ordered pairs of distinct replicas, then each replica
    assert all("enactor" in str(i) for i in images)


def test_array_indices_of_lemmas_are_shifted_to_longer_arrays() -> None:
    import z3

    from checker.encoding import Encoding
    from checker.engines.generalize import shift_indices

    small = Dns.build(variant="fencing_token", enactors=2, endpoints=1)
    big = Encoding(Dns.build(variant="fencing_token", enactors=2, endpoints=3), sets="auto")
    plan, token, latest = z3.Ints("endpoint_plan[0] endpoint_token[0] planner.latest")
    shifted = {str(e) for e in shift_indices([plan <= latest, plan >= token, latest >= 1], small, big)}
    # each element-mentioning lemma for every endpoint (the original among them); the others
    # are not repeated: they are carried over anyway
    assert shifted == {f"endpoint_plan[{i}] <= planner.latest" for i in range(3)} | {
        f"endpoint_plan[{i}] >= endpoint_token[{i}]" for i in range(3)
    }
    same = Dns.build(variant="fencing_token", enactors=1, endpoints=3)
    assert shift_indices([plan <= latest], same, big) == []  # no array grew


def test_error_rules_ruled_out_by_the_cover_are_left_to_it() -> None:
    """Spacer is not asked about an obligation the cover (Houdini's lemmas) already settles;
    when the cover settles all of them, it is the whole invariant, and the certificate
    re-check still judges it."""
    import z3

    from checker.encoding import Encoding
    from checker.engines.generalize import houdini, instantiate
    from checker.engines.obligations import Clock, Obligations
    from checker.engines.pdr import _spacer

    model = Dns.build(variant="version_cas", enactors=2, endpoints=1)
    enc = Encoding(model, sets="auto")
    status, found = _spacer(enc, PROPS, Clock(None))
    assert status == z3.unsat
    lemmas = [found] if not z3.is_and(found) else list(found.children())
    cover = houdini(enc, Obligations(enc, PROPS), instantiate(lemmas, enc), Clock(None))
    assert cover
    status, rest = _spacer(enc, PROPS, Clock(None), cover=cover)
    assert status == z3.unsat and z3.is_true(rest)
    cert = certs.Certificate(enc, z3.And(cover), PROPS, k=1, engine="pdr")
    assert certs.check(cert, 60).ok


def test_enum_bounds_describe_the_same_states() -> None:
    import z3

    from checker.encoding import Encoding

    enc = Encoding(Dns.build(variant="fencing_token", enactors=2, endpoints=2), sets="auto")
    solver = z3.Solver()
    solver.add(enc.domain(enc.x) != enc.domain(enc.x, enum_bounds=True))
    assert solver.check() == z3.unsat
    assert "Or(" not in str(enc.domain(enc.x, enum_bounds=True))


def test_proof_is_generalized_from_smaller_instances() -> None:
    (r, _) = prove(Dns.build(variant="version_cas"), PROPS, engine="pdr", timeout=120)
    assert r.verdict is Verdict.PROVED
    assert "generalized from smaller instances" in r.reason


@pytest.mark.slow
def test_direct_spacer_proves_without_the_ladder() -> None:
    from checker.engines.pdr import run_pdr

    results = run_pdr(Dns.build(variant="version_cas"), PROPS, timeout=300, generalize=False)
    _assert_proved(results)
    assert all("generalized" not in r.reason for r in results)
