"""A peer for `raceproof prove specs/dns_version_cas.toml`: the same system written by hand for
z3's Spacer, as an engineer fluent in CHC would write it, without raceproof.

The DNS race with the version compare-and-swap fix (models/dns/model.py, variant
`version_cas`), N Enactors and E endpoints, unbounded plan generations. The plan store is the
interval [lo, latest] (plans are added at the top and cleanup deletes from the bottom, so the
live plans are always contiguous; raceproof finds the same encoding on its own, see
checker/lang/intervals.py). It proves `endpoint_never_empty` only: raceproof's run also proves
`plan_never_regresses` and witnesses two `reachable` properties, so the peer does less work.

    python benchmarks/peers/spacer_dns_cas.py [N] [E]     # prints "proved" or "violated"
"""

from __future__ import annotations

import sys

import z3

IDLE, APPLY, CLEANUP = 0, 1, 2
AGE = 1  # cleanup_age


def main(n: int, e: int) -> str:
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    names = ["latest", "lo"] + [f"ep{j}" for j in range(e)]
    names += [f"{f}{i}" for i in range(n) for f in ("pc", "plan", "cur")]
    cur = [z3.Int(x) for x in names]
    inv = z3.Function("inv", *([z3.IntSort()] * len(names)), z3.BoolSort())
    err = z3.Function("err", z3.BoolSort())
    fp.register_relation(inv, err)
    fp.declare_var(*cur)
    v = dict(zip(names, cur, strict=True))

    def step(guard: z3.BoolRef, **updates: z3.ArithRef) -> None:
        """A rule inv(cur) & guard -> inv(cur with updates): one atomic action."""
        after = [updates.get(x, v[x]) for x in names]
        fp.rule(inv(*after), [inv(*cur), guard])

    init = {"latest": 1, "lo": 1} | {f"ep{j}": 1 for j in range(e)}
    init |= {f"{f}{i}": 0 for i in range(n) for f in ("pc", "plan", "cur")}
    fp.fact(inv(*[z3.IntVal(init[x]) for x in names]))
    step(z3.BoolVal(True), latest=v["latest"] + 1)  # the Planner
    for i in range(n):
        pc, plan, c = v[f"pc{i}"], v[f"plan{i}"], v[f"cur{i}"]
        step(z3.And(pc == IDLE, v["latest"] > v["ep0"]), **{f"plan{i}": v["latest"], f"cur{i}": 0, f"pc{i}": APPLY})
        for j in range(e):  # apply to endpoint j: the CAS inside the transaction
            ep = v[f"ep{j}"]
            ok = z3.And(v["lo"] <= ep, ep <= v["latest"], ep < plan)
            done = z3.If(c + 1 == e, z3.IntVal(CLEANUP), z3.IntVal(APPLY))
            step(z3.And(pc == APPLY, c == j), **{f"ep{j}": z3.If(ok, plan, ep), f"cur{i}": c + 1, f"pc{i}": done})
        keep = plan - AGE  # delete every plan below plan - AGE
        step(pc == CLEANUP, lo=z3.If(keep > v["lo"], keep, v["lo"]), **{f"pc{i}": z3.IntVal(IDLE)})
    empty = z3.Or([z3.Or(v[f"ep{j}"] < v["lo"], v[f"ep{j}"] > v["latest"]) for j in range(e)])
    fp.rule(err(), [inv(*cur), empty])
    answer = fp.query(err())
    if answer == z3.unsat:
        return "proved"
    return "violated" if answer == z3.sat else "unknown"


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(main(*(args + [3, 2][len(args) :])))
