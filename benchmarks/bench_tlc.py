"""raceproof's explicit engine against TLC on the gallery models' TLA+ twins (`benchmarks/tla/`).

Every twin case of the opt-in test suite (the ``CASES`` lists of ``tests/test_tlc*.py``: each
model at two sizes, with and without symmetry) runs both ways as whole processes, as a user
would run them:

- ours: ``python -m checker.cli check SPEC -P ... --property P --engine explicit --json``
  (``--no-symmetry`` for the cases without): interpreter start, imports, the symmetry check,
  the exhaustive search and the report;
- TLC: ``java -cp tla2tools.jar tlc2.TLC -workers 1 -deadlock`` on the twin's .cfg (JVM start,
  parsing, the search), as `tests/tlc.py` runs it.

Printed per case: both distinct-state counts (they must be equal: the script says when they
are not), the median wall seconds of each over ``--repeat`` runs, and the ratio ours / TLC
(below 1: we are faster). The machine's load average is printed first: on a shared machine,
compare ratios from one run, not seconds across runs.

    python benchmarks/bench_tlc.py                  # every case once (about a minute)
    python benchmarks/bench_tlc.py --repeat 3 --only lease
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.tlc import TlcUnavailable, Twin, find_jar, find_java, run_tlc, twin  # noqa: E402


def cases() -> list[Twin]:
    """The twin cases of every ``tests/test_tlc*.py`` module (each keeps a ``CASES`` list)."""
    found: list[Twin] = []
    for path in sorted((REPO / "tests").glob("test_tlc*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        found += [c for c in getattr(module, "CASES", []) if isinstance(c, Twin)]
    return found


def ours(case: Twin) -> tuple[int, float]:
    """(distinct states, wall seconds) of one whole ``check`` process on the case's instance."""
    if not case.spec:
        raise SystemExit(f"{case.id}: the case names no spec to run the CLI on")
    cmd = [sys.executable, "-m", "checker.cli", "check", case.spec, "--engine", "explicit", "--property", case.prop]
    cmd += [arg for k, v in case.params.items() for arg in ("-P", f"{k}={v}")]
    cmd += ["--json"] + ([] if case.symmetry else ["--no-symmetry"])
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{case.id}: raceproof exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    (spec,) = json.loads(done.stdout)["specs"]
    if not spec["search"]["exhaustive"]:
        raise SystemExit(f"{case.id}: the search was not exhaustive")
    if case.symmetry and spec["symmetry"]["not_reduced"]:
        raise SystemExit(f"{case.id}: {spec['symmetry']['summary']}")  # TLC reduces every replica set
    return int(spec["search"]["states"]), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per side and case (medians are printed)")
    parser.add_argument("--only", default="", help="only the cases whose id contains this text")
    args = parser.parse_args()
    try:
        java, jar = find_java(), find_jar()
    except TlcUnavailable as exc:
        print(f"TLC: skipped: {exc}")
        return 3
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; TLC {jar}")
    header = f"{'case':32} {'sym':>3} {'ours':>7} {'TLC':>7} {'ours s':>7} {'TLC s':>7} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    ratios, mismatches = [], []
    for case in cases():
        if args.only not in case.id:
            continue
        module, config = twin(case.folder, case.config)
        mine, theirs = [], []
        for _ in range(args.repeat):
            count, seconds = ours(case)
            mine.append(seconds)
            tlc = run_tlc(module, config, java=java, jar=jar)
            theirs.append(tlc.seconds)
        if count != tlc.distinct:
            mismatches.append(case.id)
        ratio = statistics.median(mine) / statistics.median(theirs)
        ratios.append(ratio)
        mark = "" if count == tlc.distinct else "  COUNTS DIFFER"
        print(
            f"{case.id:32} {'yes' if case.symmetry else 'no':>3} {count:>7} {tlc.distinct:>7} "
            f"{statistics.median(mine):>7.2f} {statistics.median(theirs):>7.2f} {ratio:>6.2f}{mark}"
        )
    if ratios:
        median = statistics.median(ratios)
        print(f"median ratio ours / TLC (whole process, wall): {median:.2f} over {len(ratios)} cases")
    if mismatches:
        print(f"distinct-state counts differ: {', '.join(mismatches)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
