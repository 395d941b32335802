"""The gate as a team meets it in CI: shards balanced by recorded cost, a first commit, reports
that stay out of `git status`, and a step summary that shows the counterexample first."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.gate.costs import FILE, load_costs, spec_key
from checker.gate.shard import select_shard, split

from .test_gate import GATE, PROJECT, gate, gate_env, gate_json, set_model


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


def _specs(n: int) -> list[Path]:
    return [Path(f"specs/s{i:02}.toml") for i in range(n)]


def test_shards_are_balanced_by_recorded_cost() -> None:
    specs = _specs(6)
    # two long specs that name order would put in the same shard, four short ones
    costs = {spec_key(specs[0]): 100.0, spec_key(specs[2]): 90.0} | {spec_key(p): 1.0 for p in specs[3:]}
    shards = split(specs, 2, costs)
    loads = [sum(costs.get(spec_key(p), 0.0) for p in s) for s in shards]
    assert sorted(loads) == [93.0, 100.0]  # longest first, each to the least loaded shard
    assert not ({specs[0], specs[2]} <= set(shards[0]) or {specs[0], specs[2]} <= set(shards[1]))
    flat = [p for s in shards for p in s]
    assert sorted(flat) == sorted(specs) and len(flat) == len(set(flat))  # disjoint, nothing left out
    assert shards == split(list(reversed(specs)), 2, costs)  # the input order does not matter
    # specs[1] has no cost: it is dealt all the same, exactly once
    assert sum(specs[1] in s for s in shards) == 1


def test_without_costs_the_split_is_by_name() -> None:
    specs = _specs(5)
    assert [select_shard(specs, i, 2) for i in (1, 2)] == [specs[0::2], specs[1::2]]


def test_the_gate_records_costs_and_later_shards_use_them(project: Path) -> None:
    gate_json(project, "--no-cache")
    costs = load_costs(project / ".raceproof-cache")
    assert set(costs) == {"specs/fixed.toml", "specs/flags.toml", "specs/racy.toml"}
    # shards split by those costs, and leave them as they are (a sibling shard reads the same)
    before = (project / ".raceproof-cache" / FILE).read_text()
    names = [sorted(Path(s["spec"]).name for s in gate_json(project, "--shard", f"{i}/2")["specs"]) for i in (1, 2)]
    assert sorted(names[0] + names[1]) == ["fixed.toml", "flags.toml", "racy.toml"]
    assert (project / ".raceproof-cache" / FILE).read_text() == before
    # a garbled costs file means no costs: the gate still runs, split by name
    (project / ".raceproof-cache" / FILE).write_text("{not json")
    names = [sorted(Path(s["spec"]).name for s in gate_json(project, "--shard", f"{i}/2")["specs"]) for i in (1, 2)]
    assert names == [["fixed.toml", "racy.toml"], ["flags.toml"]]
    gate_json(project)  # an unsharded run writes them anew
    assert json.loads((project / ".raceproof-cache" / FILE).read_text())["format"].startswith("raceproof-gate-costs")


def test_changed_since_head_before_the_first_commit_checks_everything(project: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=project, check=True)
    subprocess.run([*GIT, "add", "."], cwd=project, check=True)  # staged, never committed: no HEAD yet
    out = gate_json(project, "--changed-since", "HEAD")
    assert sorted(Path(s["spec"]).name for s in out["specs"]) == ["fixed.toml", "flags.toml", "racy.toml"]
    bad = gate(project, "--changed-since", "no-such-rev")
    assert bad.exit_code == 2 and "not a revision" in bad.stderr


def test_a_failing_run_leaves_nothing_untracked_in_the_repository(project: Path) -> None:
    subprocess.run([*GIT, "init", "-q"], cwd=project, check=True)
    (project / ".gitignore").write_text("__pycache__/\n.raceproof-cache/\n")
    subprocess.run([*GIT, "add", "."], cwd=project, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=project, check=True)
    set_model(project / "specs" / "fixed.toml", "gatepkg.counter:Racy")
    result = gate(project)
    assert result.exit_code == 1, result.output
    assert (project / ".raceproof" / "reports" / "specs" / "fixed.txt").is_file()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True).stdout
    assert status.split() == ["M", "specs/fixed.toml"], status  # the edit, and no untracked reports


def test_step_summary_shows_failures_first_with_the_counterexample_and_the_artifact(project: Path) -> None:
    step = project / "step.md"
    set_model(project / "specs" / "fixed.toml", "gatepkg.counter:Racy")
    result = subprocess.run(
        [*GATE, "--artifact-name", "raceproof-reports-1"],
        cwd=project, env=gate_env(GITHUB_STEP_SUMMARY=str(step)), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    text = step.read_text()
    head = text.index("### ❌ `specs/fixed.toml` · `no_lost_update`")
    diagram = text.index("```mermaid\nsequenceDiagram")
    assert head < diagram < text.index("<details><summary>")  # the failure, then the diagram, met ones last
    assert "no_lost_update is false in state 4" in text and "#### Why: " in text
    assert "artifact **`raceproof-reports-1`**" in text and "`specs/fixed.html`" in text
    assert "](" not in text.split("<details>")[0].split("Reports in")[1]  # no relative link to a dead path


def test_gate_lines_keep_their_columns(project: Path) -> None:
    out = gate(project, "--no-cache").stdout
    flags = next(line for line in out.splitlines() if "never_lowered" in line)
    # the detail never runs into the judgement: "... distinct states, diameter 2 · expected holds: ok"
    assert re.search(r"exhaustive: [\d,]+ distinct states?, diameter \d+ · expected holds: ok$", flags), flags
