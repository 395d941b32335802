"""`--for-all` on a model that replicates no component (`checker.param.each`): every value of
bounded parameters searched exhaustively. NLB's velocity control holds for every number of
AZs but 2 (two AZs of two nodes, one removable: 2 < the load of 4), the designs without it
fail at every size; each answer is checked here by independent searches without symmetry."""

from __future__ import annotations

import json
from pathlib import Path

from checker.engines.explicit import run_explicit
from checker.param.each import decide_each, verdict_for
from checker.results import Verdict
from models.nlb import Nlb
from tests.conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
VELOCITY = {"azs": 3, "nodes_per_az": 2, "load": 4, "removal_budget": 2, "window": 2, "variant": "velocity_control"}


def _verdicts(**params: object) -> set[Verdict]:
    results = run_explicit(Nlb.build(**params), ["capacity_covers_load"], timeout=120, symmetry=False)
    return {r.verdict for r in results}


def test_velocity_control_holds_at_every_az_count_but_two() -> None:
    model = Nlb.build(**VELOCITY)
    found = decide_each(model, ["azs"], ["capacity_covers_load"], 120)
    holds, why = verdict_for(found, "capacity_covers_load", model, ["azs"])
    assert found.decided and not holds
    assert why.startswith("violated at azs=2 "), why
    assert "1 instance(s) violate it (azs 2..2) and 4 hold (azs 3..6)" in why, why
    assert _verdicts(**(VELOCITY | {"azs": 2})) == {Verdict.VIOLATED}
    for azs in (3, 4):
        assert _verdicts(**(VELOCITY | {"azs": azs})) == {Verdict.HOLDS}, azs


def test_naive_velocity_control_is_violated_at_every_size() -> None:
    model = Nlb.build(**(VELOCITY | {"variant": "velocity_reset"}))
    found = decide_each(model, ["azs"], ["capacity_covers_load"], 120)
    holds, why = verdict_for(found, "capacity_covers_load", model, ["azs"])
    assert found.decided and not holds and "5 instance(s) violate it (azs 2..6) and 0 hold" in why, why
    assert _verdicts(**(VELOCITY | {"variant": "velocity_reset", "azs": 2})) == {Verdict.VIOLATED}


def test_cli_for_all_azs_gives_the_instance_verdict_and_says_where_it_fails() -> None:
    res = run_cli("prove", str(REPO / "specs" / "nlb_velocity_control.toml"), "--for-all", "azs")
    out = res.stdout + res.stderr
    assert res.exit_code == 0, out  # this instance (azs=3) is proved; for all azs it is not
    assert "for all azs: violated at azs=2" in out and "this instance (azs=3)" in out, out
    res = run_cli("prove", str(REPO / "specs" / "nlb_failover.toml"), "--for-all", "azs", "--json")
    assert res.exit_code == 1, res.stdout + res.stderr
    (result,) = [r for r in json.loads(res.stdout)["specs"][0]["results"] if r["property"] == "capacity_covers_load"]
    assert result["verdict"] == "violated" and result["for_all"] == "azs"
    assert result["reason"].startswith("for all azs: violated at azs=2 "), result["reason"]


def test_an_unfinished_search_leaves_the_answer_open() -> None:
    model = Nlb.build(**VELOCITY)
    found = decide_each(model, ["azs"], ["capacity_covers_load"], 0.0)
    holds, why = verdict_for(found, "capacity_covers_load", model, ["azs"])
    assert not found.decided and not holds and why.startswith("not decided"), why


def test_spec_setting_for_all_azs(tmp_path: Path) -> None:
    spec = tmp_path / "nlb.toml"
    spec.write_text(
        'model = "models.nlb:Nlb"\n[params]\nazs = 3\nnodes_per_az = 2\nload = 4\nremoval_budget = 2\nwindow = 2\n'
        'variant = "velocity_control"\n[prove]\nfor_all = ["azs"]\n[expect]\ncapacity_covers_load = "proved"\n'
    )
    res = run_cli("prove", str(spec), "--json")
    assert res.exit_code == 0, res.stdout + res.stderr
    (result,) = [r for r in json.loads(res.stdout)["specs"][0]["results"] if r["property"] == "capacity_covers_load"]
    assert result["reason"].startswith("for all azs: violated at azs=2 "), result["reason"]


def _dwfm(spec: str, names: str) -> dict[str, str]:
    from checker.param.run import prove_spec_for_all
    from checker.spec import load_spec

    sr = prove_spec_for_all(load_spec(REPO / "specs" / spec), names, None, "auto", 120)
    return {r.name: r.reason for r in sr.results if "for_all" in r.extra}


