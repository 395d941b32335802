"""`raceproof validate`: event logs of the real service against the model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conform.conftest import require_real_servers
from tests.conftest import REPO, assert_located, run_cli

RACE = str(REPO / "specs/dns_race.toml")
CAS = str(REPO / "specs/dns_version_cas.toml")


@pytest.fixture(autouse=True)
def _servers() -> None:
    require_real_servers()


def _concurrent_run(log: Path, variant: str, seed: int, store: str | None = None, *more: str) -> str:
    """The service as concurrent processes: a Planner and 3 Enactors, each its own OS process.
    Returns what the runner printed: each endpoint's answer at the end."""
    proc = subprocess.run(
        [sys.executable, "-m", "examples.dns_service.run", "--log", str(log), "--plans", "4",
         "--variant", variant, "--seed", str(seed), *(["--store", store] if store else []), *more],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert len({e["pid"] for e in events}) >= 3  # several processes really took part
    assert sum(e["action"] == "plan" for e in events) == 4
    return proc.stdout


@pytest.fixture(scope="module")
def as_designed_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_real_servers()
    log = tmp_path_factory.mktemp("logs") / "as_designed.jsonl"
    _concurrent_run(log, "as_designed", seed=1)
    return log


def test_logs_of_real_concurrent_runs_are_behaviours_of_the_model(as_designed_log: Path, tmp_path: Path) -> None:
    result = run_cli("validate", str(as_designed_log), "--spec", RACE)
    assert result.exit_code == 0, result.output
    assert "consistent: a model execution explains all" in result.stdout
    cas_log = tmp_path / "cas.jsonl"
    _concurrent_run(cas_log, "version_cas", seed=2)
    result = run_cli("validate", str(cas_log), "--spec", CAS)
    assert result.exit_code == 0, result.output


def _edit(log: Path, target: Path, action: str, change) -> int:  # noqa: ANN001
    """Apply ``change`` to the first event of ``action``; returns its line number."""
    lines = log.read_text().splitlines()
    for n, line in enumerate(lines):
        event = json.loads(line)
        if event["action"] == action:
            change(event)
            lines[n] = json.dumps(event)
            target.write_text("\n".join(lines) + "\n")
            return n + 1
    raise AssertionError(f"no {action} event in {log}")


def test_a_cleanup_that_deleted_too_much_is_rejected_at_its_event(as_designed_log: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.jsonl"
    line = _edit(as_designed_log, edited, "cleanup", lambda e: e["after"].__setitem__("plans", e["after"]["plans"][1:]))
    result = run_cli("validate", str(edited), "--spec", RACE)
    assert result.exit_code == 1, result.output
    assert f"({edited}:{line})" in result.stdout and "no behaviour of the model explains event" in result.stdout
    assert "model states possible just before it (1):" in result.stdout
    assert "plans is [" in result.stdout and "in the model" in result.stdout


def test_a_pick_that_saw_an_impossible_value_is_rejected(as_designed_log: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.jsonl"
    seen: list[int] = []

    def change(event: dict) -> None:
        seen.append(event["before"]["planner.latest"])
        event["before"]["planner.latest"] = 9

    line = _edit(as_designed_log, edited, "pick", change)
    result = run_cli("validate", str(edited), "--spec", RACE)
    assert result.exit_code == 1
    assert f":{line})" in result.stdout
    assert f"before the step: planner.latest is {seen[0]} in the model, 9 in the log" in result.stdout


def test_a_step_the_model_does_not_allow_is_rejected(as_designed_log: Path, tmp_path: Path) -> None:
    lines = as_designed_log.read_text().splitlines()
    first_pick = next(n for n, line in enumerate(lines) if json.loads(line)["action"] == "pick")
    again = json.loads(lines[first_pick])
    again = json.dumps({"action": "pick", "instance": again["instance"]})  # the same Enactor picks twice
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join([*lines[: first_pick + 1], again, *lines[first_pick + 1 :]]) + "\n")
    result = run_cli("validate", str(edited), "--spec", RACE)
    assert result.exit_code == 1
    assert f":{first_pick + 2})" in result.stdout and ".pick is not enabled" in result.stdout


def test_the_outage_in_a_log_is_a_behaviour_and_ends_broken(tmp_path: Path) -> None:
    """The race's interleaving run on the service with its event log: the model explains it, and
    every state that does has an endpoint serving a deleted plan."""
    from examples.dns_service.conformance import DnsAdapter
    from examples.dns_service.service import EventLog

    log = tmp_path / "outage.jsonl"
    adapter = DnsAdapter({"enactors": 3, "endpoints": 2, "cleanup_age": 1}, {})
    adapter.start()
    try:
        adapter.reset()
        assert adapter.service is not None
        adapter.service.log = EventLog(log)
        steps = ["planner.plan", "enactor1.pick", "planner.plan", "planner.plan", "enactor2.pick", "enactor2.apply",
                 "enactor1.apply", "enactor2.apply", "enactor2.cleanup"]  # fmt: skip
        for step in steps:
            instance, action = step.split(".")
            assert adapter.step(instance, action, {}).fired
    finally:
        adapter.stop()
    result = run_cli("validate", str(log), "--spec", RACE)
    assert result.exit_code == 0, result.output
    assert "invariant endpoint_never_empty is false" in result.stdout


def test_a_malformed_line_is_bad_input_with_its_location(as_designed_log: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = as_designed_log.read_text().splitlines()
    bad.write_text("\n".join([*lines[:2], "{not json", *lines[2:]]) + "\n")
    result = run_cli("validate", str(bad), "--spec", RACE)
    assert result.exit_code == 2 and "not a JSON object" in result.stderr
    assert_located(result.stderr, bad, 3)


def test_a_variable_the_model_lacks_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"action": "plan", "instance": "planner", "after": {"planner.newest": 2}}) + "\n")
    result = run_cli("validate", str(bad), "--spec", RACE)
    assert result.exit_code == 2 and "'planner.newest' is not a variable of model 'Dns'" in result.stderr
    assert_located(result.stderr, bad, 1)


