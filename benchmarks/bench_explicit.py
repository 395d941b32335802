"""Explicit-state search on the bounded DNS model, against SPIN on the same semantics.

Runs the whole reachable state space of ``dns_fencing_token`` (3 Enactors, 2 endpoints,
6 plans by default; every safety property holds there, so the search is exhaustive) with
and without symmetry reduction, and, when ``spin`` and ``gcc`` are on the PATH, SPIN on
``benchmarks/promela/dns_race.pml`` with the same parameters. Printed:

- distinct states, edges (enabled steps expanded), depth;
- states/s over the CPU time of the whole ``run_explicit`` call and of the search alone
  (``extra["search_cpu_seconds"]``): CPU, because wall time on a loaded machine says little;
- bytes per stored state (the visited store's arrays) and peak memory, two ways:
  ``tracemalloc``'s peak of traced allocations during one ``run_explicit`` (numpy reports its
  buffers there) per state, and the growth of the process's peak RSS (``ru_maxrss`` after the
  run minus before it, in a fresh process: allocator and interpreter overhead included);
- time to verdict, ours / SPIN, in the same run: end to end (a fresh ``python`` process that
  imports raceproof, builds the model and searches, against ``spin -a`` + ``gcc -O2`` +
  ``./pan``; wall and CPU seconds of the processes) and search only (our search against pan
  alone). SPIN has no symmetry reduction, so its state count must equal ours without
  symmetry; the script says whether it does.

Each configuration runs in a fresh process, so its peak RSS is its own.

    python benchmarks/bench_explicit.py
    python benchmarks/bench_explicit.py --max-plans 5 --repeat 5 --no-spin
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from promela_model import PML_VARIANTS, PROMELA  # noqa: E402  (benchmarks/ is on the path)

# 2^21 hash slots: room for ~1e6 states with few collisions, and 16 MB to clear, not 128.
PAN_HASH = "-w21"


def build(args: argparse.Namespace) -> Any:
    from models.dns.model import Dns

    return Dns.build(variant=args.variant, enactors=args.enactors, endpoints=args.endpoints, max_plans=args.max_plans)


def safety(model: Any) -> list[str]:
    """The searched properties, not the state-graph ones (recoverable/eventually: benchmarked apart)."""
    from checker.lang.declare import GRAPH_KINDS

    return [n for n, p in model.properties.items() if p.kind not in GRAPH_KINDS]


def one(args: argparse.Namespace) -> dict[str, Any]:
    """One configuration, in this (fresh) process: a run for peak RSS, one under tracemalloc,
    then ``repeat`` timed runs (best and median)."""
    from checker.engines.explicit import run_explicit

    model = build(args)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    run_explicit(model, safety(model), symmetry=args.symmetry, timeout=args.timeout)
    rss_delta_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    model = build(args)
    tracemalloc.start()
    run_explicit(model, safety(model), symmetry=args.symmetry, timeout=args.timeout)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    cpu, search, search_cpu, wall = [], [], [], []
    for _ in range(args.repeat):
        model = build(args)
        c0, w0 = time.process_time(), time.perf_counter()
        results = run_explicit(model, safety(model), symmetry=args.symmetry, timeout=args.timeout)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        search.append(results[0].extra["search_seconds"])
        search_cpu.append(results[0].extra["search_cpu_seconds"])
    extra = results[0].extra
    states = extra["states"]
    return {
        "symmetry": args.symmetry,
        "states": states,
        "edges": extra["transitions_fired"],
        "depth": extra["depth"],
        "exhaustive": extra["exhaustive"],
        "backend": extra["backend"],
        "cpu_s": cpu,
        "wall_s": wall,
        "search_s": search,
        "search_cpu_s": search_cpu,
        "bytes_per_state": extra["bytes_per_state"],
        "rss_delta_mib": rss_delta_kib / 1024,
        "traced_peak_mib": traced_peak / 2**20,
        "traced_per_state": traced_peak / states,
        "rss_per_state": rss_delta_kib * 1024 / states,
        "verdicts": {r.name: (str(r.verdict), r.depth) for r in results},
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(cmd: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall, CPU of the process and the children it waited for, result)."""
    c0, w0 = children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - w0, children_cpu() - c0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, proc