def test_a_refused_parameterized_proof_searches_every_value_instead() -> None:
    from models.dwfm import Dwfm

    # DWFM's properties sum over its workers: refused; both parameters declare their range
    reasons = _dwfm("dwfm_throttled.toml", "workers,droplets")
    for name in ("queue_bounded", "no_duplicate_lease"):
        assert "refused:" in reasons[name], reasons[name]
        assert (
            "instead, every value searched: holds for every value the model allows (workers 1..2, droplets 1..4): "
            "exhaustive search at each of 8 instance(s)" in reasons[name]
        ), reasons[name]
    params = {"work_time": 2, "timeout": 3, "queue_capacity": 6, "throttle": 1, "variant": "throttled"}
    for workers in (1, 2):
        for droplets in (1, 2, 3, 4):
            model = Dwfm.build(**params, workers=workers, droplets=droplets)
            results = run_explicit(model, ["queue_bounded", "no_duplicate_lease"], symmetry=False, timeout=60)
            assert {r.verdict for r in results} == {Verdict.HOLDS}, (workers, droplets)


def test_the_search_instead_names_the_sizes_where_it_fails() -> None:
    from checker.param.run import prove_spec_for_all
    from checker.spec import load_spec
    from models.dwfm import Dwfm

    sr = prove_spec_for_all(load_spec(REPO / "specs" / "dwfm_collapse.toml"), "workers", None, "auto", 120)
    reasons = {r.name: r.reason for r in sr.results if "for_all" in r.extra}
    assert "instead, every value searched: violated at workers=1 (the smallest;" in reasons["queue_bounded"]
    # where --for-all-strict fails the run (`checker.cli.exit_rule`): the smallest violated size
    (queue,) = [r for r in sr.results if r.name == "queue_bounded"]
    assert queue.extra["for_all_violated_at"] == {"workers": 1}
    assert "1 instance(s) violate it (workers 1..1) and 1 hold (workers 2..2)" in reasons["queue_bounded"]
    params = Dwfm.build().param_dict() | _collapse_params()
    for workers, verdict in ((1, Verdict.VIOLATED), (2, Verdict.HOLDS)):
        results = run_explicit(Dwfm.build(**(params | {"workers": workers})), ["queue_bounded"], symmetry=False)
        assert {r.verdict for r in results} == {verdict}, workers


def _collapse_params() -> dict[str, object]:
    from checker.spec import load_spec

    return dict(load_spec(REPO / "specs" / "dwfm_collapse.toml").params)


# ---------------------------------------------------------------------------- the terminal report
def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines at the console's width


def test_terminal_report_says_at_which_size_for_all_fails() -> None:
    """Without --json too: the verdict line is the spec's instance, and the line under it says
    that the property fails for all azs, at which size and how that was found."""
    res = run_cli("prove", str(REPO / "specs" / "nlb_failover.toml"), "--for-all", "azs")
    out = _flat(res.stdout)
    assert res.exit_code == 1, res.stdout + res.stderr
    instance = out.index("capacity_covers_load violated this instance (azs=3): in 4 steps (shortest;")
    for_all = out.index("✗ for all azs: violated at azs=2 (the smallest; exhaustive search, a replayed counterexample)")
    assert instance < for_all < out.index("az_failed_over witnessed"), out
    assert "5 instance(s) violate it (azs 2..6) and 0 hold" in out, out


def test_terminal_report_of_a_proof_for_this_instance_only(tmp_path: Path) -> None:
    """Proved at the spec's one worker, violated for every count from 2 (the parameterized
    proof's counterexample): the ✓ line is the instance's, the ✗ line under it the count's."""
    spec = tmp_path / "racy.toml"
    spec.write_text('model = "tests.models.param_systems:RacyLock"\n[params]\nworkers = 1\n')
    res = run_cli("prove", str(spec), "--for-all", "workers", "--property", "inside_at_most_one", "--timeout", "60")
    out = _flat(res.stdout)
    assert res.exit_code == 0, res.stdout + res.stderr  # this instance is proved
    assert "✓ inside_at_most_one proved this instance (workers=1): inductive invariant" in out, out
    assert "✗ for all workers: violated with workers=2 (a replayed counterexample: inside_at_most_one in" in out, out
    assert out.count("for all workers") == 1, out  # not repeated on the verdict line


def test_terminal_report_of_a_refused_proof_and_the_search_instead() -> None:
    """The parameterized proof is refused (DWFM sums over its workers): one line says why, the
    next what the exhaustive search at every worker count found (violated at workers=1)."""
    res = run_cli(
        "prove", str(REPO / "specs" / "dwfm_collapse.toml"), "--for-all", "workers", "--property", "queue_bounded"
    )
    out = _flat(res.stdout)
    assert res.exit_code == 1, res.stdout + res.stderr
    refused = out.index("✗ for all workers: refused: models/dwfm/model.py:92 reads sys.worker")
    searched = out.index("instead, every value searched: violated at workers=1 (the smallest;")
    assert out.index("queue_bounded violated this instance (workers=1): in 16 steps") < refused < searched, out
