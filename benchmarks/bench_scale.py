"""Scaling out: the partitioned explicit search (worker processes, Ray) and swarm simulation.

Rows, each configuration in a fresh process (so its peak RSS is its own):

- exhaustive search of fencing tokens, 3 Enactors × 2 endpoints, ``--max-plans`` plans (6: 636,105
  states without symmetry, 106,115 with), with 1, 2, ... workers: wall seconds, CPU seconds of
  this process and of its workers, the speed-up over one worker (wall, and the bound the CPU
  seconds allow on free cores: one worker's CPU / (all CPU / N)), states (which must be equal),
  the store's bytes per state, what the search added to the peak RSS per state (every process,
  each from its RSS when the search began) and the peak RSS of every process together;
- the same on a local Ray cluster (``--ray``; the cluster's start is timed apart);
- ``raceproof simulate`` on the DNS race: seconds to the first violation, per worker count.

Then memory per mode and size (give ``--max-plans`` several sizes): the peak RSS summed over
*every* process (this one, each worker or Ray actor, and on Ray the cluster's own processes:
gcs_server, raylet, dashboard agents, log monitor, ...), that sum per stored state (the fixed
cost included), the store's bytes per state, what the search added to the peak per state (each
process from its RSS when the search or the worker began), and the *marginal* bytes per state:
the slope of the summed peak RSS between two sizes, which removes every fixed cost. Issue 15's
"≤ 64 B per stored state" is the marginal figure: what each further state costs.

The machine's load average is printed first: on a loaded machine the wall figures mean little
(memory does not depend on the load).

    python benchmarks/bench_scale.py
    python benchmarks/bench_scale.py --max-plans 8 --workers 1 2 4 --ray
    python benchmarks/bench_scale.py --max-plans 6 7 8 --ray --memory-only --symmetry off
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _descendants(root: int) -> list[int]:
    """Every live process below ``root`` (Linux /proc; none elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:  # pragma: no cover - not Linux
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _peak_rss(pid: int) -> tuple[int, str]:
    """(the process's peak RSS in bytes, ``VmHWM``; its name), (0, "") if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return 0, ""
    # a Python process by its script (Ray's dashboard, log monitor, autoscaler monitor), else by its program
    script = [a for a in argv[1:] if a.endswith(".py")] if argv and "python" in os.path.basename(argv[0]) else []
    name = os.path.basename(script[0] if script else argv[0] if argv else fields["Name"].strip())
    return int(fields.get("VmHWM", "0 kB").split()[0]) * 1024, name


def _run_delay() -> float:
    """Seconds this process waited runnable for a core (Linux schedstat; 0 elsewhere)."""
    try:
        with open("/proc/self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def one(args: argparse.Namespace) -> dict[str, Any]:
    """One configuration, in this (fresh) process."""
    from checker.engines.explicit import run_explicit
    from models.dns.model import Dns

    out: dict[str, Any] = {}
    if args.ray_address:
        from checker.engines.ray_search import connect

        t = time.monotonic()
        connect(args.ray_address, args.one_workers)
        out["ray_start_seconds"] = round(time.monotonic() - t, 2)
    if args.simulate:
        from checker.engines.simulate import simulate

        model = Dns.build(variant="as_designed", max_plans=5)
        t, c = time.monotonic(), time.process_time()
        results, _ = simulate(
            model, ["endpoint_never_empty"], args.walks, 30, seed=1, workers=args.one_workers, ray=args.ray_address
        )
        out["found"] = results[0].verdict.value
        out["length"] = results[0].depth
    else:
        model = Dns.build(variant="fencing_token", enactors=3, endpoints=2, max_plans=args.max_plans)
        props = [n for n, p in model.properties.items() if p.kind not in ("recoverable", "eventually")]
        t, c, q = time.monotonic(), time.process_time(), _run_delay()
        rs = run_explicit(model, props, symmetry=args.symmetry, workers=args.one_workers, ray=args.ray_address)
        e = rs[0].extra
        out.update(states=e["states"], bytes_per_state=e["bytes_per_state"], peak_rss=e["peak_rss_bytes"])
        out["peak_bytes_per_state"] = e["peak_bytes_per_state"]  # what the search added to the peak, per state
        # every process's peak: this one's and its workers' (or actors') as reported, then, on Ray, the
        # cluster's own processes (the actors are gone or going: their own reports count, not /proc)
        scale = e.get("scale_out") or {}
        out["peak_rss_self"] = scale.get("coordinator_peak_rss_bytes", e["peak_rss_bytes"])
        out["peak_rss_workers"] = sum(scale.get("worker_peak_rss_bytes", []))
        workers = set(scale.get("worker_pids", []))
        system: dict[str, int] = {}
        if args.ray_address:
            for pid in _descendants(os.getpid()):
                if pid not in workers:
                    peak, name = _peak_rss(pid)
                    system[name] = system.get(name, 0) + peak
        out["peak_rss_ray_system"] = system
        # per process (this one alone, or each worker): seconds blocked at the level barriers, and
        # runnable but waiting for a core (other processes on the machine: the wall figures' noise)
        n = max(len(scale.get("worker_pids", [])), 1)
        out["barrier_wait"] = sum(scale.get("worker_wait_seconds", [0.0])) / n
        out["run_queue"] = sum(scale["worker_runqueue_seconds"]) / n if scale else _run_delay() - q
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["wall"] = time.monotonic() - t
    out["cpu_self"] = time.process_time() - c
    out["cpu_workers"] = children.ru_utime + children.ru_stime
    if args.ray_address and not args.simulate:  # Ray's actors are not this process's children: they report it
        out["cpu_workers"] = sum(e["scale_out"]["worker_cpu_seconds"])
    return out


def run(args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=args.timeout)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def total_peak(r: dict[str, Any]) -> int:
    """Peak RSS summed over every process of a run (a sum of peaks: at least the peak of the sum;
    pages shared between processes, such as libraries, a forked worker's inherited pages or Ray's
    object store, are counted in each process holding them)."""
    return r["peak_rss_self"] + r["peak_rss_workers"] + sum(r["peak_rss_ray_system"].values())


#: issue 15 §4: bytes per further stored state (the marginal figure)
GOAL = 64


def memory_table(rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    """Per mode and size: the summed peak RSS (and its parts), per stored state with the fixed
    cost, the store's bytes, the search's growth, and the slope from the mode's previous size."""
    MB = 2**20
    print("\nmemory (issue 15 §4: ≤ 64 B per stored state, read as the marginal B/state: the slope of the")
    print("summed peak RSS between two sizes, which removes the fixed cost printed beside it)")
    print(f"{'mode':<22}{'plans':>6}{'states':>11}{'peak RSS MB':>12}{' = this + workers + Ray system':<32}", end="")
    print(f"{'all B/st':>9}{'store B/st':>11}{'growth B/st':>12}{'marginal':>9}  goal")
    last: dict[str, tuple[int, int]] = {}
    for label, plans, r in rows:
        total = total_peak(r)
        system = sum(r["peak_rss_ray_system"].values())
        parts = f" = {r['peak_rss_self'] / MB:.0f} + {r['peak_rss_workers'] / MB:.0f} + {system / MB:.0f}"
        marginal, goal = "", "(needs two sizes)"
        if label in last and r["states"] > last[label][0]:
            slope = (total - last[label][1]) / (r["states"] - last[label][0])
            marginal = f"{slope:.1f}"
            goal = f"{'met' if slope <= GOAL else 'NOT met'} (from {last[label][0]:,} states)"
        last[label] = (r["states"], total)
        print(
            f"{label:<22}{plans:>6}{r['states']:>11,}{total / MB:>12.0f}{parts:<32}{total / r['states']:>9.0f}"
            f"{r['bytes_per_state']:>11}{r['peak_bytes_per_state']:>12}{marginal:>9}  {goal}"
        )
    systems: dict[str, int] = {}
    for _, _, r in rows:
        for name, peak in r["peak_rss_ray_system"].items():
            systems[name] = max(systems.get(name, 0), peak)
    if systems:
        listed = ", ".join(f"{n} {p / MB:.0f}" for n, p in sorted(systems.items(), key=lambda x: -x[1]))
        print(f"Ray's own processes (largest peak of any run, MB): {listed}")
    print("all B/st: summed peak RSS / states (fixed cost included); store B/st: keys, parents and")
    print("transitions with spare capacity; growth B/st: each process's peak above its RSS when the search")
    print("(or the worker, or the actor) began, over the states (Ray's own processes not included).")
    print("marginal: meaningful between sizes of ~0.5M states and up; below, the transients (a chunk's")
    print("expansion, up to ~10 MB per process) are still growing with the state count.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-plans", type=int, nargs="+", default=[6], help="sizes (several: marginal B/state)")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts (none: only --ray)")
    ap.add_argument("--ray", action="store_true", help="also run on a local Ray cluster (needs ray)")
    ap.add_argument("--symmetry-modes", choices=["off", "on", "both"], default="both")
    ap.add_argument("--memory-only", action="store_true", help="skip the simulation rows")
    ap.add_argument("--walks", type=int, default=2048, help="walks for the simulation rows")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--symmetry", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--simulate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--one-workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--ray-address", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        args.max_plans = args.max_plans[0]
        print(json.dumps(one(args)))
        return
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall figures need a quiet machine)")
    print(f"\nexhaustive search, fencing_token 3x2, max_plans {' '.join(map(str, args.max_plans))}")
    print(f"{'mode':<22}{'plans':>6}{'states':>11}{'wall s':>9}{'CPU s':>14}", end="")
    print(f"{'speed-up':>10}{'CPU bound':>10}{'barrier s':>10}{'runq s':>8}", end="")
    print(f"{'B/state':>9}{'peak B/st':>10}{'RSS MB':>8}")
    memory: list[tuple[str, int, dict[str, Any]]] = []
    symmetries = {"off": [False], "on": [True], "both": [False, True]}[args.symmetry_modes]
    for symmetry in symmetries:
        modes = [(n, None) for n in args.workers] + ([(2, "auto")] if args.ray else [])
        for plans in args.max_plans:
            first: dict[str, Any] | None = None
            for n, ray in modes:
                extra = ["--max-plans", str(plans), "--timeout", str(args.timeout), "--one-workers", str(n)]
                extra += (["--symmetry"] if symmetry else []) + (["--ray-address", ray] if ray else [])
                r = run(args, extra)
                label = f"{'sym' if symmetry else 'no-sym'} {'ray' if ray else 'workers'} {n}"
                if "error" in r:
                    print(f"{label:<22}{plans:>6} failed: {r['error']}")
                    continue
                memory.append((label, plans, r))
                cpu = r["cpu_self"] + r["cpu_workers"]
                if n == 1 and not ray:
                    first = r  # the baseline of the speed-up columns: one worker
                speed = f"{first['wall'] / r['wall']:.2f}" if first else "—"
                bound = f"{(first['cpu_self'] + first['cpu_workers']) / (cpu / n):.2f}" if first else "—"
                note = (
                    f"  (Ray start {r['ray_start_seconds']} s, not in wall; actors' CPU from their start)"
                    if ray
                    else ""
                )
                print(
                    f"{label:<22}{plans:>6}{r['states']:>11,}{r['wall']:>9.2f}{r['cpu_self']:>7.2f}+{r['cpu_workers']:<6.2f}"
                    f"{speed:>10}{bound:>10}{r.get('barrier_wait', 0):>10.2f}{r.get('run_queue', 0):>8.2f}"
                    f"{r['bytes_per_state']:>9}{r['peak_bytes_per_state']:>10}"
                    f"{total_peak(r) / 2**20:>8.0f}{note}",
                    flush=True,
                )
    print("barrier s: wall seconds per worker blocked at the level barriers (the coordinator's next command,")
    print("the peers' batches); runq s: per process, runnable but waiting for a core while other processes ran")
    print("(large: the machine was busy and the wall figures mean little; compare the CPU bound)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    memory.sort(key=lambda row: (row[0], row[1]))
    memory_table(memory)
    if args.memory_only:
        return
    print(f"\nsimulate specs/dns_race.toml endpoint_never_empty, {args.walks} walks of depth 30, seed 1")
    modes = [(n, None) for n in args.workers] + ([(2, "auto")] if args.ray else [])
    for n, ray in modes:
        extra = ["--simulate", "--walks", str(args.walks), "--one-workers", str(n), "--timeout", str(args.timeout)]
        extra += ["--ray-address", ray] if ray else []
        r = run(args, extra)
        label = f"{'ray' if ray else 'workers'} {n}"
        if "error" in r:
            print(f"{label:<12} failed: {r['error']}")
            continue
        print(
            f"{label:<12} {r['found']} in {r['length']} steps; wall {r['wall']:.2f} s, "
            f"CPU {r['cpu_self']:.2f} + {r['cpu_workers']:.2f} s"
        )


if __name__ == "__main__":
    main()
