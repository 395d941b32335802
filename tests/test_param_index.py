"""Proofs for every number of replicas *and* every size of the arrays a parameter sizes
(`checker.param.index`): the DNS fixes for all Enactors and endpoints, certificates
re-checked by the z3 binary, broken designs violated at a named size, readings that differ
from the model at some size refused, and every "proved" checked by exhaustive search at
sizes 1-4."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import z3

from checker import certificate as certs
from checker.engines.explicit import run_explicit
from checker.param.run import prove_for_all
from checker.results import Verdict
from models.dns import Dns
from tests.conftest import run_cli
from tests.models import param_systems as ps

DNS_PROPS = ["endpoint_never_empty", "plan_never_regresses"]
PAINT = ["cells_bounded", "never_lowered"]
REPO = Path(__file__).resolve().parent.parent


def _binary(tmp_path: Path, text: str) -> certs.CheckResult:
    path = tmp_path / "cert.smt2"
    path.write_text(text)
    return certs.check_file(path)


def _dns_proved(variant: str, tmp_path: Path) -> None:
    out = prove_for_all(Dns.build(variant=variant), "enactors", DNS_PROPS, 300, "endpoints")
    assert out.proved, out.why
    assert "proved for all enactors ≥ 1 and endpoints ≥ 1" in out.why
    assert "checked equal to the model at every endpoints the model allows (1..8)" in out.why
    # which lemmas PDR finds varies; an Enactor's plan is below every endpoint it has written
    assert any(line.startswith("∀ e ∈ enactor, i < endpoints: ") for line in out.invariant), out.invariant
    assert not any(re.search(r"enactor\d|endpoint_plan\[1\]", line) for line in out.invariant), out.invariant
    assert out.certificate_text is not None
    assert _binary(tmp_path, out.certificate_text).ok
    # without the lemmas over every Enactor and every endpoint, the rest is not inductive
    tampered, n = re.subn(r"(\(define-fun inv1i \([^\n]*\) Bool\n  ).*?(?=\n\(define-fun )", r"\1true",
                          out.certificate_text, flags=re.S)  # fmt: skip
    assert n == 1
    assert not _binary(tmp_path, tampered).ok


def test_version_cas_is_proved_for_all_enactors_and_endpoints(tmp_path: Path) -> None:
    _dns_proved("version_cas", tmp_path)


@pytest.mark.slow
def test_fencing_token_is_proved_for_all_enactors_and_endpoints(tmp_path: Path) -> None:
    _dns_proved("fencing_token", tmp_path)


def _search(cls, props: list[str], **params: int) -> set[Verdict]:  # type: ignore[no-untyped-def]
    results = run_explicit(cls.build(**params), props, max_states=500_000, timeout=120, symmetry=False)
    return {r.verdict for r in results}


def test_painting_proved_for_all_painters_and_cells_agrees_with_search() -> None:
    out = prove_for_all(ps.CasPainting.build(), "painters", PAINT, 60, "cells")
    assert out.proved, out.why
    assert "proved for all painters ≥ 1 and cells ≥ 1" in out.why
    for n in (1, 2, 3):
        for m in (1, 2, 3, 4):
            assert _search(ps.CasPainting, PAINT, painters=n, cells=m) == {Verdict.HOLDS}, (n, m)


@pytest.mark.slow
def test_painting_agrees_with_search_at_four_painters() -> None:
    for m in (1, 2, 3, 4):
        assert _search(ps.CasPainting, PAINT, painters=4, cells=m) == {Verdict.HOLDS}, m


def test_blind_painting_is_violated_at_a_named_size() -> None:
    out = prove_for_all(ps.BlindPainting.build(), "painters", PAINT, 60, "cells")
    assert not out.proved and out.violated_sizes == {"painters": 2, "cells": 2}, out.why
    assert "violated with painters=2, cells=2" in out.why
    assert Verdict.VIOLATED in _search(ps.BlindPainting, ["never_lowered"], painters=2, cells=2)


def test_a_reading_that_differs_from_the_model_at_some_size_is_refused() -> None:
    out = prove_for_all(ps.FirstTwoCells.build(), "painters", ["first_two_bounded"], 60, "cells")
    assert not out.proved
    assert out.why.startswith("refused: not for all cells: the parameterized reading differs at cells=3"), out.why


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        ("cas_stale_snapshot", "'enactor1.seen' is an array of 'endpoints' elements per replica"),
        ("cleanup_guard", "with a symbolic 'endpoints' the model fails"),
    ],
)
def test_dns_code_that_loops_over_endpoints_is_refused(variant: str, why: str) -> None:
    out = prove_for_all(Dns.build(variant=variant), "enactors", DNS_PROPS, 60, "endpoints")
    assert not out.proved and out.why.startswith("refused: not for all endpoints") and why in out.why, out.why


def test_cli_for_all_enactors_and_endpoints(tmp_path: Path) -> None:
    cert = tmp_path / "cas.smt2"
    spec = str(REPO / "specs" / "dns_version_cas.toml")
    res = run_cli("prove", spec, "--for-all", "enactors,endpoints", "--certificate", str(cert))
    assert res.exit_code == 0, res.stdout + res.stderr
    text = " ".join(res.stdout.split())
    assert "proved for all enactors ≥ 1 and endpoints ≥ 1" in text
    assert "∀ e ∈ enactor, i < endpoints:" in text
    # the index survives the terminal: rich must not read "[i]" as a style tag
    assert re.search(r"∀ e ∈ enactor, i < endpoints: [^∀]*endpoint_plan\[i\]", text), text
    assert certs.check_file(cert).ok


def test_spec_setting_for_all_enactors_and_endpoints(tmp_path: Path) -> None:
    spec = tmp_path / "cas.toml"
    source = (REPO / "specs" / "dns_version_cas.toml").read_text()
    spec.write_text(source.replace("[check]", '[prove]\nfor_all = ["enactors", "endpoints"]\n\n[check]'))
    res = run_cli("prove", str(spec))
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "proved for all enactors ≥ 1 and endpoints ≥ 1" in " ".join(res.stdout.split())


@pytest.mark.slow
def test_stale_snapshot_falls_back_to_every_enactor_count_and_is_violated() -> None:
    spec = str(REPO / "specs" / "dns_cas_stale_snapshot.toml")
    res = run_cli("prove", spec, "--for-all", "enactors,endpoints", "--property", "endpoint_never_empty", "--json")
    assert res.exit_code == 1, res.stdout
    data = json.loads(res.stdout)
    result = (data["results"] if "results" in data else data["specs"][0]["results"])[0]
    assert result["verdict"] == "violated"
    assert "not for all endpoints" in result["reason"] and "violated with enactors=2" in result["reason"], result


def test_each_property_says_the_array_size_was_not_read_for_every_value() -> None:
    """Two properties, each refuted alone at 2 Enactors once the endpoints-sized arrays were
    refused (cleanup_guard loops over them): each answer still says that endpoints stayed 2."""
    spec = str(REPO / "specs" / "dns_cleanup_guard.toml")
    props = ["--property", "endpoint_never_empty", "--property", "plan_never_regresses"]
    res = run_cli("prove", spec, "--for-all", "enactors,endpoints", *props, "--json")
    assert res.exit_code == 1, res.stdout
    for r in json.loads(res.stdout)["specs"][0]["results"]:
        assert r["verdict"] == "violated" and r["for_all_violated_at"] == {"enactors": 2}, r
        assert "violated with enactors=2" in r["reason"] and "not for all endpoints" in r["reason"], r["reason"]
        assert "(endpoints=2 kept)" in r["reason"] and "models/dns/model.py:" in r["reason"], r["reason"]
        assert not r["reason"].endswith(": "), r["reason"]  # the instance's own answer is said too


def test_other_outage_models_are_refused_precisely() -> None:
    from models.dwfm import Dwfm

    model = Dwfm.build()
    safety = [n for n, p in model.properties.items() if p.kind == "invariant"]
    out = prove_for_all(model, "workers", safety, 30)
    # the quantified reading's refusal names the line and shows the code: a count over the workers
    # (the CLI then proves them with counters: tests/test_param_counting.py)
    assert out.why.startswith("refused:") and "reads sys.worker" in out.why and "count_of(" in out.why, out.why
    # NLB replicates no component: --for-all azs searches every value first (tests/test_param_each.py);
    # a parameter without a maximum cannot be searched so
    res = run_cli("prove", str(REPO / "specs" / "nlb_failover.toml"), "--for-all", "load")
    assert res.exit_code == 2 and "'load' declares no maximum" in res.stdout + res.stderr, res.stdout + res.stderr


def test_a_property_over_every_replica_is_proved_quantified(tmp_path: Path) -> None:
    out = prove_for_all(ps.EveryWorkerCounted.build(), "workers", ["inside_is_counted", "inside_at_most_one"], 60)
    assert out.proved, out.why
    assert "inside_is_counted read for every worker replica, checked equal to the model at every workers" in out.why
    assert out.certificate_text is not None and _binary(tmp_path, out.certificate_text).ok
    for n in (1, 2, 3, 4):
        assert _search(ps.EveryWorkerCounted, ["inside_is_counted"], workers=n) == {Verdict.HOLDS}, n


def test_a_property_that_is_not_of_every_replica_is_refused() -> None:
    out = prove_for_all(ps.SomeWorkerOut.build(), "workers", ["some_worker_out"], 60)
    assert not out.proved
    assert "at workers=2: property 'some_worker_out' is not the same property of every replica" in out.why, out.why


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["version_cas", "fencing_token"])
def test_dns_proof_for_all_enactors_and_endpoints_agrees_with_search(variant: str) -> None:
    # finite plans and tokens, so that explicit search ends; the proof is for these parameters too
    params = {"variant": variant, "max_plans": 4, "max_tokens": 4}
    out = prove_for_all(Dns.build(**params), "enactors", DNS_PROPS, 300, "endpoints")
    # with tokens bounded, the fencing proof's lemmas do not all generalize in time: nothing is
    # claimed then (the unbounded fencing fix is proved above)
    assert out.proved or variant == "fencing_token", out.why
    if not out.proved:
        assert out.violated_at is None, out.why
        return
    for n, m in [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (3, 1), (3, 2)]:
        results = run_explicit(
            Dns.build(**params, enactors=n, endpoints=m), DNS_PROPS, max_states=2_000_000, timeout=300
        )
        assert {r.verdict for r in results} == {Verdict.HOLDS}, (n, m, [(r.name, r.verdict) for r in results])


def test_a_property_over_every_replica_and_every_index_is_proved(tmp_path: Path) -> None:
    props = ["painted_below_latest", "cells_bounded"]
    out = prove_for_all(ps.PaintersAndCells.build(), "painters", props, 60, "cells")
    assert out.proved, out.why
    assert "proved for all painters ≥ 1 and cells ≥ 1" in out.why
    assert "painted_below_latest read for every painter replica" in out.why
    assert out.certificate_text is not None and _binary(tmp_path, out.certificate_text).ok
    # the certificate's property is over a replica and an index: without the per-painter lemma it fails
    tampered, n = re.subn(r"(\(define-fun inv1 \([^\n]*\) Bool\n  ).*?(?=\n\(define-fun )", r"\1true",
                          out.certificate_text, flags=re.S)  # fmt: skip
    assert n == 1
    assert not _binary(tmp_path, tampered).ok
    for n_painters in (1, 2, 3):
        for m in (1, 2, 3, 4):
            found = _search(ps.PaintersAndCells, ["painted_below_latest"], painters=n_painters, cells=m)
            assert found == {Verdict.HOLDS}, (n_painters, m)


@pytest.mark.slow
def test_over_every_replica_and_index_agrees_with_search_at_four_painters() -> None:
    for m in (1, 2, 3, 4):
        assert _search(ps.PaintersAndCells, ["painted_below_latest"], painters=4, cells=m) == {Verdict.HOLDS}, m


def test_a_property_over_replicas_and_indices_that_is_not_of_every_replica_is_refused() -> None:
    out = prove_for_all(ps.SomePainterAbove.build(), "painters", ["some_painter_above"], 60, "cells")
    assert not out.proved
    assert "at painters=2, cells=1: property 'some_painter_above' is not the same property of every replica" in out.why


@pytest.mark.slow
def test_dns_property_over_every_enactor_and_endpoint_agrees_with_search() -> None:
    # finite plans, so that explicit search ends; the proof is for these parameters too
    params = {"variant": "version_cas", "max_plans": 4}
    props = ["plans_below_latest", *DNS_PROPS]
    out = prove_for_all(ps.DnsPlansBelowLatest.build(**params), "enactors", props, 300, "endpoints")
    assert out.proved, out.why
    assert "plans_below_latest read for every enactor replica" in out.why and "with every endpoints (1..8)" in out.why
    for n, m in [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (3, 1), (3, 2)]:
        found = _search(ps.DnsPlansBelowLatest, props, **params, enactors=n, endpoints=m)
        assert found == {Verdict.HOLDS}, (n, m)


def test_an_action_per_index_is_a_chosen_index_proved_for_every_size(tmp_path: Path) -> None:
    out = prove_for_all(ps.TouchUp.build(), "painters", PAINT, 60, "cells")
    assert out.proved, out.why
    assert "proved for all painters ≥ 1 and cells ≥ 1" in out.why
    assert out.certificate_text is not None and _binary(tmp_path, out.certificate_text).ok
    assert "(declare-fun chosen!0 () Int)" in out.certificate_text  # the step's index: existential
    # the step over the domain writes the cell it chose: without the lemma over every cell, not inductive
    tampered, n = re.subn(r"(\(define-fun inv0i \([^\n]*\) Bool\n  ).*?(?=\n\(define-fun )", r"\1true",
                          out.certificate_text, flags=re.S)  # fmt: skip
    assert n == 1
    assert not _binary(tmp_path, tampered).ok
    for n_painters in (1, 2, 3):
        for m in (1, 2, 3, 4):
            assert _search(ps.TouchUp, PAINT, painters=n_painters, cells=m) == {Verdict.HOLDS}, (n_painters, m)


@pytest.mark.slow
def test_an_action_per_index_agrees_with_search_at_four_painters() -> None:
    for m in (1, 2, 3, 4):
        assert _search(ps.TouchUp, PAINT, painters=4, cells=m) == {Verdict.HOLDS}, m


def test_an_action_per_index_that_breaks_a_property_is_violated_at_a_named_size() -> None:
    out = prove_for_all(ps.Wipe.build(), "painters", PAINT, 60, "cells")
    assert not out.proved and out.violated_sizes == {"painters": 1, "cells": 2}, out.why
    assert "violated with painters=1, cells=2" in out.why
    assert Verdict.VIOLATED in _search(ps.Wipe, ["never_lowered"], painters=1, cells=2)
    assert _search(ps.Wipe, ["never_lowered"], painters=1, cells=1) == {Verdict.VIOLATED}  # one cell suffices too


def test_an_action_domain_that_is_not_one_step_per_index_is_refused() -> None:
    out = prove_for_all(ps.TouchUpAllButLast.build(), "painters", PAINT, 60, "cells")
    assert not out.proved and out.why.startswith("refused: not for all cells:"), out.why
    assert "depend on 'cells'" in out.why, out.why


def test_a_frames_array_terms_never_go_to_a_later_state_at_the_same_address() -> None:
    # the terms were cached by id(state) alone: once a property's frame was dropped, a later
    # state list at the same address read its (unprimed) arrays as its own
    from checker.param.index import Indexed

    ix = Indexed(param="endpoints", size=z3.Int("E"), lo=1, hi=3)
    primed, later = z3.Int("endpoint_plan[0]'"), []
    state = [z3.Int("endpoint_plan[0]")]
    ix.terms(state)["endpoint_plan"] = z3.Array("endpoint_plan", z3.IntSort(), z3.IntSort())
    address = id(state)
    del state
    for _ in range(200):  # CPython gives a new list a freed list's address (the old cache hit here)
        later.append([primed])
    assert all(ix.terms_after(s) == {} for s in later)
    assert all(ix.terms(s) == {} for s in later)
    assert address in ix.frames  # the first state is kept, so no later one can take its id
