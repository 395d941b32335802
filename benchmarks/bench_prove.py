"""Proof times for the DNS fixes: PDR and k-induction, at 3 Enactors/2 endpoints and 8/3.

Plan generations are unbounded (``max_plans`` unset): these are proofs for every trace of
any length, not bounded checks. Each run is in a fresh Python process, so that z3's state
from one run cannot help the next. Printed per run: the verdict, z3's solving time (the
engine's running total of time inside z3, including the certificate-free phases), the
wall time of the whole call (model encoding, certificate re-check included), and the phases.

    python benchmarks/bench_prove.py
    python benchmarks/bench_prove.py --engines pdr --sizes 8x3 --variants fencing_token --timeout 300
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PROPS = ["endpoint_never_empty", "plan_never_regresses"]


def one(variant: str, enactors: int, endpoints: int, engine: str, timeout: float, max_k: int) -> dict[str, Any]:
    """One proof, in this process."""
    from checker.engines.prove import prove
    from models.dns.model import Dns

    model = Dns.build(variant=variant, enactors=enactors, endpoints=endpoints)
    started = time.perf_counter()
    results = prove(model, PROPS, engine=engine, timeout=timeout, max_k=max_k)
    wall = time.perf_counter() - started
    r = results[0]
    return {
        "verdicts": [x.verdict.value for x in results],
        "solver_s": r.extra.get("solver_seconds"),
        "wall_s": round(wall, 3),
        "phases": r.extra.get("phases", {}),
        "note": r.reason.split(";")[0][:100],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", default="version_cas,fencing_token")
    ap.add_argument("--sizes", default="3x2,8x3", help="ENACTORSxENDPOINTS, comma separated")
    ap.add_argument("--engines", default="pdr,kind")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--max-k", type=int, default=8, help="k-induction's largest k (its base case is BMC)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one configuration, print JSON
    args = ap.parse_args()
    if args.one:
        variant, n, e, engine = args.one.split(":")
        print(json.dumps(one(variant, int(n), int(e), engine, args.timeout, args.max_k)))
        return
    print(f"{'variant':<15} {'size':<5} {'engine':<6} {'verdicts':<17} {'solver s':>9} {'wall s':>8}  phases / note")
    for variant in args.variants.split(","):
        for size in args.sizes.split(","):
            n, e = size.split("x")
            for engine in args.engines.split(","):
                cmd = [sys.executable, __file__, "--one", f"{variant}:{n}:{e}:{engine}",
                       "--timeout", str(args.timeout), "--max-k", str(args.max_k)]  # fmt: skip
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
                if proc.returncode != 0:
                    print(f"{variant:<15} {size:<5} {engine:<6} failed: {proc.stderr.strip().splitlines()[-1:]}")
                    continue
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                verdicts = "/".join(row["verdicts"])
                phases = ", ".join(f"{k} {v:.2f}" for k, v in row["phases"].items()) or row["note"]
                solver = f"{row['solver_s']:.2f}" if row["solver_s"] is not None else "-"
                print(f"{variant:<15} {size:<5} {engine:<6} {verdicts:<17} {solver:>9} {row['wall_s']:>8.2f}  {phases}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
