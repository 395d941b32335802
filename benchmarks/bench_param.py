"""Whole-process time of the proofs for all Enactors (and endpoints), next to today's per-instance proofs.

Each configuration runs the installed CLI in a fresh process (``raceproof prove SPEC``,
``raceproof prove SPEC --for-all enactors`` and ``--for-all enactors,endpoints``),
``--repeat`` times; printed: the median wall seconds of each, their ratios to the
per-instance proof, and the verdict of the widest for-all run. The for-all runs also look
for the spec's witnesses by BMC, as the per-instance run does.

    python benchmarks/bench_param.py
    python benchmarks/bench_param.py --specs dns_version_cas --repeat 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = ["dns_version_cas", "dns_fencing_token"]


def run(args: list[str]) -> tuple[float, int, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1", COLUMNS="400")
    started = time.perf_counter()
    proc = subprocess.run(["raceproof", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc.returncode, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--specs", nargs="+", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    print(f"{'spec':24} {'per-instance s':>15} {'all N s':>8} {'ratio':>6} {'all N,E s':>10} {'ratio':>6}  verdict")
    for name in opts.specs:
        spec = str(REPO / "specs" / f"{name}.toml")
        base = [run(["prove", spec]) for _ in range(opts.repeat)]
        param = [run(["prove", spec, "--for-all", "enactors"]) for _ in range(opts.repeat)]
        both = [run(["prove", spec, "--for-all", "enactors,endpoints"]) for _ in range(opts.repeat)]
        b, p, e = (statistics.median(t for t, _, _ in runs) for runs in (base, param, both))
        out = " ".join(both[-1][2].split())
        verdict = "proved for all enactors and endpoints" if "and endpoints ≥ 1" in out else f"exit {both[-1][1]}"
        print(f"{name:24} {b:15.2f} {p:8.2f} {p / b:6.2f} {e:10.2f} {e / b:6.2f}  {verdict}")


if __name__ == "__main__":
    main()
