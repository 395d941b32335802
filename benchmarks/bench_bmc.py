"""Benchmark: raceproof's BMC on the DNS race, side by side with SPIN on the same semantics.

Run from the repository root:  python benchmarks/bench_bmc.py [--repeat 3] [--skip-fixed] [--skip-fine]
Only the deep-BMC section:      python benchmarks/bench_bmc.py --fine-only [--fine-enactors 3]

Speed is reported as ratios against a peer measured on the same machine in the same run,
because absolute seconds on a shared 2-core machine say little on their own. See
benchmarks/README.md for what every figure means.

Sections:
  (a) in process: run_bmc to the first (shortest) counterexample of each property;
  (b) whole process: `raceproof check specs/dns_race.toml` as a subprocess;
  (c) SPIN on benchmarks/promela/dns_race.pml (BFS and DFS), if `spin` and `gcc` exist;
  (d) the fixed variants version_cas and fencing_token: BMC to depth 12 with and without
      symmetry reduction, and SPIN's exhaustive search of the same finite instance;
  (e) deep BMC on the fine-grained DNS model (models/dns_fine, 8 steps per Enactor), whole
      process, against the explicit engine and TLC on its TLA+ twin (benchmarks/bmc_fine.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import z3

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so that `python benchmarks/bench_bmc.py` finds checker/ and models/
    sys.path.insert(0, str(ROOT))

from bmc_fine import section as fine_section  # noqa: E402  (benchmarks/ is on the path)
from promela_model import PML_VARIANTS, PROMELA  # noqa: E402

from checker.engines.bmc import run_bmc  # noqa: E402
from checker.results import Verdict  # noqa: E402
from checker.spec import Spec, load_spec  # noqa: E402

RACE_SPEC = ROOT / "specs" / "dns_race.toml"
FIXED_SPECS = {
    "version_cas": ROOT / "specs" / "dns_version_cas.toml",
    "fencing_token": ROOT / "specs" / "dns_fencing_token.toml",
}
SAFETY = ["endpoint_never_empty", "plan_never_regresses"]
# The shortest counterexample lengths, used as BMC bounds in (a). Both tools must report
# exactly these (BMC deepens one step at a time, SPIN -DBFS explores level by level, so both
# give shortest traces); the "length" columns and the trail-length lines show it.
SHORTEST = {"endpoint_never_empty": 9, "plan_never_regresses": 6}
# Per-property Promela switches: each SPIN run checks one property, as each BMC run does,
# so "time to the first counterexample" means the same thing on both sides.
PML_PROPERTY = {
    "endpoint_never_empty": ["-DCHECK_EMPTY=1", "-DCHECK_REGRESS=0"],
    "plan_never_regresses": ["-DCHECK_EMPTY=0", "-DCHECK_REGRESS=1"],
}
# pan's default hash table (-w24) is 128 MB; allocating and clearing it cost ~0.6 s of
# system time per run here, more than the search itself. 2^20 slots hold the largest
# state space below (~2e5 states) with few collisions.
PAN_HASH = "-w20"


@dataclass
class Sample:
    """Repeated measurements of one quantity, in seconds."""

    values: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self) -> str:
        return f"{self.best:8.3f} {self.median:8.3f}"


@dataclass
class Row:
    label: str
    wall: Sample
    inner: Sample | None = None  # solver seconds (ours) or pan alone (SPIN)
    verdict: str = ""
    length: str = ""


# Every SPIN compile (spin -a + gcc) of the run, to show how much of SPIN's time it is.
SPIN_COMPILE = Sample()


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def run(cmd: list[str], cwd: Path, check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command, returning its wall time and result (pan exits 0 even on errors)."""
    seconds, proc = timed(lambda: subprocess.run(cmd, cwd=cwd, capture_output=True, text=True))
    assert isinstance(proc, subprocess.CompletedProcess)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc


# -- ours ---------------------------------------------------------------------------------


def ours_first_cex(spec: Spec, prop: str, depth: int, repeat: int, timeout: float | None) -> Row:
    """(a) run_bmc to the shortest counterexample of one property, `repeat` times.

    A fresh model per repetition, so no encoding or solver state is shared between runs.
    """
    wall, solver = Sample(), Sample()
    lengths: set[int | None] = set()
    verdicts: set[str] = set()
    for _ in range(repeat):
        model = spec.build()
        seconds, results = timed(lambda model=model: run_bmc(model, [prop], depth, timeout=timeout))
        assert isinstance(results, list)
        result = results[0]
        wall.values.append(seconds)
        solver.values.append(float(result.extra.get("solver_seconds", float("nan"))))
        verdicts.add(str(result.verdict))
        lengths.add(result.depth if result.verdict is Verdict.VIOLATED else None)
    label = f"ours  run_bmc {prop} (timeout={timeout:g})" if timeout else f"ours  run_bmc {prop} (timeout=None)"
    return Row(label, wall, solver, "/".join(sorted(verdicts)), "/".join(str(n) for n in lengths))


