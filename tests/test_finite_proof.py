"""A finite instance proved by its reachable set (`checker.engines.finite_proof`): the
disjunction of the reachable states, re-checked as a certificate like any invariant."""

from __future__ import annotations

from pathlib import Path

import z3

from checker import certificate as certs
from checker.encoding import Encoding
from checker.engines.finite_proof import ENGINE, prove_finite, reachable_states
from checker.engines.graph_build import build_graph
from checker.engines.prove import prove
from checker.lang.runtime import CONCRETE, evaluate
from checker.results import Verdict
from checker.run import prove_spec
from checker.spec import load_spec
from checker.trace import replay
from models.dns import Dns
from tests.models.counter import AtomicCounter
from tests.models.proof_systems import CopyCounter, Peterson
from tests.test_prove import assert_replayed_violation

ROOT = Path(__file__).resolve().parent.parent


def test_a_finite_instance_is_proved_by_its_reachable_set(tmp_path: Path) -> None:
    model = Peterson.build()
    cert = tmp_path / "peterson.smt2"
    (r,) = prove(model, ["mutex"], engine="auto", timeout=120, certificate=cert)
    assert r.verdict is Verdict.PROVED and r.checked and r.engine == ENGINE
    # every concrete reachable state, as the state-graph builder (another search) counts them
    graph = build_graph(model, ["mutex"])
    assert graph.complete and r.extra["reachable_states"] == graph.nodes
    assert f"{graph.nodes} reachable states" in r.reason and "re-checked unsat" in r.reason
    assert len(r.extra["invariant"]) == 1  # said in one line, not as a list of states
    assert certs.check_file(cert).ok  # the file stands on its own (the z3 binary, if there is one)


def test_a_violated_property_gets_the_explicit_engines_trace() -> None:
    model = Peterson.build(variant="turn_first")
    (found,) = prove_finite(model, ["mutex"], None)  # false in a reachable state: no certificate
    assert found.engine == "explicit" and "certificate_text" not in found.extra
    assert_replayed_violation(model, found)
    (r,) = prove(model, ["mutex"], engine="auto", timeout=120)
    assert_replayed_violation(model, r)
    assert r.engine == "explicit" and r.depth == found.depth  # shortest, as `check` finds it


def test_a_reachable_set_missing_a_state_fails_the_re_check() -> None:
    model = Peterson.build()
    found = reachable_states(model, 10_000, None)
    assert found is not None and len(found[0]) > 2
    states = found[0]
    enc = Encoding(model, sets="array")
    enc.prop("mutex", enc.x, enc.x_next)

    def check(kept: list[tuple]) -> certs.CheckResult:
        invariant = z3.Or([enc.equal(enc.x, enc.const_state(s)) for s in kept])
        return certs.check(certs.Certificate(enc, invariant, ["mutex"]))

    assert check(states).ok
    short = check(states[:-1])  # not closed under the steps any more
    assert not short.ok and short.answers["consecution"] == "sat"


def test_infinite_or_large_instances_are_left_to_the_proof_engines() -> None:
    # unbounded counters written by actions: never enumerated (the engine-choice rule)
    assert prove_finite(CopyCounter.build(), ["y_nonneg"], None) == []
    assert prove_finite(AtomicCounter.build(), ["no_lost_update"], None) == []
    assert prove_finite(Dns.build(variant="version_cas"), ["endpoint_never_empty"], None) == []
    # finite, but more states than the cap
    assert reachable_states(Peterson.build(), 3, None) is None
    assert prove_finite(Peterson.build(), ["mutex"], None, cap=3) == []


def test_a_finite_instance_past_the_cap_is_searched_for_violations() -> None:
    """The stale-snapshot CAS (3 Enactors x 2 endpoints, 5 plans) is finite but has more
    concrete states than the enumeration's cap: the explicit engine, with symmetry reduction,
    finds the 9-step race before any proof engine runs (the portfolio's BMC took about 5 s)."""
    model = load_spec(ROOT / "specs/dns_cas_stale_snapshot.toml").build()
    assert reachable_states(model, 2_000, None) is None  # past the cap
    found = prove_finite(model, ["endpoint_never_empty"], 60)
    assert [r.name for r in found] == ["endpoint_never_empty"]
    (r,) = found
    assert r.verdict is Verdict.VIOLATED and r.engine == "explicit" and len(r.trace) == 9
    assert "explicit search (finite instance)" in r.reason
    assert_replayed_violation(model, r)
    # a property that holds there is neither proved nor reported: the proof engines decide it
    assert prove_finite(Peterson.build(), ["mutex"], None, cap=3) == []


def test_prove_of_the_alternating_bit_spec_uses_its_reachable_set() -> None:
    sr = prove_spec(load_spec(ROOT / "specs" / "channels_alternating_bit.toml"), timeout=120)
    safety = [r for r in sr.results if r.kind != "reachable"]
    assert safety and all(r.verdict is Verdict.PROVED and r.engine == ENGINE for r in safety)
    assert all(r.expected is None or r.verdict.value in ("proved", "witnessed") for r in sr.results)
    assert sr.exit_code == 0


def test_proved_and_violated_properties_of_one_instance_are_told_apart() -> None:
    spec = load_spec(ROOT / "specs" / "lease_fencing.toml")
    model = spec.build()
    names = ["writes_in_lease_order", "writes_under_live_lease", "written_token_was_granted"]
    by_name = {r.name: r for r in prove_finite(model, names, 120)}
    bad = by_name["writes_under_live_lease"]  # an action invariant: its last step breaks it
    assert bad.verdict is Verdict.VIOLATED and bad.checked and bad.trace is not None
    assert (
        bad.trace.states[0] in model.inits
        and replay(model, bad.trace.transitions, bad.trace.states[0]) == bad.trace.states
    )
    assert evaluate(model, CONCRETE, bad.name, bad.trace.states[-2], bad.trace.states[-1]) is False
    for n in ("writes_in_lease_order", "written_token_was_granted"):  # one certificate for both
        assert by_name[n].verdict is Verdict.PROVED and by_name[n].checked and by_name[n].engine == ENGINE
    text = by_name["writes_in_lease_order"].extra["certificate_text"]
    assert "; properties: writes_in_lease_order, written_token_was_granted\n" in text
