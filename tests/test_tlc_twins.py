"""raceproof's explicit distinct-state counts equal TLC's on TLA+ twins of the gallery models
(`benchmarks/tla/`), at two sizes each, with and without symmetry (opt in: ``pytest -m tlc``).

A twin is written by hand from the same semantics (one raceproof action is one TLA+ action,
the same variables and initial state), so the reachable graphs are isomorphic and the counts
must agree exactly: without symmetry, every state; with it, one state per orbit (TLC's
SYMMETRY permutes the model values, raceproof the replicas it proves interchangeable).
Each TLC run takes 2-4 s (a JVM start); skipped without Java or the jar, except under RACEPROOF_CI.
"""

from __future__ import annotations

import pytest

from tests.tlc import Twin, assert_twin_counts, twin_cases

pytestmark = pytest.mark.tlc

LEASE = "models.lease.model:Lease"
TWOPHASE = "models.twophase.model:TwoPhase"

CASES: list[Twin] = [
    *twin_cases(LEASE, "lease", "written_token_was_granted", {
        "no_fencing_c2_l3": {"variant": "no_fencing", "clients": 2, "max_leases": 3},
        "no_fencing_c3_l4": {"variant": "no_fencing", "clients": 3, "max_leases": 4},
        "fencing_c2_l3": {"variant": "fencing", "clients": 2, "max_leases": 3},
        "fencing_c3_l4": {"variant": "fencing", "clients": 3, "max_leases": 4},
    }, spec="specs/lease_{variant}.toml"),
    *twin_cases(TWOPHASE, "twophase", "consistent", {
        "no_timeout_rm3": {"variant": "no_timeout", "rms": 3},
        "no_timeout_rm4": {"variant": "no_timeout", "rms": 4},
        "timeout_rm3": {"variant": "timeout", "rms": 3},
        "timeout_rm4": {"variant": "timeout", "rms": 4},
    }, spec="specs/twophase_{variant}.toml"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_distinct_states_equal_tlc(case: Twin) -> None:
    assert_twin_counts(case)


def test_symmetry_reduces_every_symmetric_case() -> None:
    """The orbit counts are real reductions, so agreeing on them says something."""
    from tests.tlc import raceproof_distinct_states

    for case in CASES:
        if case.symmetry:
            full = raceproof_distinct_states(case.model_class(), case.params, case.prop, symmetry=False)
            reduced = raceproof_distinct_states(case.model_class(), case.params, case.prop, symmetry=True)
            assert reduced < full, case.id
