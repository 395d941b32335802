"""Per-depth statistics of a BMC run (`raceproof check --engine bmc --stats`).

Each depth's record covers building that depth's step and every query asked at it (the
properties, range checks, "is there a trace this long at all", more counterexamples).
z3's counters are cheap to read after a check: ``conflicts`` is this depth's own count,
``bool_vars`` and ``clauses`` are how many z3 has created on the solver so far (its size,
roughly; z3 does not report the live clause count of an incremental solver cheaply).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import z3


@dataclass
class DepthStat:
    depth: int
    #: transitions in the disjunction of the step that reached this depth (None at depth 0: no step)
    transitions: int | None
    queries: int = 0
    solver_seconds: float = 0.0
    seconds: float = 0.0  # wall time: building the step and answering every query at this depth
    cpu_seconds: float = 0.0  # this process's CPU time over the same span (what a loaded machine does not inflate)
    conflicts: int = 0
    bool_vars: int = 0
    clauses: int = 0


@dataclass
class DepthLog:
    depths: list[DepthStat] = field(default_factory=list)
    _started: float = 0.0
    _cpu: float = 0.0
    _conflicts: int = 0  # z3's running conflict count when the current depth started

    def start(self, depth: int, transitions: int | None) -> None:
        self._close()
        self._started, self._cpu = time.monotonic(), time.process_time()
        self.depths.append(DepthStat(depth, transitions))

    def record(self, solver: z3.Solver, seconds: float) -> None:
        """One check() on ``solver`` that took ``seconds``."""
        d = self.depths[-1]
        d.queries += 1
        d.solver_seconds += seconds
        counts = _counts(solver)
        d.conflicts += max(0, counts.get("conflicts", 0) - self._conflicts)
        self._conflicts = counts.get("conflicts", self._conflicts)
        d.bool_vars = counts.get("mk bool var", d.bool_vars)
        d.clauses = counts.get("mk clause", 0) + counts.get("mk clause binary", 0) or d.clauses

    def _close(self) -> None:
        if self.depths:
            self.depths[-1].seconds = time.monotonic() - self._started
            self.depths[-1].cpu_seconds = time.process_time() - self._cpu

    def as_json(self) -> list[dict[str, Any]]:
        self._close()
        out = []
        for d in self.depths:
            row = asdict(d)
            row["solver_seconds"] = round(d.solver_seconds, 4)
            row["seconds"] = round(d.seconds, 4)
            row["cpu_seconds"] = round(d.cpu_seconds, 4)
            out.append(row)
        return out


#: z3's counter names: the arithmetic (SMT) solver's, then the finite-domain (SAT) solver's
_KEYS = {
    "conflicts": ("conflicts", "sat conflicts"),
    "mk bool var": ("mk bool var", "sat mk var"),
    "mk clause": ("mk clause", "sat mk clause nary"),
    "mk clause binary": ("mk clause binary", "sat mk clause 2ary"),
}


def _counts(solver: z3.Solver) -> dict[str, int]:
    stats = solver.statistics()
    present = set(stats.keys())
    out = {}
    for key, names in _KEYS.items():
        for name in names:
            if name in present:  # z3 reports a counter only once it is non-zero
                out[key] = int(stats.get_key_value(name))
                break
    return out


def format_depths(rows: list[dict[str, Any]]) -> list[str]:
    """The per-depth table as text lines."""
    lines = [
        f"  {'depth':>5} {'steps':>5} {'queries':>7} {'solver s':>9} {'wall s':>8} {'cpu s':>8} {'conflicts':>9} "
        f"{'bool vars':>9} {'clauses':>9}"
    ]
    for r in rows:
        steps = "-" if r["transitions"] is None else str(r["transitions"])
        times = f"{r['solver_seconds']:>9.3f} {r['seconds']:>8.3f} {r['cpu_seconds']:>8.3f}"
        size = f"{r['conflicts']:>9} {r['bool_vars']:>9} {r['clauses']:>9}"
        lines.append(f"  {r['depth']:>5} {steps:>5} {r['queries']:>7} {times} {size}")
    total = sum(r["solver_seconds"] for r in rows)
    cpu = sum(r["cpu_seconds"] for r in rows)
    lines.append(f"  total: solver {total:.3f} s, cpu {cpu:.3f} s, {sum(r['queries'] for r in rows)} queries")
    return lines
