"""`raceproof replay`: the DNS race's counterexample on a real BIND server and plan store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.dns_service.bind import free_port
from tests.conform.conftest import require_real_servers
from tests.conftest import REPO, run_cli

ADAPTER = "examples.dns_service.conformance:DnsAdapter"


@pytest.fixture(autouse=True)
def _servers() -> None:
    require_real_servers()


def test_the_outage_reproduces_on_bind(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", ADAPTER)
    assert result.exit_code == 1, result.output
    out = result.stdout
    # every one of the 9 steps was run on the real service and agreed with the model
    assert out.count(" agrees\n") == 10 and "DIVERGES" not in out
    assert "step 7   enactor1.apply" in out and "regional: wrote plan 2 over plan 4" in out
    assert "regional: gen 2, no A records (empty answer)" in out
    assert out.rstrip().endswith("after step 9")
    assert "reproduced: the regional endpoint has no records (NOERROR with an empty answer" in out


def test_the_version_cas_survives_the_same_interleaving(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", ADAPTER, "--param", "variant=version_cas")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "parameters changed from the trace's: variant=version_cas" in out
    # the delayed Enactor's write is refused by the server's prerequisite check, harmlessly
    step7 = out[out.index("step 7") : out.index("step 8")]
    assert "server refused the UPDATE (NXRRSET: generation is 4, not 1)" in step7
    assert "regional: gen 4, A 10.0.4.1, 10.0.4.2" in out.splitlines()[-3]
    assert "not reproduced" in out and "endpoint_never_empty holds in the real final state" in out


def test_a_planted_bug_diverges_at_the_step_it_breaks(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", "examples.dns_service.conformance:BuggyCleanupAdapter")
    assert result.exit_code == 1, result.output
    assert "diverged at step 9: plans: model [3, 4], implementation [4]" in result.stdout
    assert "reproduced" not in result.stdout


def test_json_output_has_both_states_per_step(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", ADAPTER, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["outcome"] == "reproduced" and len(data["steps"]) == 10
    assert data["steps"][9]["model"]["plans"] == [3, 4] and "plan store {3, 4}" in data["steps"][9]["real"]


# ---------------------------------------------------------------------------- bad input: never a verdict
def test_a_trace_of_another_model_is_refused(tmp_path: Path) -> None:
    itf = tmp_path / "nlb.itf.json"
    checked = run_cli("check", str(REPO / "specs/nlb_failover.toml"), "--itf", str(itf))
    assert checked.exit_code == 1 and itf.exists(), checked.output
    result = run_cli("replay", str(itf), "--adapter", ADAPTER)
    assert result.exit_code == 2, result.output
    assert "is for model 'models.dns.model:Dns'" in result.stderr


def test_a_trace_naming_no_model_is_refused(tmp_path: Path, race_itf: Path) -> None:
    data = json.loads(race_itf.read_text())
    del data["#meta"]["model_ref"]
    path = tmp_path / "plain.itf.json"
    path.write_text(json.dumps(data))
    result = run_cli("replay", str(path), "--adapter", ADAPTER)
    assert result.exit_code == 2 and "names no raceproof model" in result.stderr


def test_an_edited_trace_is_refused(tmp_path: Path, race_itf: Path) -> None:
    data = json.loads(race_itf.read_text())
    data["states"][9]["plans"] = {"#set": [{"#bigint": "4"}]}
    path = tmp_path / "edited.itf.json"
    path.write_text(json.dumps(data))
    result = run_cli("replay", str(path), "--adapter", ADAPTER)
    assert result.exit_code == 2 and "state 9: 'plans'" in result.stderr


def test_an_adapter_that_raises_gives_no_verdict(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", "tests.conform.adapters:RaisingAdapter")
    assert result.exit_code == 3, result.output
    assert "the adapter raised ConnectionResetError in step(enactor2, apply)" in result.stderr
    assert "no verdict" in result.stderr and "reproduced" not in result.output


def test_a_mapping_missing_a_variable_is_bad_input(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", "tests.conform.adapters:PartialMappingAdapter")
    assert result.exit_code == 2
    assert "does not say how to observe model variable 'plans'" in result.stderr


def test_a_mapping_naming_an_absent_observation_gives_no_verdict(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", "tests.conform.adapters:WrongObservationAdapter")
    assert result.exit_code == 3 and "no observation 'plan_rows'" in result.stderr


def test_a_server_that_is_down_gives_no_verdict(race_itf: Path) -> None:
    port = free_port()  # nothing listens there
    result = run_cli(
        "replay", str(race_itf), "--adapter", ADAPTER, "--adapter-option", f"dns=127.0.0.1:{port}",
        "--adapter-option", "key=raceproof-enactor:c2VjcmV0c2VjcmV0c2VjcmV0",
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "ConnectionRefusedError" in result.stderr and "no verdict" in result.stderr


def test_a_variant_the_service_lacks_is_bad_input(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", ADAPTER, "--param", "variant=cleanup_guard")
    assert result.exit_code == 2
    assert "refused the model's parameters" in result.stderr and "not 'cleanup_guard'" in result.stderr


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("examples.dns_service.conformance", "must be MODULE:CLASS"),
        ("examples.no_such_module:X", "cannot import module"),
        ("examples.dns_service.conformance:NoSuchAdapter", "has no class 'NoSuchAdapter'"),
    ],
)
def test_a_bad_adapter_reference_is_bad_input(race_itf: Path, ref: str, message: str) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", ref)
    assert result.exit_code == 2 and message in result.stderr


def test_an_action_invariant_is_judged_on_the_real_states_across_the_last_step(tmp_path: Path) -> None:
    itf = tmp_path / "regress.itf.json"
    checked = run_cli(
        "check", str(REPO / "specs/dns_race.toml"), "--property", "plan_never_regresses", "--itf", str(itf)
    )
    assert checked.exit_code == 1, checked.output
    result = run_cli("replay", str(itf), "--adapter", ADAPTER)
    assert result.exit_code == 1, result.output
    assert (
        "reproduced: plan_never_regresses is violated in the real states across step 6 (endpoint_plan [3, 1] → [2, 1])"
        in (result.stdout)
    )
    fixed = run_cli("replay", str(itf), "--adapter", ADAPTER, "--param", "variant=version_cas")
    assert fixed.exit_code == 0 and "plan_never_regresses holds in the real final state" in fixed.stdout


def test_a_property_on_unobserved_variables_gets_no_verdict(race_itf: Path) -> None:
    result = run_cli("replay", str(race_itf), "--adapter", "tests.conform.adapters:BlindAdapter")
    assert result.exit_code == 3, result.output
    assert "reads endpoint_plan, which the adapter does not observe" in result.stderr
    assert "reproduced" not in result.stdout
