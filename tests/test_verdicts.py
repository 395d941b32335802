"""What a verdict claims: a bounded pass (holds_to_depth) is never a complete `holds`; the
`auto` engine picks a proof, an exhaustive search or BMC and says why; a requested engine is
run as asked. Carried through check (text, --json), the gate (terminal, JUnit, summary) and
the pytest plugin."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.engine_choice import choose_engine, unbounded_state
from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.errors import SpecError
from checker.results import COMPLETE, Verdict, expectation_met
from checker.run import check_spec
from checker.spec import load_spec
from models.dns import Dns
from tests.conftest import REPO, run_cli
from tests.models.counter import AtomicCounter, NonAtomicCounter

from .test_gate import PROJECT, gate
from .test_gate_pytest import run_pytest

RECHECK = REPO / "specs" / "dns_recheck_each_endpoint.toml"
VERSION_CAS = REPO / "specs" / "dns_version_cas.toml"


# ---------------------------------------------------------------------------- the rule
@pytest.mark.parametrize(
    ("expected", "verdict", "met"),
    [
        ("holds", "holds", True),
        ("holds", "proved", True),
        ("holds", "holds_to_depth", None),  # bounded: neither met nor contradicted
        ("proved", "holds_to_depth", None),
        ("proved", "holds", None),  # this instance, exhaustively: not a proof
        ("holds_to_depth", "holds_to_depth", True),
        ("holds_to_depth", "holds", True),
        ("holds_to_depth", "proved", True),
        ("holds_to_depth", "violated", False),
        ("violated", "holds_to_depth", False),  # the known violation is not found within the bound
        ("holds", "violated", False),
        ("holds", "unknown", None),
        ("witnessed", "unreachable", False),
    ],
)
def test_which_verdict_meets_which_expectation(expected: str, verdict: str, met: bool | None) -> None:
    assert expectation_met(expected, verdict) is met


def test_only_bounded_and_unknown_verdicts_are_incomplete() -> None:
    assert set(Verdict) - COMPLETE == {Verdict.HOLDS_TO_DEPTH, Verdict.UNKNOWN}


# ---------------------------------------------------------------------------- engines
def test_bmc_short_of_the_end_is_a_bounded_pass() -> None:
    (r,) = run_bmc(NonAtomicCounter.build(procs=2), ["no_lost_update"], 3)
    assert r.verdict is Verdict.HOLDS_TO_DEPTH and r.bound == 3 and not r.complete


def test_bmc_that_runs_out_of_behaviours_is_complete_even_with_symmetry() -> None:
    """Symmetry breaking cuts behaviours; "every behaviour ends" is re-checked without it."""
    (r,) = run_bmc(AtomicCounter.build(procs=3), ["no_lost_update"], 10, symmetry=True)
    assert r.extra["symmetry"] is True
    assert r.verdict is Verdict.HOLDS and r.complete and r.bound is None
    assert "every behaviour ends within 3 steps" in r.reason


def test_explicit_search_reports_the_diameter_and_a_state_cap_is_no_verdict() -> None:
    model = Dns.build(enactors=2, endpoints=1, max_plans=3, variant="version_cas")
    (done,) = run_explicit(model, ["endpoint_never_empty"])
    assert done.verdict is Verdict.HOLDS and done.diameter == done.extra["depth"] > 0
    (capped,) = run_explicit(model, ["endpoint_never_empty"], max_states=5)
    assert capped.verdict is Verdict.UNKNOWN and capped.diameter is None and not capped.complete


# ---------------------------------------------------------------------------- auto
def test_finite_is_decided_from_the_model_sorts_and_writes() -> None:
    # bounded plans: every written variable has a bounded sort (the tokens are never written)
    assert unbounded_state(Dns.build(max_plans=5)) == []
    assert choose_engine(Dns.build(max_plans=5), "auto", 12).engine == "explicit"
    # unbounded plan generations; and tokens that are written but unbounded
    assert any(s.startswith("planner.latest") for s in unbounded_state(Dns.build()))
    fenced = unbounded_state(Dns.build(max_plans=5, variant="fencing_token"))
    assert fenced and all("token" in s for s in fenced)
    choice = choose_engine(Dns.build(), "auto", 12)
    assert choice.engine == "bmc" and "planner.latest" in choice.why
    assert choose_engine(AtomicCounter.build(), "auto", 5).engine == "bmc"


def test_recheck_each_endpoint_bounded_at_11_is_not_holds_and_auto_finds_it_at_12() -> None:
    """The spec bound (11) is far below the reachable diameter (49): BMC passes, bounded."""
    spec = load_spec(RECHECK)
    bounded = check_spec(spec, 11, ["endpoint_never_empty"], engine="bmc")
    (r,) = bounded.results
    assert r.verdict is Verdict.HOLDS_TO_DEPTH and r.bound == 11 and not r.complete
    assert r.meets_expectation is False  # expected violated
    auto = check_spec(spec, None, ["endpoint_never_empty"])
    (v,) = auto.results
    assert auto.engine == "explicit" and auto.requested_engine == "auto"
    assert "every state variable is bounded" in auto.engine_why[0]
    assert v.verdict is Verdict.VIOLATED and len(v.trace) == 12 and v.meets_expectation is True


def test_check_json_and_text_mark_a_bounded_pass() -> None:
    args = ("check", str(RECHECK), "--engine", "bmc", "--depth", "5", "--property", "endpoint_never_empty")
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output  # a bounded pass exits 0, as in CBMC and Apalache
    (spec,) = json.loads(result.stdout)["specs"]
    (r,) = spec["results"]
    assert (r["verdict"], r["complete"], r["bound"]) == ("holds_to_depth", False, 5)
    assert spec["engine"] == "bmc" and spec["engine_requested"] == "bmc"
    text = run_cli(*args).stdout
    line = next(x for x in text.splitlines() if " endpoint_never_empty " in x)
    assert line.lstrip().startswith("≤") and "✓" not in line and "holds_to_depth" in line
    assert "engine: endpoint_never_empty: bmc (requested)" in text


# ---------------------------------------------------------------------------- a request is honoured
def test_a_requested_engine_is_not_replaced_by_a_proof() -> None:
    spec = load_spec(VERSION_CAS)  # expects proved
    sr = check_spec(spec, 3, ["endpoint_never_empty"], engine="bmc")
    (r,) = sr.results
    assert sr.engine == "bmc" and r.engine == "bmc"
    assert r.verdict is Verdict.HOLDS_TO_DEPTH and r.meets_expectation is None
    # --max-states asks for an explicit search: unbounded plans, so the cap ends it, inconclusive
    capped = check_spec(spec, None, ["endpoint_never_empty"], max_states=300)
    (c,) = capped.results
    assert capped.engine == "explicit" and c.engine == "explicit"
    assert c.verdict is Verdict.UNKNOWN and "unbounded state" in capped.engine_why[0]


def test_check_engine_bmc_on_a_spec_expecting_proved_reports_bmc() -> None:
    result = run_cli("check", str(VERSION_CAS), "--engine", "bmc", "--depth", "2", "--json")
    assert result.exit_code == 3, result.output  # the witnesses need more than 2 steps: no verdict
    (spec,) = json.loads(result.stdout)["specs"]
    verdicts = {r["property"]: (r["engine"], r["verdict"]) for r in spec["results"]}
    assert verdicts["endpoint_never_empty"] == ("bmc", "holds_to_depth")
    assert verdicts["plan_never_regresses"] == ("bmc", "holds_to_depth")
    assert all(engine == "bmc" for engine, _ in verdicts.values())


# ---------------------------------------------------------------------------- spec validation
SPEC = 'model = "tests.models.counter:AtomicCounter"\n[check]\n{check}\n[expect]\nno_lost_update = "{expect}"\n'


def test_spec_engine_and_expectations(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SPEC.format(check="depth = 2", expect="holds_to_depth"))
    spec = load_spec(path)
    assert spec.engine == "auto" and spec.expect["no_lost_update"] == "holds_to_depth"
    path.write_text(SPEC.format(check='engine = "bmc"', expect="proved"))
    with pytest.raises(SpecError, match="cannot prove") as err:
        load_spec(path)
    assert err.value.line == 5
    path.write_text(SPEC.format(check='engine = "fast"', expect="holds"))
    with pytest.raises(SpecError, match="unknown engine 'fast'"):
        load_spec(path)


# ---------------------------------------------------------------------------- gate, JUnit, pytest plugin
BOUNDED = """\
model = "gatepkg.counter:Racy"
[params]
procs = 2
[check]
depth = 3             # the race needs 4 steps: BMC passes, bounded
[expect]
no_lost_update = "{expect}"
"""


@pytest.fixture
def bounded_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
    for spec in (root / "specs").glob("*.toml"):
        spec.unlink()
    (root / "specs" / "wants_holds.toml").write_text(BOUNDED.format(expect="holds"))
    (root / "specs" / "wants_bounded.toml").write_text(BOUNDED.format(expect="holds_to_depth"))
    return root


def test_gate_a_bounded_pass_never_meets_holds(bounded_project: Path) -> None:
    result = gate(bounded_project, "--junit", "junit.xml", "specs/")
    assert result.exit_code == 3, result.output  # inconclusive, never "expected holds: ok"
    wants_holds = result.stdout[result.stdout.index("wants_holds.toml") :]
    assert "expected holds, got only holds_to_depth" in wants_holds
    assert 'expect = "holds_to_depth"' in wants_holds  # says what to do
    assert "expected holds_to_depth: ok (bounded" in result.stdout
    cases = {c.get("name") + "@" + c.get("file"): c for c in ET.parse(bounded_project / "junit.xml").iter("testcase")}
    held = next(c for k, c in cases.items() if "wants_holds" in k)
    bounded = next(c for k, c in cases.items() if "wants_bounded" in k)
    assert held.find("error") is not None and held.find("failure") is None
    assert bounded.find("error") is None and bounded.find("failure") is None
    props = {p.get("name"): p.get("value") for p in bounded.iter("property")}
    assert props["verdict"] == "holds_to_depth" and props["complete"] == "false"
    only_bounded = gate(bounded_project, "--json", "specs/wants_bounded.toml")
    assert only_bounded.exit_code == 0, only_bounded.output
    (prop,) = json.loads(only_bounded.stdout)["specs"][0]["properties"]
    assert (prop["verdict"], prop["outcome"], prop["complete"]) == ("holds_to_depth", "met", False)


def test_pytest_plugin_a_bounded_pass_fails_holds_and_passes_holds_to_depth(bounded_project: Path) -> None:
    result = run_pytest(bounded_project, "--raceproof", "specs/", "-v", "--raceproof-no-cache")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "wants_bounded.toml::no_lost_update PASSED" in result.stdout
    assert "wants_holds.toml::no_lost_update FAILED" in result.stdout
    assert "got only holds_to_depth" in result.stdout


def test_engine_specific_options_request_their_engine(tmp_path: Path) -> None:
    spec = load_spec(RECHECK)
    sr = check_spec(spec, 12, ["plan_never_regresses"], max_counterexamples=2)
    assert sr.engine == "bmc" and len(sr.results[0].extra["more_traces"]) == 1
    both = run_cli("check", str(RECHECK), "--max-states", "10", "--max-counterexamples", "2")
    assert both.exit_code == 2 and "--max-counterexamples needs the bmc engine" in both.stderr


def test_gate_records_summary_and_explanations_tell_bounded_from_complete() -> None:
    from checker.gate.expectations import Outcome, explain, judge
    from checker.gate.records import PropertyRecord, SpecRecord
    from checker.gate.summary import summary_markdown
    from checker.results import ExitCode

    def prop(verdict: str, expected: str) -> PropertyRecord:
        return PropertyRecord("p", "invariant", verdict, expected, "bmc", detail="bounded: up to depth 4")

    assert judge(prop("holds_to_depth", "holds")) is Outcome.INCONCLUSIVE
    assert judge(prop("holds_to_depth", "proved")) is Outcome.INCONCLUSIVE
    assert judge(prop("holds_to_depth", "holds_to_depth")) is Outcome.MET
    assert judge(prop("holds_to_depth", "violated")) is Outcome.DRIFTED
    exhaustive = PropertyRecord("p", "invariant", "holds", "proved", "explicit", detail="exhaustive: 9 distinct states")
    assert judge(exhaustive) is Outcome.INCONCLUSIVE and "not a proof" in explain(exhaustive, Outcome.INCONCLUSIVE)
    record = SpecRecord("s.toml", "s", "m", {}, "bmc", 4, 0.1, [prop("holds_to_depth", "holds_to_depth")])
    row = next(line for line in summary_markdown([record], ExitCode.OK).splitlines() if "`p`" in line)
    assert row.startswith("| ☑️ bounded |") and "**holds_to_depth**" in row
