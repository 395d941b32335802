"""The proof engines (k-induction, PDR) and `prove` on small systems with known answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import z3

from checker import certificate as certs
from checker.encoding import Encoding
from checker.engines.kind import CTI_REASON, run_kind
from checker.engines.pdr import run_pdr
from checker.engines.prove import prove
from checker.errors import ModelError
from checker.lang.runtime import CONCRETE, evaluate
from checker.results import Verdict
from checker.trace import replay
from models.dns import Dns
from tests.models.proof_systems import CopyCounter, GapSet, Peterson

ENGINES = ["kind", "pdr"]


def assert_replayed_violation(model, result) -> None:  # type: ignore[no-untyped-def]
    """A real counterexample: starts in the initial state, replays, and breaks the property."""
    assert result.verdict is Verdict.VIOLATED and result.checked
    trace = result.trace
    assert trace is not None and trace.kind == "violation"
    assert trace.states[0] == model.init
    assert replay(model, trace.transitions) == trace.states
    assert evaluate(model, CONCRETE, result.name, trace.states[-1]) is False


# ---------------------------------------------------------------------------- Peterson
@pytest.mark.parametrize("engine", ENGINES)
def test_peterson_mutex_is_proved(engine: str, tmp_path: Path) -> None:
    model = Peterson.build()
    cert = tmp_path / "peterson.smt2"
    (r,) = prove(model, ["mutex"], engine=engine, certificate=str(cert), max_k=20)
    assert r.verdict is Verdict.PROVED and r.checked
    assert r.extra["invariant"] and all(isinstance(line, str) for line in r.extra["invariant"])
    assert r.extra["certificate"] == str(cert)
    assert certs.check_file(cert).ok


def test_peterson_pdr_invariant_reads_in_model_terms() -> None:
    (r,) = prove(Peterson.build(), ["mutex"], engine="pdr")
    text = "\n".join(r.extra["invariant"])
    # slot names as the model declares them, enum values by name (not z3's integers)
    assert re.search(r'proc[12]\.pc (==|!=|in) [{"]', text)
    assert "flag[" in text
    assert "Var(" not in text and "Not(" not in text


def test_kind_needs_several_steps_for_peterson() -> None:
    (r,) = run_kind(Peterson.build(), ["mutex"], max_k=20)
    assert r.verdict is Verdict.PROVED
    assert r.extra["k"] > 1  # mutual exclusion alone is not 1-inductive


@pytest.mark.parametrize("engine", ENGINES)
def test_broken_peterson_is_violated(engine: str) -> None:
    model = Peterson.build(variant="turn_first")
    (r,) = prove(model, ["mutex"], engine=engine)
    assert_replayed_violation(model, r)
    assert r.depth == len(r.trace) == 6  # the shortest interleaving that breaks it


# ---------------------------------------------------------------------------- strengthening
def test_copy_counter_needs_strengthening_for_kind_only() -> None:
    model = CopyCounter.build()
    (alone,) = run_kind(model, ["y_nonneg"], max_k=6)
    assert alone.verdict is Verdict.UNKNOWN and "cti" in alone.extra

    (helped,) = run_kind(CopyCounter.build(), ["y_nonneg"], strengthen=["x_nonneg"])
    assert helped.verdict is Verdict.PROVED and helped.extra["k"] == 1
    assert set(helped.extra["proved_with"]) == {"y_nonneg", "x_nonneg"}

    (pdr,) = run_pdr(CopyCounter.build(), ["y_nonneg"])
    assert pdr.verdict is Verdict.PROVED  # Spacer finds x >= 0 by itself
    assert any("x" in line for line in pdr.extra["invariant"])


def test_violated_strengthening_invariant_is_reported() -> None:
    (r,) = run_kind(CopyCounter.build(), ["y_nonneg"], strengthen=["y_small"], max_k=7)
    assert r.verdict is Verdict.UNKNOWN
    assert "strengthening invariant 'y_small' is violated" in r.reason


@pytest.mark.parametrize("engine", ENGINES)
def test_action_invariant_is_proved(engine: str) -> None:
    (r,) = prove(CopyCounter.build(), ["x_grows"], engine=engine)
    assert r.verdict is Verdict.PROVED and r.checked


# ---------------------------------------------------------------------------- CTI vs violation
def test_cti_and_violation_are_reported_differently() -> None:
    model = CopyCounter.build()
    cti_result, violation = run_kind(model, ["y_nonneg", "y_small"], max_k=6)

    assert cti_result.verdict is Verdict.UNKNOWN and cti_result.trace is None
    assert cti_result.reason.startswith(CTI_REASON)
    cti = cti_result.extra["cti"]
    assert cti.kind == "cti" and len(cti.states) == 7  # k + 1 states at k = 6
    assert cti.states[0] != model.init  # not reachable: x < 0 somewhere
    assert evaluate(model, CONCRETE, "y_nonneg", cti.states[-2]) is True
    assert evaluate(model, CONCRETE, "y_nonneg", cti.states[-1]) is False
    assert "fired concretely" in cti.notes["checked"]

    assert_replayed_violation(model, violation)
    assert violation.depth == 5


# ---------------------------------------------------------------------------- certificates
def _peterson_certificate() -> str:
    (r,) = run_pdr(Peterson.build(), ["mutex"])
    assert r.verdict is Verdict.PROVED
    return r.extra["certificate_text"]


def test_certificate_recheck_accepts_the_real_invariant(tmp_path: Path) -> None:
    text = _peterson_certificate()
    path = tmp_path / "cert.smt2"
    path.write_text(text)
    assert certs.check_text(text).ok  # a fresh z3 context in this process
    binary = certs.z3_binary()
    assert binary is not None, "pip's z3-solver installs a z3 executable"
    result = certs.check_file(path, binary=binary)
    assert result.ok and result.answers == {b: "unsat" for b in certs.BLOCKS}


@pytest.mark.parametrize(
    ("tamper", "rejected_by"),
    [
        ("true", "safety"),  # too weak: does not imply mutual exclusion
        ("(= turn 5)", "initiation"),  # false initially
        # true initially and strong enough, but not closed under steps
        ("(and (= |proc1.pc| 0) (= |proc2.pc| 0))", "consecution"),
    ],
)
def test_certificate_recheck_rejects_a_tampered_invariant(tmp_path: Path, tamper: str, rejected_by: str) -> None:
    text = _peterson_certificate()
    head, rest = text.split("(define-fun inv (", 1)
    params, _body = rest.split(") Bool\n", 1)
    body_end = _body.index("\n(define-fun prop")
    tampered = f"{head}(define-fun inv ({params}) Bool\n  {tamper})" + _body[body_end:]
    path = tmp_path / "tampered.smt2"
    path.write_text(tampered)
    for result in (certs.check_file(path), certs.check_text(tampered)):
        assert not result.ok
        assert rejected_by in result.failed


def test_certificate_object_rejects_a_wrong_invariant() -> None:
    model = Peterson.build()
    enc = Encoding(model)
    wrong = z3.BoolVal(True)
    assert not certs.check(certs.Certificate(enc, wrong, ["mutex"])).ok


# ---------------------------------------------------------------------------- timeouts, API
@pytest.mark.parametrize("engine", ["kind", "pdr", "auto"])
def test_tiny_timeout_gives_unknown(engine: str) -> None:
    model = Dns.build(variant="fencing_token")
    results = prove(model, ["endpoint_never_empty", "plan_never_regresses"], engine=engine, timeout=0.05)
    for r in results:
        assert r.verdict is Verdict.UNKNOWN
        assert "timeout" in r.reason


def test_auto_runs_engines_side_by_side() -> None:
    proved, violated = Peterson.build(), Peterson.build(variant="turn_first")
    (r,) = prove(proved, ["mutex"], engine="auto", timeout=60)
    # (Peterson is finite: its reachable set proves it before the portfolio starts)
    assert r.verdict is Verdict.PROVED and r.checked and r.engine in ("kind", "pdr", "exhaustive")
    (v,) = prove(violated, ["mutex"], engine="auto", timeout=60)
    assert_replayed_violation(violated, v)  # replayed again in this process


def test_auto_reports_the_cti_when_nothing_proves() -> None:
    # a small max_k: k-induction gives up with its CTI long before the timeout, however loaded the machine
    (r,) = prove(GapSet.build(), ["no_even_top"], engine="auto", timeout=10, max_k=2)
    assert r.verdict is Verdict.UNKNOWN
    assert r.extra["cti"].kind == "cti" and r.reason.startswith(CTI_REASON)


def test_prove_rejects_bad_requests() -> None:
    with pytest.raises(ModelError, match="unknown property"):
        prove(Peterson.build(), ["nope"], engine="kind")
    with pytest.raises(ValueError, match="engine"):
        prove(Peterson.build(), ["mutex"], engine="magic")


def test_reachable_properties_are_not_for_the_proof_engines() -> None:
    (r,) = prove(Dns.build(variant="version_cas"), ["every_endpoint_updated"], engine="kind", timeout=30)
    assert r.verdict is Verdict.UNKNOWN and "use check" in r.reason


def test_interval_gap_falls_back_to_arrays() -> None:
    (r,) = prove(GapSet.build(), ["holds_top"], engine="kind", timeout=30)
    assert r.verdict is Verdict.PROVED
    assert r.extra["sets"].startswith("array")
