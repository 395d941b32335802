"""Explicit-state search on the bounded DNS model: distinct states, states/s, memory.

Runs the whole reachable state space of ``dns_fencing_token`` (3 Enactors, 2 endpoints,
6 plans by default; every property holds there, so the search is exhaustive) with and
without symmetry reduction. Each configuration runs in a fresh Python process, so that
the peak RSS (``resource.getrusage``) belongs to that run alone; a second run of it under
``tracemalloc`` gives the peak of traced allocations (numpy reports its buffers there).

    python benchmarks/bench_explicit.py
    python benchmarks/bench_explicit.py --max-plans 5 --repeat 3 --variant as_designed
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def one(args: argparse.Namespace) -> dict[str, Any]:
    """One configuration, in this process: best-of-``repeat`` timing, then a traced run."""
    from checker.engines.explicit import run_explicit
    from checker.model import GRAPH_KINDS
    from models.dns.model import Dns

    def build() -> Any:
        return Dns.build(
            variant=args.variant, enactors=args.enactors, endpoints=args.endpoints, max_plans=args.max_plans
        )

    def safety(model: Any) -> list[str]:  # the searched properties, not the state-graph ones (benchmarked apart)
        return [n for n, p in model.properties.items() if p.kind not in GRAPH_KINDS]

    runs = []
    for _ in range(args.repeat):
        model = build()
        started = time.perf_counter()
        results = run_explicit(model, safety(model), symmetry=args.symmetry, timeout=args.timeout)
        runs.append((time.perf_counter() - started, results))
    wall, results = min(runs, key=lambda r: r[0])
    extra = results[0].extra
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    model = build()
    run_explicit(model, safety(model), symmetry=args.symmetry, timeout=args.timeout)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "symmetry": args.symmetry,
        "states": extra["states"],
        "transitions_fired": extra["transitions_fired"],
        "depth": extra["depth"],
        "exhaustive": extra["exhaustive"],
        "backend": extra["backend"],
        "wall_s": wall,
        "search_s": extra["search_seconds"],
        "states_per_s_wall": extra["states"] / wall,
        "states_per_s_search": extra["states"] / max(extra["search_seconds"], 1e-9),
        "bytes_per_state": extra["bytes_per_state"],
        "peak_rss_mib": rss_kib / 1024,
        "traced_peak_mib": traced_peak / 2**20,
        "verdicts": {r.name: (str(r.verdict), r.depth) for r in results},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="fencing_token")
    parser.add_argument("--enactors", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=2)
    parser.add_argument("--max-plans", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per configuration (best is shown)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--one", choices=["on", "off"], help=argparse.SUPPRESS)  # a child process's configuration
    args = parser.parse_args()
    if args.one:
        args.symmetry = args.one == "on"
        print(json.dumps(one(args)))
        return

    print(
        f"dns {args.variant}: {args.enactors} Enactors, {args.endpoints} endpoints, max_plans {args.max_plans}; "
        f"best of {args.repeat}; python {sys.version.split()[0]}"
    )
    rows = []
    for sym in ("on", "off"):
        child = [sys.executable, __file__, "--one", sym, *sys.argv[1:]]
        out = subprocess.run(child, capture_output=True, text=True, check=True, cwd=REPO)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    header = (
        f"{'symmetry':>8} {'states':>9} {'edges':>9} {'depth':>5} {'wall s':>7} {'search s':>8} "
        f"{'states/s':>9} {'(search)':>9} {'B/state':>7} {'rss MiB':>8} {'traced MiB':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{'on' if r['symmetry'] else 'off':>8} {r['states']:>9,} {r['transitions_fired']:>9,} {r['depth']:>5} "
            f"{r['wall_s']:>7.2f} {r['search_s']:>8.2f} {r['states_per_s_wall']:>9,.0f} "
            f"{r['states_per_s_search']:>9,.0f} {r['bytes_per_state']:>7.1f} {r['peak_rss_mib']:>8.1f} "
            f"{r['traced_peak_mib']:>10.1f}"
        )
    print("\nexhaustive:", ", ".join(f"symmetry {'on' if r['symmetry'] else 'off'}: {r['exhaustive']}" for r in rows))
    print("verdicts (name: verdict, depth or trace length):")
    for name in rows[0]["verdicts"]:
        cells = ", ".join(
            f"symmetry {'on' if r['symmetry'] else 'off'}: {r['verdicts'][name][0]} ({r['verdicts'][name][1]})"
            for r in rows
        )
        print(f"  {name}: {cells}")
    print(
        "\nstates/s: distinct stored states over the wall time of run_explicit (which includes building the "
        "encoding and compiling the steps), and over the search alone. B/state: the visited store's arrays "
        "(packed keys, ids, parents, transitions) per stored state. rss: the child process's peak."
    )


if __name__ == "__main__":
    main()
