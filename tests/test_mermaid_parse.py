"""Our Mermaid diagrams parse in Mermaid itself (the npm package, run by node), hostile values,
lassos and foreign traces included.

`.ci/run` installs the ``mermaid`` npm package and sets ``RACEPROOF_MERMAID_DIR`` to the
``node_modules`` folder that holds it. Elsewhere the test skips when node or the package is
missing; in CI (``CI=1`` / ``RACEPROOF_CI=1``) a missing one is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.engines.bmc import run_bmc
from checker.report.itf_input import load_itf
from checker.report.markdown import mermaid
from checker.report.view import from_trace
from tests.models.stale import Overdraft

from .test_report import SAMPLE, lasso
from .test_report_fidelity import _hostile_trace

#: parses each diagram of a JSON list on stdin; prints a JSON list of null (parsed) or the error
_PARSE = """
import mermaid from 'mermaid';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const out = [];
for (const diagram of JSON.parse(text)) {
  try { await mermaid.parse(diagram); out.push(null); } catch (e) { out.push(String(e)); }
}
console.log(JSON.stringify(out));
"""


def _mermaid_dir() -> Path:
    in_ci = os.environ.get("CI") == "1" or os.environ.get("RACEPROOF_CI") == "1"
    folder = os.environ.get("RACEPROOF_MERMAID_DIR")
    if shutil.which("node") and folder and (Path(folder) / "mermaid" / "package.json").is_file():
        return Path(folder)
    if in_ci:
        pytest.fail("CI parses Mermaid with the npm package: .ci/run installs it and sets RACEPROOF_MERMAID_DIR")
    pytest.skip("no node or no mermaid npm package (set RACEPROOF_MERMAID_DIR to its node_modules); CI runs this")


def test_every_kind_of_diagram_parses_in_mermaid(tmp_path: Path) -> None:
    modules = _mermaid_dir()
    (result,) = run_bmc(Overdraft.build(withdrawers=2), ["never_overdrawn"], 6)
    assert result.trace is not None
    diagrams = [
        mermaid(from_trace(result.trace, "tests/models/stale.py")),  # a stale read, with its note
        mermaid(from_trace(lasso())),  # a loop block
        mermaid(load_itf(_hostile_trace(tmp_path))),  # ; # < > % in values
        mermaid(load_itf(SAMPLE)),  # a foreign trace: records, tuples, maps
    ]
    script = tmp_path / "parse.mjs"
    script.write_text(_PARSE)
    env = dict(os.environ, NODE_PATH=str(modules))
    # an ES module resolves packages from its own folder upwards: link node_modules beside the script
    (tmp_path / "node_modules").symlink_to(modules, target_is_directory=True)
    proc = subprocess.run(
        ["node", str(script)], input=json.dumps(diagrams), capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    errors = json.loads(proc.stdout.strip().splitlines()[-1])
    assert errors == [None] * len(diagrams), "\n\n".join(
        f"{e}\n{d}" for e, d in zip(errors, diagrams, strict=True) if e
    )
    # and a broken diagram is caught, so the check can fail
    broken = subprocess.run(
        ["node", str(script)], input=json.dumps(["sequenceDiagram\n  A->>: x"]), capture_output=True, text=True,
        env=env, timeout=120,
    )  # fmt: skip
    assert json.loads(broken.stdout.strip().splitlines()[-1])[0] is not None
