"""The TLC harness (tests/tlc.py) itself: a missing TLC skips, except under CI where it fails,
and a TLC run that finds an error never yields a count. The first two run by default (no Java
needed); the last runs TLC (-m tlc)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tlc import TlcFailed, find_jar, require_tlc, run_tlc


def test_missing_jar_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RACEPROOF_TLC_JAR", str(tmp_path / "absent.jar"))
    monkeypatch.delenv("RACEPROOF_CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="absent.jar is not a file"):
        require_tlc()


def test_missing_jar_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RACEPROOF_TLC_JAR", str(tmp_path / "absent.jar"))
    monkeypatch.setenv("RACEPROOF_CI", "1")
    with pytest.raises(pytest.fail.Exception, match="required under RACEPROOF_CI"):
        require_tlc()


COUNTER = """---- MODULE Counter ----
EXTENDS Naturals
VARIABLE x
Init == x = 0
Next == x < 5 /\\ x' = x + 1
Small == x < 3
====
"""


@pytest.mark.tlc
def test_counts_and_errors(tmp_path: Path) -> None:
    """Six states when nothing is violated; a violated invariant is an error, not a count."""
    require_tlc()
    module = tmp_path / "Counter.tla"
    module.write_text(COUNTER)
    ok, bad = tmp_path / "ok.cfg", tmp_path / "bad.cfg"
    ok.write_text("INIT Init\nNEXT Next\n")
    bad.write_text("INIT Init\nNEXT Next\nINVARIANT Small\n")
    run = run_tlc(module, ok, jar=find_jar())
    assert (run.distinct, run.depth) == (6, 6)
    with pytest.raises(TlcFailed, match="Small"):
        run_tlc(module, bad)