def ours_whole_process(repeat: int) -> Row:
    """(b) `raceproof check specs/dns_race.toml`: interpreter start, imports, all four
    properties of the spec (two violations, two witnesses), report printing."""
    exe = shutil.which("raceproof")
    cmd = [exe] if exe else [sys.executable, "-c", "from checker.cli import main; main()"]
    wall = Sample()
    codes = set()
    for _ in range(repeat):
        seconds, proc = run([*cmd, "check", str(RACE_SPEC.relative_to(ROOT))], ROOT, check=False)
        wall.values.append(seconds)
        codes.add(proc.returncode)
    verdict = "exit 1 (violated)" if codes == {1} else f"exit {sorted(codes)} (expected 1)"
    return Row("ours  raceproof check specs/dns_race.toml", wall, None, verdict, "9, 6")


def ours_to_depth(spec: Spec, depth: int, symmetry: bool, repeat: int, timeout: float) -> Row:
    """(d) BMC of both safety properties to `depth` (they hold: the whole bound is paid)."""
    wall, solver = Sample(), Sample()
    verdicts: set[str] = set()
    reached: set[int | None] = set()
    for _ in range(repeat):
        model = spec.build()
        seconds, results = timed(lambda model=model: run_bmc(model, SAFETY, depth, timeout, symmetry=symmetry))
        assert isinstance(results, list)
        wall.values.append(seconds)
        # One unrolling serves both properties, so solver_seconds is shared: take the max.
        solver.values.append(max(float(r.extra.get("solver_seconds", 0.0)) for r in results))
        verdicts.update(str(r.verdict) for r in results)
        reached.update(r.depth for r in results)
    variant = spec.params.get("variant")
    label = f"ours  run_bmc {variant} depth {depth}, symmetry {'on' if symmetry else 'off'}"
    return Row(label, wall, solver, "/".join(sorted(verdicts)), f"to {'/'.join(str(d) for d in reached)}")


# -- SPIN ---------------------------------------------------------------------------------


@dataclass
class PanRun:
    errors: int
    assertion: str
    states: int
    depth_reached: int
    complete: bool
    trail_steps: int | None


def pml_defines(spec: Spec) -> list[str]:
    """Promela defines from the spec's parameters, so both tools check the same instance."""
    p = spec.params
    return [
        f"-DVARIANT={PML_VARIANTS.index(p['variant'])}",
        f"-DN={p['enactors']}",
        f"-DE={p['endpoints']}",
        f"-DAGE={p['cleanup_age']}",
        f"-DMAXP={p['max_plans']}",
    ]


def parse_pan(out: str) -> PanRun:
    errors = re.search(r"errors: (\d+)", out)
    states = re.search(r"(\d+) states, stored", out)
    depth = re.search(r"depth reached (\d+)", out)
    assertion = re.search(r"assertion violated (.*) \(at depth \d+\)", out)
    if not (errors and states and depth):
        raise RuntimeError(f"unexpected pan output:\n{out}")
    # "max search depth too small" would mean a truncated search: no verdict.
    complete = "max search depth too small" not in out and "Search not completed" not in out
    return PanRun(
        int(errors.group(1)),
        assertion.group(1) if assertion else "",
        int(states.group(1)),
        int(depth.group(1)),
        complete,
        None,
    )


def spin_once(workdir: Path, defines: list[str], bfs: bool) -> tuple[float, float, float, PanRun]:
    """spin -a + gcc + pan: end to end, compile (spin -a + gcc), pan alone; then the trail's length."""
    # -DSAFETY: no never claim and no cycle detection: all we check is assertions, and it
    # makes pan smaller and faster. -DBFS implies safety-only search.
    mode = "-DBFS" if bfs else "-DSAFETY"
    for stale in workdir.glob("*.trail"):
        stale.unlink()
    t_spin, _ = run(["spin", *defines, "-a", PROMELA.name], workdir)
    t_gcc, _ = run(["gcc", "-O2", mode, "-o", "pan", "pan.c"], workdir)
    t_pan, proc = run(["./pan", PAN_HASH], workdir)
    result = parse_pan(proc.stdout)
    if result.errors:
        # Not timed: replay the trail to count its steps (one d_step = one step).
        _, replay = run(["spin", *defines, "-t", PROMELA.name], workdir)
        steps = re.search(r"trail ends after (\d+) steps", replay.stdout)
        result.trail_steps = int(steps.group(1)) if steps else None
    return t_spin + t_gcc + t_pan, t_spin + t_gcc, t_pan, result


