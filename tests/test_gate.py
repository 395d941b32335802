"""`raceproof gate`: exit codes, the verdict cache (invalidation, corruption, a killed run),
shards, --changed-since, JUnit and Markdown outputs, parallel jobs.

Each test copies a small project (tests/data/gate_project: a counter model, racy and fixed,
and an independent flag model) into a tmp folder and runs the gate there as a subprocess,
so that every run imports model code afresh, as in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.gate.shard import parse_shard, select_shard

from .conftest import REPO, CliResult

PROJECT = REPO / "tests" / "data" / "gate_project"
GATE = [sys.executable, "-m", "checker.cli", "gate"]


def gate_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS", "GITHUB_STEP_SUMMARY")}
    env.update(PYTHONPATH=str(REPO), NO_COLOR="1", **extra)
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def gate(project: Path, *args: str, env: dict[str, str] | None = None) -> CliResult:
    proc = subprocess.run(
        [*GATE, *args], cwd=project, env=env or gate_env(), capture_output=True, text=True, timeout=300, check=False
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def gate_json(project: Path, *args: str, code: int | None = 0) -> dict:
    result = gate(project, "--json", *args)
    if code is not None:
        assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def cached(out: dict) -> dict[str, bool]:
    """spec file name -> whether its verdicts came from the cache."""
    return {Path(s["spec"]).name: s["cached"] for s in out["specs"]}


def edit(path: Path, text: str = "\n# edited\n") -> None:
    path.write_text(path.read_text() + text)


def set_model(spec: Path, model: str) -> None:
    lines = spec.read_text().splitlines()
    spec.write_text("\n".join(f'model = "{model}"' if ln.startswith("model =") else ln for ln in lines) + "\n")


# ---------------------------------------------------------------------------- exit codes
def test_all_expectations_met_exits_0_and_the_second_run_is_cached(project: Path) -> None:
    first = gate_json(project)
    assert cached(first) == {"fixed.toml": False, "flags.toml": False, "racy.toml": False}
    outcomes = {
        (Path(s["spec"]).name, p["name"]): (p["verdict"], p["outcome"]) for s in first["specs"] for p in s["properties"]
    }
    assert outcomes[("racy.toml", "no_lost_update")] == ("violated", "met")  # expectation-based, not verdict-based
    assert outcomes[("fixed.toml", "overshoot")] == ("unreachable", "met")
    second = gate(project)
    assert second.exit_code == 0, second.output
    assert "3 spec(s) cached" in second.stdout and second.stdout.count("  cached") == 3
    assert cached(gate_json(project)) == {"fixed.toml": True, "flags.toml": True, "racy.toml": True}
    # --no-cache checks everything again
    assert not any(cached(gate_json(project, "--no-cache")).values())


def test_a_fix_switched_back_to_the_race_fails_with_its_counterexample(project: Path) -> None:
    spec = project / "specs" / "fixed.toml"
    set_model(spec, "gatepkg.counter:Racy")  # still expects no_lost_update = "holds"
    result = gate(project, "--junit", "out.xml")
    assert result.exit_code == 1, result.output
    assert "expected holds, got violated" in result.stdout
    assert "write" in result.stdout and "is false in state 4" in result.stdout  # the trace is printed
    suites = ET.parse(project / "out.xml").getroot()
    assert suites.get("failures") == "1" and suites.get("tests") == "7"
    assert suites.get("errors") == "1"  # overshoot: no verdict in the racy model at this depth (inconclusive)
    failed = {
        case.get("name"): case.find("failure") for case in suites.iter("testcase") if case.find("failure") is not None
    }
    assert list(failed) == ["no_lost_update"]
    text = failed["no_lost_update"].text or ""
    assert "expected holds, got violated" in text and "Counterexample to no_lost_update (4 steps" in text
    assert "read" in text and "write" in text
    report = project / ".raceproof" / "reports" / "specs" / "fixed"
    for suffix in (".txt", ".md", ".html", ".no_lost_update.itf.json"):
        assert report.with_name("fixed" + suffix).is_file(), suffix
    # a failure is never cached: the next run checks it again (and fails again)
    again = gate_json(project, code=1)
    assert cached(again)["fixed.toml"] is False and cached(again)["racy.toml"] is True
    # once fixed, the spec passes and its stale reports are gone
    set_model(spec, "gatepkg.counter:Fixed")
    assert gate(project).exit_code == 0
    assert not report.with_name("fixed.txt").exists()


def test_an_expected_violation_that_no_longer_reproduces_is_drift(project: Path) -> None:
    set_model(project / "specs" / "racy.toml", "gatepkg.counter:Fixed")  # still expects violated
    out = gate_json(project, code=1)
    racy = next(s for s in out["specs"] if s["spec"].endswith("racy.toml"))
    assert {p["name"]: p["outcome"] for p in racy["properties"]}["no_lost_update"] == "drifted"
    assert "no longer reproduces" in gate(project).stdout


def test_a_witness_not_found_is_inconclusive_and_strict_fails_it(project: Path) -> None:
    spec = project / "specs" / "flags.toml"
    # BMC (the finite flag model would get an exhaustive search by default): all_up needs 2 steps
    spec.write_text(spec.read_text().replace("depth = 3", 'engine = "bmc"\ndepth = 1'))
    result = gate(project, "specs/flags.toml")
    assert result.exit_code == 3, result.output
    strict = gate(project, "--strict", "specs/flags.toml")
    assert strict.exit_code == 1, strict.output
    assert "--strict: reachable property not witnessed" in strict.stdout
    # inconclusive results are not cached
    assert cached(gate_json(project, "specs/flags.toml", code=3)) == {"flags.toml": False}


def test_strict_passes_when_every_reachable_property_is_witnessed(project: Path) -> None:
    assert gate(project, "--strict").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nowhere/",), "nowhere/: no such file or folder"),
        (("--shard", "3/2"), "need 1 <= I <= N"),
        (("--shard", "x"), "--shard must look like I/N"),
        (("--changed-since", "HEAD"), "--changed-since"),  # not a git repository
    ],
)
def test_bad_input_exits_2(project: Path, args: tuple[str, ...], message: str) -> None:
    result = gate(project, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_a_bad_spec_exits_2_naming_its_line_before_any_check(project: Path) -> None:
    bad = project / "specs" / "bad.toml"
    bad.write_text('model = "gatepkg.counter:Racy"\n[expect]\nno_such_property = "holds"\n')
    result = gate(project)
    assert result.exit_code == 2, result.output
    assert "specs/bad.toml:3" in result.stderr and "no_such_property" in result.stderr
    assert not (project / ".raceproof-cache").exists()  # nothing was checked


# ---------------------------------------------------------------------------- the cache
def test_editing_a_model_file_invalidates_exactly_the_specs_that_import_it(project: Path) -> None:
    gate_json(project)
    edit(project / "gatepkg" / "shared.py")  # imported by counter.py (relative import), not by flags.py
    assert cached(gate_json(project)) == {"fixed.toml": False, "flags.toml": True, "racy.toml": False}
    edit(project / "gatepkg" / "flags.py")
    assert cached(gate_json(project)) == {"fixed.toml": True, "flags.toml": False, "racy.toml": True}
    edit(project / "specs" / "racy.toml", "\n# a comment changes the spec's hash\n")
    assert cached(gate_json(project)) == {"fixed.toml": True, "flags.toml": True, "racy.toml": False}
    edit(project / "gatepkg" / "__init__.py")  # the package's __init__ runs on import: every spec
    assert not any(cached(gate_json(project)).values())


def test_a_corrupt_or_foreign_cache_entry_is_ignored_with_a_warning(project: Path) -> None:
    gate_json(project)
    entries = sorted((project / ".raceproof-cache").glob("*.json"))
    assert len(entries) == 3 and (project / ".raceproof-cache" / ".gitignore").is_file()
    by_spec = {e.name.split(".")[0]: e for e in entries}
    by_spec["racy"].write_text('{"format": "raceproof-gate-cache/2", "key": ')  # torn
    good = json.loads(by_spec["fixed"].read_text())
    good["record"]["properties"] = "not a list"
    by_spec["fixed"].write_text(json.dumps(good))  # the right key, a malformed record
    by_spec["flags"].write_text(json.dumps({"something": "else"}))  # another tool's file
    result = gate(project)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning: cache entry") == 3, result.stderr
    assert "is corrupt" in result.stderr and "not a raceproof gate entry" in result.stderr
    assert "0 spec(s) cached" in result.stdout
    assert cached(gate_json(project)) == {"fixed.toml": True, "flags.toml": True, "racy.toml": True}  # rewritten


def test_an_entry_with_another_key_is_a_miss_not_a_verdict(project: Path) -> None:
    """An entry copied from another spec's (or an old) run is never taken for this spec's verdict."""
    gate_json(project)
    entries = {e.name.split(".")[0]: e for e in (project / ".raceproof-cache").glob("*.json")}
    shutil.copy(entries["racy"], entries["fixed"])  # racy's verdicts under fixed's name
    assert cached(gate_json(project))["fixed.toml"] is False


def test_a_killed_run_leaves_no_wrong_verdict(project: Path) -> None:
    slow = project / "specs" / "zslow.toml"  # sorted last: checked after the others
    slow.write_text('model = "gatepkg.counter:Racy"\n[params]\nprocs = 6\n[check]\ndepth = 12\n'
                    '[expect]\nno_lost_update = "violated"\n')  # fmt: skip
    cache = project / ".raceproof-cache"
    proc = subprocess.Popen([*GATE], cwd=project, env=gate_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(cache.glob("*.json"))) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # midway through zslow (it takes seconds; the others do not)
    finally:
        proc.wait()
    finished = {e.name.split(".")[0] for e in cache.glob("*.json")}
    assert finished >= {"fixed", "flags", "racy"}
    for entry in cache.glob("*.json"):  # whatever is there is a complete entry
        assert json.loads(entry.read_text())["format"] == "raceproof-gate-cache/2"
    out = gate_json(project)
    assert cached(out) == {"fixed.toml": True, "flags.toml": True, "racy.toml": True, "zslow.toml": "zslow" in finished}
    assert not list(cache.glob(".*.tmp")) or all(p.stat().st_size >= 0 for p in cache.glob(".*.tmp"))


def test_an_interrupted_cache_write_keeps_the_old_entry(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.gate.cache import VerdictCache
    from checker.gate.records import PropertyRecord, SpecRecord

    warnings: list[str] = []
    cache = VerdictCache(project / "cache", warnings.append)
    spec = project / "specs" / "flags.toml"
    record = SpecRecord(
        str(spec), "flags", "m", {}, "bmc", 3, 0.1, [PropertyRecord("p", "invariant", "holds", "holds", "bmc")]
    )
    assert cache.store(spec, "key1", record, {})

    def killed(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.store(spec, "key2", record, {})
    monkeypatch.undo()
    assert cache.load(spec, "key1") is not None and cache.load(spec, "key2") is None
    assert list((project / "cache").glob(".*tmp")) == [] and warnings == []
    # a record with a failed expectation is never stored
    record.properties[0].verdict = "violated"
    assert not cache.store(spec, "key3", record, {}) and cache.load(spec, "key3") is None


# ---------------------------------------------------------------------------- shards, changed specs, jobs
def test_shards_are_disjoint_and_cover_every_spec() -> None:
    specs = [Path(f"specs/s{n:02}.toml") for n in range(11)]
    for count in range(1, 6):
        shards = [select_shard(list(reversed(specs)), i, count) for i in range(1, count + 1)]
        flat = [p for shard in shards for p in shard]
        assert sorted(flat) == sorted(specs) and len(flat) == len(set(flat))
        assert max(map(len, shards)) - min(map(len, shards)) <= 1
        assert shards == [select_shard(specs, i, count) for i in range(1, count + 1)]  # order of input irrelevant
    assert parse_shard(" 2 / 3 ") == (2, 3)
    for bad in ("0/2", "3/2", "1/0", "1", "a/b"):
        with pytest.raises(ValueError):
            parse_shard(bad)


def test_shards_from_the_command_line_split_the_specs(project: Path) -> None:
    names = [sorted(cached(gate_json(project, "--shard", f"{i}/2"))) for i in (1, 2)]
    assert names == [["fixed.toml", "racy.toml"], ["flags.toml"]]


def test_changed_since_checks_only_specs_whose_inputs_changed(project: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=project, check=True)
    assert gate_json(project, "--changed-since", "HEAD")["specs"] == []
    edit(project / "gatepkg" / "flags.py")
    assert sorted(cached(gate_json(project, "--changed-since", "HEAD"))) == ["flags.toml"]
    (project / "specs" / "new.toml").write_text((project / "specs" / "racy.toml").read_text())  # untracked
    assert sorted(cached(gate_json(project, "--changed-since", "HEAD"))) == ["flags.toml", "new.toml"]
    result = gate(project, "--changed-since", "no-such-rev")
    assert result.exit_code == 2 and "not a revision" in result.stderr


def test_parallel_jobs_give_the_same_verdicts(project: Path) -> None:
    def verdicts(out: dict) -> dict:
        return {
            (Path(s["spec"]).name, p["name"]): (p["verdict"], p["outcome"])
            for s in out["specs"]
            for p in s["properties"]
        }

    serial = gate_json(project, "--no-cache")
    parallel = gate_json(project, "--no-cache", "--jobs", "2")
    assert verdicts(serial) == verdicts(parallel) and len(verdicts(serial)) == 7


# ---------------------------------------------------------------------------- outputs
def test_junit_has_one_case_per_spec_and_property(project: Path) -> None:
    assert gate(project, "--junit", "reports/gate.xml").exit_code == 0
    root = ET.parse(project / "reports" / "gate.xml").getroot()
    cases = [(suite.get("name"), case.get("name")) for suite in root for case in suite.iter("testcase")]
    assert len(cases) == 7 and root.get("tests") == "7" and root.get("failures") == "0"
    assert ("specs/racy.toml", "no_lost_update") in cases


def test_summary_table_and_github_step_summary(project: Path) -> None:
    step = project / "step.md"
    step.write_text("earlier step\n")
    spec = project / "specs" / "fixed.toml"
    set_model(spec, "gatepkg.counter:Racy")
    result = subprocess.run(
        [*GATE, "--summary", "summary.md"], cwd=project, env=gate_env(GITHUB_STEP_SUMMARY=str(step)),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    summary = (project / "summary.md").read_text()
    assert "## raceproof gate: ❌" in summary
    # the failure comes first, with its counterexample inline and links to its reports
    failure = summary.index("### ❌ `specs/fixed.toml` · `no_lost_update`: expected holds, got **violated**")
    assert failure < summary.index("```mermaid") < summary.index("<details>")
    assert "[fixed.txt](.raceproof/reports/specs/fixed.txt)" in summary
    met = summary[summary.index("<details>") :]
    assert "| ✅ | `specs/racy.toml` | `no_lost_update` | violated | **violated** |" in met
    assert step.read_text().startswith("earlier step\n## raceproof gate")  # appended, not replaced


def test_json_and_terminal_output_report_cached_verdicts(project: Path) -> None:
    gate(project)
    out = gate_json(project)
    assert out["exit_code"] == 0 and all(s["cached"] for s in out["specs"])
    racy = next(s for s in out["specs"] if s["spec"] == "specs/racy.toml")
    assert {p["name"]: p["detail"] for p in racy["properties"]}["no_lost_update"] == "in 4 steps"


def test_strict_judges_action_coverage_when_the_run_reports_it() -> None:
    """Coverage comes from the engines (`SpecResult.coverage`: lists ``never`` and ``undetermined``)."""
    from types import SimpleNamespace

    from checker.gate.expectations import gate_exit_code
    from checker.gate.junit import junit_xml
    from checker.gate.records import PropertyRecord, SpecRecord, _action_coverage

    assert _action_coverage(SimpleNamespace()) == (None, None)  # a run without coverage
    run = SimpleNamespace(coverage={"never": ["b.y", "a.x"], "undetermined": [], "static": ["c.z"], "fired": {}})
    assert _action_coverage(run) == (["a.x", "b.y"], [])  # statically disabled actions never count
    prop = PropertyRecord("p", "invariant", "holds", "holds", "bmc")
    record = SpecRecord("s.toml", "s", "m", {}, "bmc", 3, 0.1, [prop], never_fired=["a.x"], undecided_actions=[])
    assert gate_exit_code(record.all_outcomes(strict=False)) == 0
    assert gate_exit_code(record.all_outcomes(strict=True)) == 1
    root = junit_xml([record], strict=True).getroot()
    assert root.get("failures") == "1" and "actions never fired: a.x" in ET.tostring(root).decode()
    record.never_fired, record.undecided_actions = [], ["a.x"]
    assert gate_exit_code(record.all_outcomes(strict=True)) == 3
