"""Symmetry reduction is decided on the model's semantics (checker.symmetry), never by syntax.

Each model in tests/models/symmetry.py singles a replica out in a form no ``self.id`` read
or ``sys.worker[i]`` index shows. For each: the decision does not reduce it (naming what
breaks symmetry and the pair of replicas), and BMC, explicit search (both backends) and the
proof engines give the right verdict, the true shortest length and the exact state count.
A control forces the old behaviour (every replica group reduced) and shows it gives a wrong
answer on each model, so these tests can fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker import Model
from checker.encoding import Encoding
from checker.engines import bmc_unroll as bmc  # where the unrolling decides on symmetry
from checker.engines.bmc import run_bmc
from checker.engines.explicit import engine as explicit
from checker.engines.explicit import run_explicit
from checker.engines.kind import run_kind
from checker.engines.pdr import run_pdr
from checker.engines.prove import prove
from checker.errors import InternalError
from checker.results import PropertyResult, Verdict
from checker.symmetry import SymmetryDecision, decide, replica_groups
from models.dns.model import Dns
from tests.conftest import run_cli
from tests.models.symmetry import (
    Enumerated,
    FirstMatch,
    ListFirst,
    NameCompare,
    PickedByArgument,
    Symmetric,
    Unpacking,
    Zipped,
)


@dataclass
class Case:
    model: type[Model]
    prop: str
    verdict: Verdict
    length: int  # of the shortest counterexample or witness
    states: int  # reachable states (none are merged: the replicas are not interchangeable)
    reason: str  # in the decision's reason: what breaks symmetry
    component: str

    def __str__(self) -> str:
        return f"{self.model.__name__}-{self.prop}"


CASES = [
    Case(FirstMatch, "fifo", Verdict.VIOLATED, 3, 13, "counter.serve", "client"),
    Case(ListFirst, "second_alone", Verdict.WITNESSED, 1, 4, "property 'second_alone'", "worker"),
    Case(Unpacking, "in_order", Verdict.VIOLATED, 1, 4, "property 'in_order'", "worker"),
    Case(Unpacking, "second_after_first", Verdict.VIOLATED, 1, 4, "property 'second_after_first'", "worker"),
    Case(Zipped, "only_flagged", Verdict.VIOLATED, 1, 4, "property 'only_flagged'", "worker"),
    Case(Enumerated, "second_wins", Verdict.WITNESSED, 2, 8, "referee.record", "worker"),
    Case(NameCompare, "never_boosted", Verdict.VIOLATED, 1, 2, "booster1.boost", "booster"),
    Case(PickedByArgument, "both_done", Verdict.WITNESSED, 2, 4, "poker.poke", "target"),
]
IDS = [str(c) for c in CASES]
WriteSpec = Callable[..., Path]


def length(r: PropertyResult) -> int | None:
    return len(r.trace) if r.trace is not None else None


def everything_symmetric(enc: Encoding, properties: object = None) -> SymmetryDecision:
    """The old, unsound behaviour: every replicated component reduced."""
    return SymmetryDecision(list(replica_groups(enc.model).values()))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_decision_names_what_breaks_symmetry(case: Case) -> None:
    model = case.model.build()
    decision = decide(Encoding(model), [case.prop, "explored"])
    assert decision.groups == []
    why = decision.not_reduced[case.component]
    replicas = [i.name for i in replica_groups(model)[case.component]]
    assert case.reason in why and f"{replicas[0]} and {replicas[1]} are swapped" in why, why
    assert decision.as_json()["not_reduced"] == {case.component: why}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bmc_finds_the_shortest_answer(case: Case) -> None:
    model = case.model.build()
    r = run_bmc(model, [case.prop], 6)[0]
    assert (r.verdict, length(r)) == (case.verdict, case.length)
    assert r.extra["symmetry_reduction"]["reduced"] == []


@pytest.mark.parametrize("backend", ["numpy", "python"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_explicit_search_finds_the_shortest_answer_and_counts_every_state(case: Case, backend: str) -> None:
    model = case.model.build()
    r, explored = run_explicit(model, [case.prop, "explored"], backend=backend)
    assert (r.verdict, length(r)) == (case.verdict, case.length)
    assert explored.verdict is Verdict.HOLDS and explored.extra["exhaustive"]
    assert explored.extra["states"] == case.states
    assert explored.extra["symmetry"] is False
    full = run_explicit(model, [case.prop, "explored"], backend=backend, symmetry=False)
    assert full[1].extra["states"] == case.states


@pytest.mark.parametrize("case", [c for c in CASES if c.verdict is Verdict.VIOLATED], ids=str)
def test_the_proof_engines_refute_it(case: Case) -> None:
    model = case.model.build()
    for r in (run_pdr(model, [case.prop])[0], run_kind(model, [case.prop])[0]):
        assert (r.verdict, r.depth, length(r)) == (case.verdict, case.length, case.length), r.engine


@pytest.mark.parametrize("case", CASES[:-1], ids=IDS[:-1])  # not PickedByArgument: reducing it is sound
def test_reducing_these_replicas_gives_a_wrong_answer(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: each model really defeats the reduction (so the tests above can fail)."""
    monkeypatch.setattr(bmc, "decide_symmetry", everything_symmetric)
    monkeypatch.setattr(explicit, "decide_symmetry", everything_symmetric)
    model = case.model.build()
    wrong = []
    r = run_bmc(model, [case.prop], 6)[0]
    wrong.append((r.verdict, length(r)) != (case.verdict, case.length))
    try:
        r, explored = run_explicit(case.model.build(), [case.prop, "explored"])
        wrong.append((r.verdict, length(r), explored.extra["states"]) != (case.verdict, case.length, case.states))
    except InternalError:  # the canonical form led the trace rebuilding astray
        wrong.append(True)
    assert any(wrong)


