"""The README's walkthrough (replay on BIND, conform) shows what the commands really print.

These samples need BIND, so they are ```text blocks that `tests/test_readme.py` leaves alone;
here every line a sample shows must appear, in order, in a real run ("…" stands for lines left
out of the README).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conform.conftest import require_real_servers
from tests.conftest import REPO, run_cli

_BLOCK = re.compile(r"^```text\n\$ (raceproof (?:replay|conform) [^\n]*)\n(.*?)^```$", re.S | re.M)
SAMPLES = [(m.group(1), m.group(2)) for m in _BLOCK.finditer((REPO / "README.md").read_text(encoding="utf-8"))]


def test_the_walkthrough_has_its_samples() -> None:
    commands = [c for c, _ in SAMPLES]
    assert any("replay" in c and "version_cas" not in c for c in commands)
    assert any("variant=version_cas" in c for c in commands)
    assert any(c.startswith("raceproof conform") for c in commands)


@pytest.mark.parametrize(("command", "shown"), SAMPLES, ids=[c for c, _ in SAMPLES])
def test_a_walkthrough_sample_is_a_real_run(command: str, shown: str, race_itf: Path) -> None:
    require_real_servers()
    words = shlex.split(command)[1:]
    words = [str(race_itf) if w == "race.itf.json" else str(REPO / w) if w.startswith("specs/") else w for w in words]
    result = run_cli(*words)
    real = [line.rstrip() for line in result.stdout.replace(str(race_itf), "race.itf.json").splitlines()]
    real = [line.replace(str(REPO) + "/", "") for line in real]
    position = 0
    for line in shown.splitlines():
        if line.strip() in ("…", ""):
            continue
        assert line.rstrip() in real[position:], f"README line not in a real run of `{command}` (in order):\n{line}"
        position = real.index(line.rstrip(), position) + 1
