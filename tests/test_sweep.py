"""Parameters from the command line (`-P name=value` on check, prove, graph and report) and
`raceproof sweep` (issue 13 §6): each value is checked by the model like a spec's, and a sweep
runs the spec for every combination, with the smallest violating one named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from checker.params import ParamError, minimal, parse_value, sweep_values

from .conftest import REPO, run_cli

DNS = str(REPO / "specs" / "dns_race.toml")
NLB = str(REPO / "specs" / "nlb_failover.toml")
QUINT = str(REPO / "tests" / "data" / "quint_bank.itf.json")

COUNTER = """model = "tests.models.counter:{cls}"
[params]
procs = 2
[check]
depth = 4
[expect]
no_lost_update = "{expect}"
"""


@pytest.fixture
def counter(write_spec):
    """NonAtomicCounter: no_lost_update holds for 1 process (every behaviour ends within the
    bound: complete), is violated in 4 steps for 2, and holds only to depth 4 for 3."""
    return str(write_spec(COUNTER.format(cls="NonAtomicCounter", expect="violated"), "counter"))


def verdicts(out: str) -> dict[str, str]:
    (spec,) = json.loads(out)["specs"]
    return {r["property"]: r["verdict"] for r in spec["results"]}


# ---------------------------------------------------------------------------- values
def test_values_parse_as_toml_with_bare_words_and_none():
    assert parse_value("3") == 3 and parse_value("true") is True and parse_value("0.5") == 0.5
    assert parse_value("version_cas") == "version_cas"  # not TOML: the text itself
    assert parse_value('"3"') == "3"  # quoted: a string
    assert parse_value("none") is None  # unset
    assert parse_value('"none"') == "none"  # the string, quoted
    with pytest.raises(ParamError, match="no value"):
        parse_value("")


def test_sweep_values_ranges_lists_and_order():
    assert sweep_values("enactors=2..4").values == (2, 3, 4)
    assert sweep_values("max_plans=8,none,5,1..2,5").values == (1, 2, 5, 8, None)  # numbers up, none last, once
    assert sweep_values("variant=version_cas,as_designed").values == ("version_cas", "as_designed")  # as listed
    with pytest.raises(ParamError, match="empty"):
        sweep_values("enactors=3..1")
    with pytest.raises(ParamError, match="NAME=VALUE"):
        sweep_values("enactors")


def test_minimal_combinations():
    found = [{"a": 2, "b": 4}, {"a": 3, "b": 3}, {"a": 3, "b": 4}, {"a": 2, "b": None}, {"a": 1, "b": None}]
    # (2, none) is above (2, 4): none is above every number; (1, none) has nothing below it
    assert minimal(found) == [{"a": 2, "b": 4}, {"a": 3, "b": 3}, {"a": 1, "b": None}]
    assert minimal([{"v": "x"}, {"v": "y"}]) == [{"v": "x"}, {"v": "y"}]  # strings: only equal to themselves


# ---------------------------------------------------------------------------- -P on each verb
def test_check_override_changes_the_instance_and_the_verdict():
    # the spec's own instance (3 Enactors, 5 plans) is where the race happens; with one Enactor
    # there is nobody to race with: complete holds over the whole (small) instance
    one = run_cli("check", DNS, "-P", "enactors=1", "-P", "max_plans=3", "--property", "endpoint_never_empty", "--json")
    assert one.exit_code == 0, one.output
    assert verdicts(one.stdout) == {"endpoint_never_empty": "holds"}
    (spec,) = json.loads(one.stdout)["specs"]
    assert spec["params"]["enactors"] == 1 and spec["params"]["variant"] == "as_designed"  # the spec's own stay
    assert spec["params_from_command_line"] == ["enactors", "max_plans"]
    two = run_cli("check", DNS, "-P", "enactors=2", "-P", "max_plans=4", "--property", "endpoint_never_empty", "--json")
    assert two.exit_code == 1
    assert verdicts(two.stdout) == {"endpoint_never_empty": "violated"}


def test_check_text_names_the_overridden_instance():
    r = run_cli("check", DNS, "-P", "enactors=1", "--param", "max_plans=3", "--property", "plan_never_regresses")
    assert r.exit_code == 0, r.output
    assert "enactors=1" in r.stdout and "max_plans=3" in r.stdout


def test_none_unsets_an_optional_parameter():
    # max_plans = none: unbounded plan generations, so auto picks BMC (a bounded answer)
    r = run_cli(
        "check", DNS, "-P", "max_plans=none", "-P", "enactors=2", "--property", "plan_never_regresses", "--json",
        "--depth", "7",
    )  # fmt: skip
    assert r.exit_code == 1, r.output  # violated within the bound all the same
    (spec,) = json.loads(r.stdout)["specs"]
    assert spec["params"]["max_plans"] is None and spec["engine"] == "bmc"


@pytest.mark.parametrize(
    ("option", "name", "words"),
    [
        ("enactors=0", "enactors", "at least 1"),  # below min
        ("enactors=17", "enactors", "at most 16"),  # above max
        ("enactors=two", "enactors", "must be an integer"),  # wrong type
        ("enactors=2.5", "enactors", "must be an integer"),
        ("enactors=none", "enactors", "needs a value"),  # not optional: cannot be unset
        ("variant=bogus", "variant", "must be one of"),  # not a choice
        ('variant="none"', "variant", "must be one of"),  # quoted: the string, not unset
        ("enactor=3", "enactor", "unknown parameter"),  # a typo
    ],
)
def test_bad_values_exit_2_naming_the_parameter_and_the_command_line(option, name, words):
    r = run_cli("check", DNS, "-P", option)
    assert r.exit_code == 2, r.output
    assert f"parameter '{name}'" in r.stderr and words in r.stderr
    assert f"given on the command line as -P {option}" in r.stderr
    assert r.exception is None or isinstance(r.exception, SystemExit)  # no traceback


def test_broken_constraint_between_parameters_exits_2():
    # nlb: the load must fit in azs x nodes_per_az (the model's param_constraints)
    r = run_cli("check", NLB, "-P", "load=9", "--json")
    assert r.exit_code == 2
    (error,) = json.loads(r.stdout)["errors"]
    assert "load (9) exceeds the whole fleet" in error["message"] and "-P load=9" in error["message"]


def test_malformed_and_repeated_options_exit_2():
    assert run_cli("check", DNS, "-P", "enactors").exit_code == 2
    twice = run_cli("check", DNS, "-P", "enactors=1", "-P", "enactors=2")
    assert twice.exit_code == 2 and "given twice" in twice.stderr


def test_a_range_on_check_points_at_sweep():
    r = run_cli("check", DNS, "-P", "enactors=2..5")
    assert r.exit_code == 2 and "raceproof sweep" in r.stderr


def test_every_spec_of_a_check_gets_the_parameter(write_spec):
    # a parameter one spec's model lacks: bad input, naming that spec, before any run
    r = run_cli("check", DNS, NLB, "-P", "enactors=1")
    assert r.exit_code == 2
    assert "unknown parameter 'enactors'" in r.stderr and "nlb_failover.toml" in r.stderr


def test_prove_with_an_override(write_spec, counter):
    one = run_cli("prove", counter, "-P", "procs=1", "--json")
    assert one.exit_code == 0, one.output
    assert verdicts(one.stdout) == {"no_lost_update": "proved"}  # one process cannot lose an update
    assert run_cli("prove", counter, "-P", "procs=2", "--json").exit_code == 1  # the spec's instance races
    bad = run_cli("prove", counter, "-P", "procs=9")
    assert bad.exit_code == 2 and "parameter 'procs' must be at most 8" in bad.stderr


def test_graph_with_an_override(tmp_path: Path):
    dot = tmp_path / "g.dot"
    r = run_cli("graph", DNS, "--dot", str(dot), "-P", "enactors=1", "-P", "max_plans=3")
    assert r.exit_code == 0, r.output
    assert "17 states" in r.stdout  # the 1-Enactor instance, not the spec's 3-Enactor one
    bad = run_cli("graph", DNS, "--dot", str(dot), "-P", "endpoints=0")
    assert bad.exit_code == 2 and "parameter 'endpoints'" in bad.stderr


def test_report_rebuilds_the_trace_with_the_parameters(tmp_path: Path):
    # a spec outside any project: its model, and so its trace's, is raceproof's bundled dns
    spec = tmp_path / "race.toml"
    spec.write_text('model = "dns"\n')
    trace = tmp_path / "race.itf.json"
    made = run_cli(
        "check", str(spec), "-P", "enactors=2", "-P", "max_plans=4", "--property", "endpoint_never_empty",
        "--itf", str(trace),
    )  # fmt: skip
    assert made.exit_code == 1, made.output
    # a third Enactor that stays idle: the same trace replays, explained
    more = run_cli("report", str(trace), "-P", "enactors=3")
    assert more.exit_code == 0, more.output
    assert "Why: a check went stale" in more.stdout and "with -P enactors=3" in more.stdout
    # the fixed design does not take these steps: shown as it is, saying why
    fixed = run_cli("report", str(trace), "-P", "variant=version_cas")
    assert fixed.exit_code == 0, fixed.output
    assert "could not rebuild model" in fixed.stdout and "with -P variant=version_cas" in fixed.stdout
    bad = run_cli("report", str(trace), "-P", "enactors=0")
    assert bad.exit_code == 2 and "parameter 'enactors' must be at least 1" in bad.stderr
    assert "command line" in bad.stderr


def test_report_refuses_parameters_it_cannot_apply():
    # a Quint trace names no raceproof model: nothing is rebuilt, so -P would be ignored
    r = run_cli("report", QUINT, "-P", "enactors=2")
    assert r.exit_code == 2
    assert "-P enactors=2" in r.stderr and "not rebuilt" in r.stderr


# ---------------------------------------------------------------------------- sweep
SWEEP = ("sweep", DNS, "-P", "enactors=1..2", "-P", "max_plans=3,4")


def test_sweep_table_rows_and_smallest_violating_combination():
    r = run_cli(*SWEEP)
    assert r.exit_code == 1, r.output  # a violation in some run
    lines = r.stdout.splitlines()
    assert "4 combinations" in lines[0]
    header = lines[1].split()
    assert header[:3] == ["enactors", "max_plans", "endpoint_never_empty"]
    rows = [line.split() for line in lines[2:6]]
    assert [row[:2] for row in rows] == [["1", "3"], ["1", "4"], ["2", "3"], ["2", "4"]]  # sorted by parameters
    # one Enactor: nothing races; two: plan_never_regresses breaks with 3 plans, the endpoint
    # empties only with 4 (the cleanup needs a plan two generations older)
    assert rows[0][2:4] == ["✓", "holds"]
    assert rows[2][2:7] == ["✓", "holds", "✗", "violated", "(6)"]
    assert rows[3][2:5] == ["✗", "violated", "(9)"]
    text = r.stdout
    assert (
        "endpoint_never_empty    violated in 1 of 4, holds in 3 of 4; smallest violating: enactors=2, max_plans=4"
        in text
    )
    assert "every_endpoint_updated  witnessed in every combination" in text
    assert "smallest violating combination: enactors=2, max_plans=3 (plan_never_regresses)" in text


def test_sweep_json():
    r = run_cli(*SWEEP, "--json")
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["exit_code"] == 1 and out["swept"] == {"enactors": [1, 2], "max_plans": [3, 4]}
    assert [run["params"] for run in out["runs"]] == [
        {"enactors": 1, "max_plans": 3},
        {"enactors": 1, "max_plans": 4},
        {"enactors": 2, "max_plans": 3},
        {"enactors": 2, "max_plans": 4},
    ]
    first = out["runs"][0]
    assert first["exit_code"] == 0 and first["states"] == 17 and first["engine"].startswith("explicit")
    assert all(r["complete"] for run in out["runs"] for r in run["results"])  # exhaustive: no bounded verdict
    assert out["smallest_failing"]["endpoint_never_empty"] == [{"enactors": 2, "max_plans": 4}]
    assert out["smallest_failing"]["old_plan_cleaned_up"] == []
    assert out["smallest_failing_any"] == [{"enactors": 2, "max_plans": 3}]


def test_sweep_csv():
    r = run_cli(*SWEEP, "--csv", "--property", "plan_never_regresses")
    assert r.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(row["enactors"], row["max_plans"], row["plan_never_regresses"]) for row in rows] == [
        ("1", "3", "holds"),
        ("1", "4", "holds"),
        ("2", "3", "violated"),
        ("2", "4", "violated"),
    ]
    assert [row["exit_code"] for row in rows] == ["0", "0", "1", "1"] and rows[0]["states"] == "17"


def test_sweep_marks_bounded_and_complete_verdicts(counter):
    # BMC to depth 4: one process (every behaviour ends within the bound) is complete; three
    # processes only hold up to the bound (≤), never shown as ✓
    r = run_cli("sweep", counter, "-P", "procs=1..3")
    assert r.exit_code == 1, r.output
    rows = {line.split()[0]: line.split()[1:3] for line in r.stdout.splitlines()[2:5]}
    assert rows == {"1": ["✓", "holds"], "2": ["✗", "violated"], "3": ["≤", "holds_to_depth"]}
    assert "smallest violating combination: procs=2 (no_lost_update)" in r.stdout
    out = json.loads(run_cli("sweep", counter, "-P", "procs=1,3", "--json").stdout)
    assert [run["results"][0]["complete"] for run in out["runs"]] == [True, False]
    assert out["exit_code"] == 0  # a bounded pass exits 0, as in check
    text = run_cli("sweep", counter, "-P", "procs=1,3").stdout
    assert "no combination fails a property (≤: 1 run only to the bound)" in text


def test_sweep_exit_codes():
    passing = run_cli("sweep", DNS, "-P", "enactors=1", "-P", "max_plans=3,4", "--property", "endpoint_never_empty")
    assert passing.exit_code == 0, passing.output
    assert "no combination fails a property" in passing.stdout
    # a state limit leaves the 2-Enactor run undecided: inconclusive (3) is the worst here
    limited = ("sweep", DNS, "-P", "enactors=1..2", "-P", "max_plans=4", "--engine", "explicit")
    undecided = run_cli(*limited, "--max-states", "40", "--property", "endpoint_never_empty")
    assert undecided.exit_code == 3, undecided.output
    assert "? enactors=2, max_plans=4: endpoint_never_empty: max_states (40) reached" in undecided.stdout


def test_sweep_violated_and_undecided_exits_1(counter):
    # 2 processes: violated within 8 states; 3 processes: not decided within 12 (22 needed).
    # A violation outranks an open question, as in `check` over several specs, a single spec's
    # properties and the gate: one violated run fails the sweep (1), the undecided run is listed.
    r = run_cli("sweep", counter, "-P", "procs=2..3", "--engine", "explicit", "--max-states", "12", "--json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert [(run["exit_code"], run["results"][0]["verdict"]) for run in out["runs"]] == [
        (1, "violated"),
        (3, "unknown"),
    ]
    assert out["smallest_failing_any"] == [{"procs": 2}]


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("enactors=0..2", "parameter 'enactors' must be at least 1, got 0"),
        ("enactors=x,2", "parameter 'enactors' must be an integer"),
        ("enactor=1,2", "unknown parameter 'enactor'"),
        ("enactors=3..1", "empty"),
        ("enactors=1..100000", "100,000 values"),
    ],
)
def test_sweep_bad_values_exit_2_before_any_run(option, words):
    r = run_cli("sweep", DNS, "-P", option, "--json")
    assert r.exit_code == 2
    out = json.loads(r.stdout)
    assert "runs" not in out and words in out["errors"][0]["message"]


def test_sweep_needs_parameters_and_one_format():
    assert run_cli("sweep", DNS).exit_code == 2
    assert run_cli(*SWEEP, "--json", "--csv").exit_code == 2


def test_sweep_skip_invalid_combinations():
    # load 5 exceeds a 2-AZ fleet of 2 nodes each: refused, or skipped and listed
    args = ("sweep", NLB, "-P", "load=4,5", "-P", "azs=2,3")
    refused = run_cli(*args)
    assert refused.exit_code == 2
    assert "with load=5, azs=2: load (5) exceeds the whole fleet" in refused.stderr
    assert "--skip-invalid" in refused.stderr
    skipped = run_cli(*args, "--skip-invalid", "--json")
    out = json.loads(skipped.stdout)
    assert [run["params"] for run in out["runs"]] == [
        {"load": 4, "azs": 2},
        {"load": 4, "azs": 3},
        {"load": 5, "azs": 3},
    ]
    assert out["skipped"] == [
        {"params": {"load": 5, "azs": 2}, "reason": "load (5) exceeds the whole fleet (2 x 2 nodes)"}
    ]
    text = run_cli(*args, "--skip-invalid")
    assert "skipped load=5, azs=2: load (5) exceeds the whole fleet" in text.stdout
    # a parameter the model does not have is never skipped
    assert run_cli("sweep", NLB, "-P", "nope=1,2", "--skip-invalid").exit_code == 2