def spin_row(workdir: Path, label: str, defines: list[str], bfs: bool, repeat: int) -> tuple[Row, PanRun]:
    end_to_end, pan_alone = Sample(), Sample()
    last: PanRun | None = None
    for _ in range(repeat):
        total, compile_seconds, pan, last = spin_once(workdir, defines, bfs)
        end_to_end.values.append(total)
        pan_alone.values.append(pan)
        SPIN_COMPILE.values.append(compile_seconds)
    assert last is not None
    if last.errors:
        # The only other assertion is the token cap: hitting it means no verdict at all.
        verdict = "TOKEN_CAP reached" if "next_token" in last.assertion else "violated"
        length = str(last.trail_steps)
    else:
        verdict = "holds (exhaustive)" if last.complete else "incomplete search"
        length = f"all ({last.states} states, depth {last.depth_reached})"
    return Row(label, end_to_end, pan_alone, verdict, length), last


def spin_available() -> str | None:
    """Why SPIN cannot run here, or None if it can."""
    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found on PATH (Debian/Ubuntu: apt-get install -y spin gcc)"
    return None


def code_version() -> str:
    """The commit measured, and whether tracked files in checker/ or models/ differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "checker", "models"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "unknown (no git)"
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" + uncommitted changes in checker/ or models/" if dirty.stdout.strip() else "")


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError:
        return "absent"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "?"


# -- report -------------------------------------------------------------------------------


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"  {'what':<60} {'n':>2} {'wall s':>17} {'solver|pan s':>17}  {'verdict':<18} length")
    print(f"  {'':<60} {'':>2} {'best   median':>17} {'best   median':>17}")
    for r in rows:
        inner = r.inner.show() if r.inner else ""
        print(f"  {r.label:<60} {len(r.wall.values):>2} {r.wall.show():>17} {inner:>17}  {r.verdict:<18} {r.length}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:7.2f}x" if b > 0 else "    n/a"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of each quick measurement (default 3)")
    ap.add_argument(
        "--fixed-repeat",
        type=int,
        default=1,
        help="repetitions of each depth-12 BMC run of the fixed variants (default 1: they take minutes)",
    )
    ap.add_argument("--fixed-depth", type=int, default=12, help="BMC bound for the fixed variants (default 12)")
    ap.add_argument("--skip-fixed", action="store_true", help="skip section (d), the slow one")
    ap.add_argument("--no-spin", action="store_true", help="skip SPIN even if it is installed")
    ap.add_argument("--skip-fine", action="store_true", help="skip section (e), deep BMC on models/dns_fine")
    ap.add_argument("--fine-only", action="store_true", help="run only section (e)")
    ap.add_argument("--fine-enactors", type=int, default=3, help="Enactors in section (e) (default 3)")
    ap.add_argument("--fine-depth", type=int, default=24, help="BMC bound in section (e) (default 24)")
    args = ap.parse_args()
    fine = {"enactors": args.fine_enactors, "endpoints": 2, "cleanup_age": 1, "max_plans": 4}
    if args.fine_only:
        print(f"raceproof deep-BMC benchmark; code: commit {code_version()}, z3 {z3.get_version_string()}")
        fine_section(fine, args.repeat, args.fine_depth)
        return 0

    race = load_spec(RACE_SPEC)
    loads = os.getloadavg()
    print("raceproof BMC benchmark: DNS race (models/dns), ours vs SPIN on the same semantics")
    print(
        f"  machine: {os.cpu_count()} cores, {platform.machine()}, load average at start "
        f"{loads[0]:.2f} {loads[1]:.2f} {loads[2]:.2f} (other processes may be running)"
    )
    print(
        f"  python {platform.python_version()}, z3 {z3.get_version_string()}, "
        f"{tool_version(['spin', '-V'])}, {tool_version(['gcc', '--version'])}"
    )
    print(f"  code: commit {code_version()}")
    params = ", ".join(f"{k}={v}" for k, v in race.params.items())
    print(f"  instance: {params}; repeat {args.repeat} (best, median)")

    why_no_spin = "--no-spin given" if args.no_spin else spin_available()
    if why_no_spin:
        print(f"  SPIN: skipped: {why_no_spin}")

    # (a) + (b): ours
    timeout = race.timeout  # as `raceproof check` does: the spec's timeout (see README on why it matters)
    rows_a = [ours_first_cex(race, prop, SHORTEST[prop], args.repeat, timeout) for prop in SAFETY]
    rows_a_nt = [ours_first_cex(race, prop, SHORTEST[prop], args.repeat, None) for prop in SAFETY]
    row_b = ours_whole_process(args.repeat)

    # (c): SPIN on the same instance, one property per run
    spin_rows: dict[tuple[str, str], Row] = {}
    with tempfile.TemporaryDirectory(prefix="raceproof-bench-") as tmp:
        work = Path(tmp)
        shutil.copy(PROMELA, work / PROMELA.name)
        if not why_no_spin:
            for prop in SAFETY:
                for search, bfs in (("BFS", True), ("DFS", False)):
                    label = f"SPIN  {search} {prop}"
                    row, pan = spin_row(work, label, pml_defines(race) + PML_PROPERTY[prop], bfs, args.repeat)
                    spin_rows[(prop, search)] = row
                    if not pan.errors:
                        print(f"  WARNING: SPIN {search} found no violation of {prop}: the Promela model disagrees")

        print_table(
            "(a) in process: time to the first (shortest) counterexample, run_bmc, symmetry on", rows_a + rows_a_nt
        )
        print_table("(b) whole process (all four properties of the spec)", [row_b])
        if spin_rows:
            print_table(
                "(c) SPIN 6.5.2 on benchmarks/promela/dns_race.pml: end to end (spin -a + gcc -O2 + pan), "
                "and pan alone",
                list(spin_rows.values()),
            )
            print(
                f"  of SPIN's end-to-end time, spin -a + gcc -O2 took {SPIN_COMPILE.best:.2f} s best, "
                f"{SPIN_COMPILE.median:.2f} s median (n={len(SPIN_COMPILE.values)})"
            )
            print("\n  trail lengths (steps; shortest possible: endpoint_never_empty 9, plan_never_regresses 6):")
            for (prop, search), row in spin_rows.items():
                ours = next(r for r in rows_a if prop in r.label)
                same = "same as ours" if row.length == ours.length else f"ours {ours.length}"
                print(f"    {search} {prop:<22} SPIN {row.length:>4}   ({same})")
            print("\n  ratios ours / SPIN, time to verdict (median; > 1 means we are slower):")
            for prop in SAFETY:
                ours = next(r for r in rows_a if prop in r.label)
                bfs, dfs = spin_rows[(prop, "BFS")], spin_rows[(prop, "DFS")]
                assert ours.inner and bfs.inner
                print(
                    f"    {prop:<22} run_bmc wall / SPIN BFS end-to-end {ratio(ours.wall.median, bfs.wall.median)}"
                    f"   / SPIN DFS end-to-end {ratio(ours.wall.median, dfs.wall.median)}"
                    f"   solver / pan BFS {ratio(ours.inner.median, bfs.inner.median)}"
                )
            both = sum(spin_rows[(p, "BFS")].wall.median for p in SAFETY)
            print(
                f"    {'whole process':<22} raceproof check / SPIN BFS end-to-end of both properties "
                f"{ratio(row_b.wall.median, both)}"
            )

        # (d): the fixed variants, which hold: BMC pays for the whole bound
        if not args.skip_fixed:
            rows_d: list[Row] = []
            spin_d: dict[str, Row] = {}
            for variant, path in FIXED_SPECS.items():
                spec = load_spec(path)
                fixed_timeout = max(spec.timeout or 0.0, 1800.0)  # report the time, don't cut it short
                for symmetry in (True, False):
                    rows_d.append(ours_to_depth(spec, args.fixed_depth, symmetry, args.fixed_repeat, fixed_timeout))
                if not why_no_spin:
                    # Both assertions in one exhaustive DFS: no error means both properties hold in
                    # every reachable state of this finite instance, at any depth.
                    row, _ = spin_row(work, f"SPIN  DFS exhaustive {variant}", pml_defines(spec), False, args.repeat)
                    spin_d[variant] = row
                    rows_d.append(row)
            print_table(
                f"(d) fixed variants, both safety properties: BMC to depth {args.fixed_depth} "
                "vs SPIN exhaustive search",
                rows_d,
            )
            if spin_d:
                print("\n  ratios ours / SPIN, time to verdict (median; SPIN's verdict covers every depth):")
                for variant in FIXED_SPECS:
                    on = next(
                        r
                        for r in rows_d
                        if r.label.startswith("ours") and variant in r.label and "symmetry on" in r.label
                    )
                    off = next(
                        r
                        for r in rows_d
                        if r.label.startswith("ours") and variant in r.label and "symmetry off" in r.label
                    )
                    sp = spin_d[variant]
                    print(
                        f"    {variant:<14} symmetry on {ratio(on.wall.median, sp.wall.median)}"
                        f"   symmetry off {ratio(off.wall.median, sp.wall.median)}"
                        f"   (symmetry speed-up {ratio(off.wall.median, on.wall.median)})"
                    )

    if not args.skip_fine:
        fine_section(fine, args.repeat, args.fine_depth)
    loads = os.getloadavg()
    print(f"\n  load average at end {loads[0]:.2f} {loads[1]:.2f} {loads[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
