"""Proof times for the DNS fixes: the whole `raceproof prove` process against the goal, then
PDR and k-induction calls, at 3 Enactors/2 endpoints and 8/3.

Plan generations are unbounded (``max_plans`` unset): these are proofs for every trace of
any length, not bounded checks. Each run is in a fresh Python process, so that z3's state
from one run cannot help the next; each configuration runs ``--repeat`` times (default 3).

First table (``--mode whole``): ``python -m checker.cli prove specs/dns_<variant>.toml`` as a
user runs it (``-P enactors=8 -P endpoints=3`` for 8x3): start-up, imports, the first look
for witnesses, the portfolio, the certificate re-check and the report, all included. Printed:
best and median wall seconds, the median CPU seconds of the process and its children, the
ratio of the median wall time to the goal (issue 15: 2 s at 3x2, 10 s at 8x3; <= 1.00 meets
it), the verdicts' exit code, and the load average before each configuration.

Second table (``--mode calls``): one engine's `prove()` call in a process of its own, best and
median of: z3's solving time (the engine's running total of time inside z3, not counting the
certificate re-check) in this process's CPU seconds and in wall seconds, the CPU and wall
time of the whole call (model encoding and certificate re-check included); then the phases
of the median run (CPU seconds for PDR). k-induction does not report CPU solving time. On a
shared machine trust the CPU columns: the wall columns also count other processes' turns.

    python benchmarks/bench_prove.py
    python benchmarks/bench_prove.py --mode whole --repeat 5
    python benchmarks/bench_prove.py --mode calls --engines pdr --sizes 8x3 --variants fencing_token --timeout 300
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PROPS = ["endpoint_never_empty", "plan_never_regresses"]
GOAL_S = {"3x2": 2.0, "8x3": 10.0}  # whole process, wall seconds (issue 15, section 2)


def whole(variant: str, size: str, timeout: float) -> dict[str, Any]:
    """One `raceproof prove` process: wall seconds, CPU seconds (it and its children), exit code."""
    n, e = size.split("x")
    cmd = [sys.executable, "-m", "checker.cli", "prove", f"specs/dns_{variant}.toml", "--timeout", str(timeout)]
    if size != "3x2":  # the specs' own size is 3x2
        cmd += ["-P", f"enactors={n}", "-P", f"endpoints={e}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "exit": proc.returncode, "err": proc.stderr.strip().splitlines()[-1:]}


def whole_table(args: argparse.Namespace) -> None:
    print("whole process: python -m checker.cli prove SPEC (fresh processes; wall s best/median, CPU s median)")
    print(f"{'variant':<15} {'size':<5} {'wall best':>9} {'median':>7} {'CPU s':>6} {'goal s':>6} "
          f"{'ratio':>6}  exit  load average (1/5/15 min) before")  # fmt: skip
    for variant in args.variants.split(","):
        for size in args.sizes.split(","):
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            runs = [whole(variant, size, args.timeout) for _ in range(args.repeat)]
            walls = sorted(r["wall_s"] for r in runs)
            median = statistics.median(walls)
            cpu = statistics.median(r["cpu_s"] for r in runs)
            goal = GOAL_S.get(size)
            ratio = f"{median / goal:>6.2f}" if goal else f"{'-':>6}"
            exits = "/".join(sorted({str(r["exit"]) for r in runs}))
            print(f"{variant:<15} {size:<5} {walls[0]:>9.2f} {median:>7.2f} {cpu:>6.2f} "
                  f"{goal or '-':>6} {ratio}  {exits:<4}  {load}")  # fmt: skip
            if any(r["exit"] != 0 for r in runs):
                print(f"  (not proved: {runs[-1]['err']})")
            sys.stdout.flush()
    print()


def one(variant: str, enactors: int, endpoints: int, engine: str, timeout: float, max_k: int) -> dict[str, Any]:
    """One proof, in this process."""
    from checker.engines.prove import prove
    from models.dns.model import Dns

    model = Dns.build(variant=variant, enactors=enactors, endpoints=endpoints)
    started, cpu = time.perf_counter(), time.process_time()
    results = prove(model, PROPS, engine=engine, timeout=timeout, max_k=max_k)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    r = results[0]
    return {
        "verdicts": [x.verdict.value for x in results],
        "solver_s": r.extra.get("solver_seconds"),
        "solver_cpu_s": r.extra.get("solver_cpu_seconds"),
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "phases": r.extra.get("phases_cpu") or r.extra.get("phases", {}),
        "note": r.reason.split(";")[0][:100],
    }


def _stats(values: list[float]) -> str:
    """best / median, or '-' when the engine does not report the figure."""
    if not values:
        return f"{'-':>13}"
    ordered = sorted(values)
    return f"{ordered[0]:>6.2f} {statistics.median(ordered):>6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", default="version_cas,fencing_token")
    ap.add_argument("--sizes", default="3x2,8x3", help="ENACTORSxENDPOINTS, comma separated")
    ap.add_argument("--engines", default="pdr,kind")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--max-k", type=int, default=8, help="k-induction's largest k (its base case is BMC)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per configuration (best and median)")
    ap.add_argument("--mode", choices=["whole", "calls", "both"], default="both", help="which table(s)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one configuration, print JSON
    args = ap.parse_args()
    if args.one:
        variant, n, e, engine = args.one.split(":")
        print(json.dumps(one(variant, int(n), int(e), engine, args.timeout, args.max_k)))
        return
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; repeat {args.repeat}")
    if args.mode in ("whole", "both"):
        # as `pip install` does (and bench_summary.py): with PYTHONDONTWRITEBYTECODE set, every run
        # would compile raceproof's modules again, a cost no installed copy pays
        cmd = [sys.executable, "-m", "compileall", "-q", "checker", "models"]
        subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
        whole_table(args)
    if args.mode == "whole":
        return
    print(
        f"{'variant':<15} {'size':<5} {'engine':<6} {'verdicts':<17} "
        f"{'solver CPU s':>13} {'solver wall s':>13} {'call CPU s':>13} {'wall s':>13}  phases (CPU s, median run)"
    )
    print(f"{'':<46}" + f" {'best':>6} {'median':>6}" * 4)
    for variant in args.variants.split(","):
        for size in args.sizes.split(","):
            n, e = size.split("x")
            for engine in args.engines.split(","):
                cmd = [sys.executable, __file__, "--one", f"{variant}:{n}:{e}:{engine}",
                       "--timeout", str(args.timeout), "--max-k", str(args.max_k)]  # fmt: skip
                rows = []
                for _ in range(args.repeat):
                    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
                    if proc.returncode != 0:
                        print(f"{variant:<15} {size:<5} {engine:<6} failed: {proc.stderr.strip().splitlines()[-1:]}")
                        break
                    rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                if not rows:
                    continue
                verdicts = "/".join(sorted({"/".join(r["verdicts"]) for r in rows}))

                def column(key: str, rows: list[dict[str, Any]] = rows) -> list[float]:
                    return [r[key] for r in rows if r.get(key) is not None]

                median_run = sorted(rows, key=lambda r: r["wall_s"])[len(rows) // 2]
                phases = ", ".join(f"{k} {v:.2f}" for k, v in median_run["phases"].items()) or median_run["note"]
                figures = " ".join(_stats(column(k)) for k in ("solver_cpu_s", "solver_s", "cpu_s", "wall_s"))
                print(f"{variant:<15} {size:<5} {engine:<6} {verdicts:<17} {figures}  {phases}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