def test_prove_confirms_spacers_counterexample_without_symmetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDR's BMC confirmation of Spacer's counterexample uses no reduction: with every replica
    group (wrongly) reduced, BMC alone misses the FIFO violation, PDR still reports it."""
    monkeypatch.setattr(bmc, "decide_symmetry", everything_symmetric)
    model = FirstMatch.build()
    assert run_bmc(model, ["fifo"], 6)[0].verdict is Verdict.HOLDS  # what a reduced confirmation sees
    r = run_pdr(FirstMatch.build(), ["fifo"], generalize=False)[0]
    assert (r.verdict, r.depth, length(r)) == (Verdict.VIOLATED, 3, 3)


def test_prove_portfolio_refutes_the_first_match_scan() -> None:
    model = FirstMatch.build()
    r = prove(model, ["fifo"], engine="auto", timeout=120)[0]
    assert (r.verdict, length(r)) == (Verdict.VIOLATED, 3)
    assert r.checked


# ---------------------------------------------------------------------------- where it does reduce
def test_interchangeable_replicas_are_reduced_to_exact_orbits() -> None:
    """3 symmetric workers and 2 declared symmetric=False: (3 + 1) * 4 orbits of 2**3 * 4 states."""
    model = Symmetric.build(workers=3)
    decision = decide(Encoding(model), ["all_done", "not_all_done", "done_stays_done", "explored"])
    assert decision.reduced == ["worker"]
    assert decision.not_reduced == {"worker_off": "declared symmetric=False"}
    for backend in ("numpy", "python"):
        for symmetry, states in ((True, 16), (False, 32)):
            found = run_explicit(model, ["all_done", "not_all_done", "explored"], symmetry=symmetry, backend=backend)
            assert [(r.verdict, length(r)) for r in found[:2]] == [(Verdict.WITNESSED, 3), (Verdict.VIOLATED, 3)]
            assert found[2].extra["states"] == states, (backend, symmetry)
    # every behaviour ends within 5 steps: at bound 6 BMC knows it (a complete answer, re-checked
    # without the reduction); at bound 5 it cannot, and says holds_to_depth
    r = run_bmc(model, ["all_done", "not_all_done", "done_stays_done"], 6)
    assert [(x.verdict, length(x)) for x in r] == [(Verdict.WITNESSED, 3), (Verdict.VIOLATED, 3), (Verdict.HOLDS, None)]
    assert run_bmc(model, ["done_stays_done"], 5)[0].verdict is Verdict.HOLDS_TO_DEPTH
    assert r[0].extra["symmetry_reduction"]["reduced"] == ["worker"]


def test_the_decision_is_per_run_over_the_properties_it_checks() -> None:
    """ListFirst's workers are interchangeable for a run that does not check second_alone."""
    model = ListFirst.build()
    enc = Encoding(model)
    assert decide(enc, ["explored"]).reduced == ["worker"]
    assert decide(enc, ["explored", "second_alone"]).reduced == []
    assert decide(enc, None).reduced == []  # None: every property of the model
    assert run_explicit(model, ["explored"])[0].extra["states"] == 3  # FF, TF ~ FT, TT
    assert ("property", "worker", "second_alone") in model.symmetry_facts  # cached per model


@pytest.mark.parametrize("variant", ["as_designed", "version_cas", "fencing_token"])
def test_dns_enactors_are_still_reduced(variant: str) -> None:
    model = Dns.build(variant=variant)
    decision = decide(Encoding(model))
    assert decision.reduced == ["enactor"] and decision.not_reduced == {}


def test_dns_fencing_token_orbit_count_is_unchanged() -> None:
    """benchmarks/README.md: 106,115 states up to permuting the Enactors (636,105 without)."""
    model = Dns.build(variant="fencing_token", enactors=3, endpoints=2, max_plans=6)
    r = run_explicit(model, ["endpoint_never_empty"])[0]
    assert r.verdict is Verdict.HOLDS and r.extra["states"] == 106_115
    assert r.extra["symmetry_reduction"]["reduced"] == ["enactor"]


# ---------------------------------------------------------------------------- the CLI says so
FIFO_SPEC = """\
model = "tests.models.symmetry:FirstMatch"
[check]
depth = 6
[expect]
fifo = "violated"
"""


@pytest.mark.parametrize("engine", ["bmc", "explicit"])
def test_check_says_which_replicas_were_reduced_and_why_not(write_spec: WriteSpec, engine: str) -> None:
    spec = write_spec(FIFO_SPEC)
    text = run_cli("check", str(spec), "--engine", engine)
    assert text.exit_code == 1, text.output
    assert "symmetry: client not reduced: what counter.serve writes" in text.stdout
    assert "client1 and client2 are swapped" in text.stdout
    out = run_cli("check", str(spec), "--engine", engine, "--json")
    assert out.exit_code == 1, out.output
    record = json.loads(out.stdout)["specs"][0]["symmetry"]
    assert record["reduced"] == [] and "counter.serve" in record["not_reduced"]["client"]
    off = run_cli("check", str(spec), "--engine", engine, "--json", "--no-symmetry")
    record = json.loads(off.stdout)["specs"][0]["symmetry"]
    assert record["not_reduced"] == {"client": "symmetry reduction turned off for this run"}
