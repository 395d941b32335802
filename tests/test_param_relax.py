"""Bounded integer sets in proofs for all replicas (`checker.param.relax`, `checker.param.membership`):
the fencing fix with a bound on plan generations (its plan store is one boolean per
generation) proved for all Enactors and endpoints from the lemmas of the model without the
bound, each re-checked on the bounded model, and never contradicted by exhaustive search."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import certificate as certs
from checker.engines.explicit import run_explicit
from checker.param import infer
from checker.param.lemmas import Lemma
from checker.param.relax import lifted
from checker.param.run import prove_for_all
from checker.results import Verdict
from models.dns import Dns

DNS_PROPS = ["endpoint_never_empty", "plan_never_regresses"]


def test_only_optional_bounds_that_are_set_are_lifted() -> None:
    model = Dns.build(variant="fencing_token", max_plans=6)
    assert lifted(model, {"enactors", "endpoints"}) == {"max_plans": None}
    assert lifted(Dns.build(variant="fencing_token"), {"enactors", "endpoints"}) == {}
    # the replica count and the index are never lifted, nor parameters without a "none"
    assert "cleanup_age" not in lifted(model, set())


def test_bounded_fencing_is_proved_for_all_and_lifted_lemmas_are_rechecked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A lemma the model without the bound hands over is a guess: one that is false on the
    bounded model (no plan beyond generation 2 is ever created) is dropped, not trusted; the
    rest prove the bounded model for all Enactors and endpoints, and the z3 binary agrees."""
    real = infer.relaxed_candidates

    def with_a_false_one(pe, ground, model, properties, clock, sizes, *notes):  # type: ignore[no-untyped-def]
        lemmas, origin, cutoff = real(pe, ground, model, properties, clock, sizes, *notes)
        latest = next(c for c in pe.p0[0] if c.decl().name() == "planner.latest")
        return [*lemmas, Lemma(0, latest <= 2, "planner.latest <= 2 (planted)", origin)], origin, cutoff

    monkeypatch.setattr(infer, "relaxed_candidates", with_a_false_one)
    out = prove_for_all(Dns.build(variant="fencing_token", max_plans=6), "enactors", DNS_PROPS, 240, "endpoints")
    assert out.proved, out.why
    assert "proved for all enactors ≥ 1 and endpoints ≥ 1" in out.why and "max_plans=none" in out.why
    assert "max_plans=6" in out.why  # proved for the bounded model, not the one without the bound
    assert "planner.latest <= 2 (planted)" not in out.invariant
    assert "∀ i < endpoints: plans.contains(endpoint_plan[i])" in out.invariant  # a membership template
    assert out.certificate_text is not None and "plans{6}" in out.certificate_text
    path = tmp_path / "cert.smt2"
    path.write_text(out.certificate_text)
    check = certs.check_file(path)
    assert check.ok, check.answers
    assert certs.z3_binary() is None or "z3 binary" in check.how


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["fencing_token", "as_designed"])
def test_bounded_proof_for_all_agrees_with_exhaustive_search(variant: str) -> None:
    params = {"variant": variant, "max_plans": 4}
    out = prove_for_all(Dns.build(**params), "enactors", DNS_PROPS, 300, "endpoints")
    assert out.proved == (variant == "fencing_token"), out.why
    seen = set()
    for n in range(1, 4):
        for m in range(1, 4):
            results = run_explicit(Dns.build(**params, enactors=n, endpoints=m), DNS_PROPS, max_states=3_000_000)
            verdicts = {r.verdict for r in results}
            seen |= verdicts
            if out.proved:
                assert verdicts == {Verdict.HOLDS}, (n, m, [(r.name, r.verdict) for r in results])
    assert out.proved or Verdict.VIOLATED in seen