def ours_end_to_end(args: argparse.Namespace, symmetry: bool) -> dict[str, list[float]]:
    """A fresh interpreter: import, build, search every property, print the count."""
    a = args
    params = f"variant={a.variant!r}, enactors={a.enactors}, endpoints={a.endpoints}, max_plans={a.max_plans}"
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from checker.engines.explicit import run_explicit\n"
        "from checker.lang.declare import GRAPH_KINDS\n"
        "from models.dns.model import Dns\n"
        f"m = Dns.build({params})\n"
        "props = [n for n, p in m.properties.items() if p.kind not in GRAPH_KINDS]\n"
        f"print(run_explicit(m, props, symmetry={symmetry})[0].extra['states'])\n"
    )
    wall, cpu = [], []
    for _ in range(args.repeat):
        w, c, _ = timed_process([sys.executable, "-c", code], REPO)
        wall.append(w)
        cpu.append(c)
    return {"wall": wall, "cpu": cpu}


def spin_runs(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """spin -a + gcc -O2 -DSAFETY + ./pan (exhaustive DFS, both assertions), ``repeat`` times."""
    shutil.copy(PROMELA, work / PROMELA.name)
    defines = [
        f"-DVARIANT={PML_VARIANTS.index(args.variant)}",
        f"-DN={args.enactors}",
        f"-DE={args.endpoints}",
        "-DAGE=1",
        f"-DMAXP={args.max_plans}",
    ]
    out: dict[str, Any] = {"e2e_wall": [], "e2e_cpu": [], "pan_wall": [], "pan_cpu": []}
    for _ in range(args.repeat):
        w1, c1, _ = timed_process(["spin", *defines, "-a", PROMELA.name], work)
        w2, c2, _ = timed_process(["gcc", "-O2", "-DSAFETY", "-o", "pan", "pan.c"], work)
        w3, c3, pan = timed_process(["./pan", PAN_HASH], work)
        out["e2e_wall"].append(w1 + w2 + w3)
        out["e2e_cpu"].append(c1 + c2 + c3)
        out["pan_wall"].append(w3)
        out["pan_cpu"].append(c3)
    text = pan.stdout
    stored = re.search(r"(\d+) states, stored", text)
    transitions = re.search(r"(\d+) transitions", text)
    errors = re.search(r"errors: (\d+)", text)
    depth = re.search(r"depth reached (\d+)", text)
    memory = re.search(r"([\d.]+)\s+total actual memory usage", text)
    state_bytes = re.search(r"state-vector as stored = (\d+) byte \+ (\d+) byte overhead", text)
    if not (stored and transitions and errors and depth):
        raise RuntimeError(f"unexpected pan output:\n{text}")
    out.update(
        states=int(stored.group(1)),
        transitions=int(transitions.group(1)),
        errors=int(errors.group(1)),
        depth=int(depth.group(1)),
        complete="Search not completed" not in text and "max search depth too small" not in text,
        memory_mb=float(memory.group(1)) if memory else None,
        bytes_per_state=(int(state_bytes.group(1)) + int(state_bytes.group(2))) if state_bytes else None,
    )
    return out


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", default="fencing_token", choices=PML_VARIANTS)
    parser.add_argument("--enactors", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=2)
    parser.add_argument("--max-plans", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per configuration (best and median)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--no-spin", action="store_true", help="skip SPIN even if it is installed")
    parser.add_argument("--one", choices=["on", "off"], help=argparse.SUPPRESS)  # a child process's configuration
    args = parser.parse_args()
    if args.one:
        args.symmetry = args.one == "on"
        print(json.dumps(one(args)))
        return

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"dns {args.variant}: {args.enactors} Enactors, {args.endpoints} endpoints, max_plans {args.max_plans}; "
        f"repeat {args.repeat}; python {sys.version.split()[0]}; {os.cpu_count()} cores, load average {load}"
    )
    rows = []
    for sym in ("on", "off"):
        child = [sys.executable, __file__, "--one", sym, *sys.argv[1:]]
        out = subprocess.run(child, capture_output=True, text=True, check=True, cwd=REPO)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    header = (
        f"{'symmetry':>8} {'states':>9} {'edges':>9} {'depth':>5} {'cpu s':>6} {'search':>6} "
        f"{'states/cpu s':>12} {'(search)':>9} {'B/state':>7} {'traced MiB':>10} {'B/state':>7} "
        f"{'rss+ MiB':>8} {'B/state':>7}"
    )
    print("\nour explicit engine (run_explicit, in process; medians)")
    print(header)
    print("-" * len(header))
    for r in rows:
        cpu, search = med(r["cpu_s"]), med(r["search_cpu_s"])
        print(
            f"{'on' if r['symmetry'] else 'off':>8} {r['states']:>9,} {r['edges']:>9,} {r['depth']:>5} "
            f"{cpu:>6.2f} {search:>6.2f} {r['states'] / cpu:>12,.0f} {r['states'] / search:>9,.0f} "
            f"{r['bytes_per_state']:>7.1f} {r['traced_peak_mib']:>10.1f} {r['traced_per_state']:>7.1f} "
            f"{r['rss_delta_mib']:>8.1f} {r['rss_per_state']:>7.1f}"
        )
    print(
        "  states/cpu s: stored states over the CPU time of run_explicit (encoding, compiling the steps, search);"
        "\n  (search): over the search's CPU time. B/state after states/s: the visited store's arrays per stored"
        "\n  state; after traced MiB: tracemalloc's peak per state; after rss+: the growth of peak RSS per state."
    )
    print("\nexhaustive:", ", ".join(f"symmetry {'on' if r['symmetry'] else 'off'}: {r['exhaustive']}" for r in rows))
    for name in rows[0]["verdicts"]:
        cells = ", ".join(
            f"symmetry {'on' if r['symmetry'] else 'off'}: {r['verdicts'][name][0]} ({r['verdicts'][name][1]})"
            for r in rows
        )
        print(f"  {name}: {cells}")

    why = "--no-spin given" if args.no_spin else None
    missing = [tool for tool in ("spin", "gcc") if shutil.which(tool) is None]
    if not why and missing:
        why = f"{' and '.join(missing)} not on PATH (Debian/Ubuntu: apt-get install -y spin gcc)"
    if why:
        print(f"\nSPIN: skipped: {why}")
        return
    full = next(r for r in rows if not r["symmetry"])
    reduced = next(r for r in rows if r["symmetry"])
    ours_off = ours_end_to_end(args, False)
    ours_on = ours_end_to_end(args, True)
    with tempfile.TemporaryDirectory(prefix="raceproof-spin-") as tmp:
        spin = spin_runs(args, Path(tmp))
    verdict = "no errors" if spin["errors"] == 0 else f"{spin['errors']} errors"
    print(
        f"\nSPIN (spin -a, gcc -O2 -DSAFETY, pan {PAN_HASH}; exhaustive DFS, both assertions): {verdict}, "
        f"complete: {spin['complete']}, depth {spin['depth']}"
    )
    same = "same as ours without symmetry" if spin["states"] == full["states"] else "MISMATCH with ours"
    print(f"  states stored: SPIN {spin['states']:,}, ours {full['states']:,} without symmetry ({same}), ")
    print(f"                 ours {reduced['states']:,} with symmetry (SPIN has no symmetry reduction here)")
    print(f"  transitions:   SPIN {spin['transitions']:,} (stored + matched), ours {full['edges']:,} edges")
    if spin["memory_mb"] is not None:
        print(
            f"  memory: SPIN {spin['memory_mb']:.1f} MB in all ({spin['bytes_per_state']} B per stored state "
            f"+ the hash table), ours {full['bytes_per_state']:.1f} B/state stored"
        )
    header = f"  {'what':<44} {'wall s':>8} {'cpu s':>8}   (medians of {args.repeat})"
    print("\ntime to verdict")
    print(header)
    lines = [
        ("SPIN end to end (spin -a + gcc + pan)", spin["e2e_wall"], spin["e2e_cpu"]),
        ("SPIN pan alone", spin["pan_wall"], spin["pan_cpu"]),
        ("ours end to end, symmetry off (python -c)", ours_off["wall"], ours_off["cpu"]),
        ("ours end to end, symmetry on (python -c)", ours_on["wall"], ours_on["cpu"]),
        ("ours search alone, symmetry off", full["search_s"], full["search_cpu_s"]),
        ("ours search alone, symmetry on", reduced["search_s"], reduced["search_cpu_s"]),
    ]
    for what, wall, cpu in lines:
        print(f"  {what:<44} {med(wall):>8.3f} {med(cpu):>8.3f}")
    print("\nratios ours / SPIN (median; > 1 means we are slower)")
    for label, ours in (("symmetry off", ours_off), ("symmetry on", ours_on)):
        print(
            f"  end to end, {label:<13} wall {med(ours['wall']) / med(spin['e2e_wall']):6.2f}x   "
            f"cpu {med(ours['cpu']) / med(spin['e2e_cpu']):6.2f}x"
        )
    for label, r in (("symmetry off", full), ("symmetry on", reduced)):
        wall = med(r["search_s"]) / med(spin["pan_wall"])
        cpu = med(r["search_cpu_s"]) / med(spin["pan_cpu"])
        print(f"  search only, {label:<12} wall {wall:6.2f}x   cpu {cpu:6.2f}x   (our search / pan)")
    print(
        f"  states per CPU second, symmetry off: ours {full['states'] / med(full['search_cpu_s']):,.0f} (search), "
        f"SPIN {spin['states'] / med(spin['pan_cpu']):,.0f} (pan)"
    )


if __name__ == "__main__":
    main()
