"""The TLA+ twin of models/dns_fine (benchmarks/tla/dns_fine/DnsFine.tla) against raceproof:
TLC's distinct-state count equals the explicit engine's (symmetry off), and TLC's breadth-first
shortest counterexample is as long as raceproof's. TLC runs with a config written per case (a
violated invariant is part of the test), so `tests.tlc.run_tlc`, which refuses a run that finds
an error, is not used; `require_tlc` finds Java and the jar."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.engines.explicit.engine import run_explicit
from checker.results import Verdict
from checker.spec import load_spec
from tests.tlc import require_tlc

pytestmark = pytest.mark.tlc

REPO = Path(__file__).resolve().parent.parent
TLA = REPO / "benchmarks" / "tla" / "dns_fine" / "DnsFine.tla"


def run_tlc(tmp: Path, constants: dict[str, int], invariant: str) -> str:
    java, jar = require_tlc()  # the shared harness: skips without TLC, fails under RACEPROOF_CI
    shutil.copy(TLA, tmp / TLA.name)
    consts = "  ".join(f"{k} = {v}" for k, v in constants.items())
    (tmp / "MC.cfg").write_text(f"CONSTANTS {consts}\nINIT Init\nNEXT Next\nINVARIANT {invariant}\n")
    cmd = [java, "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC", "-workers", "1", "-deadlock"]
    cmd += ["-metadir", str(tmp / "states"), "-config", "MC.cfg", TLA.name]
    proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=300, check=False)
    return proc.stdout


def explicit(params: dict[str, int], prop: str):
    spec = load_spec(REPO / "benchmarks" / "specs" / "fine_grained_dns.toml")
    spec.params.update(params)
    return run_explicit(spec.build(), [prop], None, 300, symmetry=False)[0]


@pytest.mark.parametrize("enactors", [1, 2])
def test_tlc_counts_the_same_distinct_states(tmp_path: Path, enactors: int) -> None:
    params = {"enactors": enactors, "endpoints": 2, "cleanup_age": 1, "max_plans": 4}
    out = run_tlc(tmp_path, {"N": enactors, "E": 2, "Age": 1, "MaxPlans": 4}, "NewestPlanExists")
    assert "Model checking completed. No error has been found." in out, out
    found = re.findall(r"([\d,]+) distinct states found, 0 states left on queue", out)  # the final count
    assert found, out
    ours = explicit(params, "newest_plan_exists")
    assert ours.verdict is Verdict.HOLDS and ours.extra["exhaustive"]
    assert ours.extra["states"] == int(found[-1].replace(",", ""))


def test_tlc_shortest_counterexample_is_as_long(tmp_path: Path) -> None:
    params = {"enactors": 2, "endpoints": 1, "cleanup_age": 0, "max_plans": 3}
    out = run_tlc(tmp_path, {"N": 2, "E": 1, "Age": 0, "MaxPlans": 3}, "EndpointNeverEmpty")
    assert "Invariant EndpointNeverEmpty is violated" in out, out
    states = [int(n) for n in re.findall(r"^State (\d+):", out, re.MULTILINE)]
    ours = explicit(params, "endpoint_never_empty")
    assert ours.verdict is Verdict.VIOLATED
    assert max(states) - 1 == ours.depth == 15  # TLC numbers states from 1 (the initial state)
