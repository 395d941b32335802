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

The machine's load average is printed first: on a loaded machine the wall figures mean little.

    python benchmarks/bench_scale.py
    python benchmarks/bench_scale.py --max-plans 8 --workers 1 2 4 --ray
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
        t, c = time.monotonic(), time.process_time()
        rs = run_explicit(model, props, symmetry=args.symmetry, workers=args.one_workers, ray=args.ray_address)
        e = rs[0].extra
        out.update(states=e["states"], bytes_per_state=e["bytes_per_state"], peak_rss=e["peak_rss_bytes"])
        out["peak_bytes_per_state"] = e["peak_bytes_per_state"]  # what the search added to the peak, per state
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-plans", type=int, default=6)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ray", action="store_true", help="also run on a local Ray cluster (needs ray)")
    ap.add_argument("--walks", type=int, default=2048, help="walks for the simulation rows")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--symmetry", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--simulate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--one-workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--ray-address", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args)))
        return
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall figures need a quiet machine)")
    base = ["--max-plans", str(args.max_plans), "--timeout", str(args.timeout)]
    print(f"\nexhaustive search, fencing_token 3x2, max_plans {args.max_plans}")
    print(f"{'mode':<22}{'states':>11}{'wall s':>9}{'CPU s':>14}", end="")
    print(f"{'speed-up':>10}{'CPU bound':>10}{'B/state':>9}{'peak B/st':>10}{'RSS MB':>8}")
    for symmetry in (False, True):
        first: dict[str, Any] | None = None
        modes = [(n, None) for n in args.workers] + ([(2, "auto")] if args.ray else [])
        for n, ray in modes:
            extra = base + ["--one-workers", str(n)] + (["--symmetry"] if symmetry else [])
            extra += ["--ray-address", ray] if ray else []
            r = run(args, extra)
            label = f"{'sym' if symmetry else 'no-sym'} {'ray' if ray else 'workers'} {n}"
            if "error" in r:
                print(f"{label:<22} failed: {r['error']}")
                continue
            cpu = r["cpu_self"] + r["cpu_workers"]
            first = first or r
            speed = first["wall"] / r["wall"]
            bound = f"{(first['cpu_self'] + first['cpu_workers']) / (cpu / n):.2f}"
            note = f"  (Ray start {r['ray_start_seconds']} s, not in wall; actors' CPU from their start)" if ray else ""
            print(
                f"{label:<22}{r['states']:>11,}{r['wall']:>9.2f}{r['cpu_self']:>7.2f}+{r['cpu_workers']:<6.2f}"
                f"{speed:>10.2f}{bound:>10}{r['bytes_per_state']:>9}{r['peak_bytes_per_state']:>10}"
                f"{r['peak_rss'] / 2**20:>8.0f}{note}"
            )
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
