"""Atomic writes: complete files with the permissions a plain write would give, nothing left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from checker.atomic import write_atomic_with, write_text_atomic


def test_written_file_has_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "sub" / "report.md"
        write_text_atomic(target, "# report\n")
    finally:
        os.umask(old)
    assert target.read_text() == "# report\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # readable by the CI runner's other steps
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "trace.itf.json"
    target.write_text("old")

    def broken(fh) -> None:  # type: ignore[no-untyped-def]
        fh.write("half")
        raise RuntimeError("killed midway")

    with pytest.raises(RuntimeError):
        write_atomic_with(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.itf.json"]