def test_a_missing_log_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "none.jsonl"), "--spec", RACE)
    assert result.exit_code == 2 and "log file not found" in result.stderr


def test_steps_that_log_nothing_are_searched_for_when_named(as_designed_log: Path, tmp_path: Path) -> None:
    """A Planner that writes no log: its steps are found by the search between the events."""
    quiet = tmp_path / "no_planner.jsonl"
    quiet.write_text("".join(line + "\n" for line in as_designed_log.read_text().splitlines() if '"plan"' not in line))
    assert run_cli("validate", str(quiet), "--spec", RACE).exit_code == 1  # unnamed: a pick of a plan never made
    result = run_cli("validate", str(quiet), "--spec", RACE, "--unlogged", "planner.plan", "--max-unlogged", "4")
    assert result.exit_code == 0, result.output
    # the plans themselves are still constrained: the events' observations fix when they were made
    assert "consistent: a model execution explains all" in result.stdout
    unknown = run_cli("validate", str(quiet), "--spec", RACE, "--unlogged", "nap")
    assert unknown.exit_code == 2 and "--unlogged nap: the model has no such action" in unknown.stderr


@pytest.mark.parametrize(("variant", "spec"), [("as_designed", RACE), ("version_cas", CAS)])
def test_a_slow_enactor_run_and_its_validation_agree_on_the_outage(variant: str, spec: str, tmp_path: Path) -> None:
    """Real processes with one slow Enactor (the outage's trigger). Whether the race happens
    depends on timing, so the test asserts what holds either way: the log is a behaviour of the
    model, and validate finds endpoint_never_empty false exactly when BIND really serves an
    empty endpoint at the end; and with the version CAS it never does."""
    log = tmp_path / f"{variant}.jsonl"
    answers = _concurrent_run(log, variant, 1, None, "--delay", "enactor1=0.3")
    result = run_cli("validate", str(log), "--spec", spec)
    assert result.exit_code == 0, result.output
    empty = "no A records" in answers
    assert ("invariant endpoint_never_empty is false" in result.stdout) == empty, answers + result.stdout
    if variant == "version_cas":
        assert not empty
