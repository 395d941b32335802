"""The HTML report in a real browser: headless Chromium renders it offline, runs its script,
and the swimlanes are in the rendered DOM; a screenshot is taken.

Outside CI the test skips when Chromium is missing; in CI (``CI=1`` or ``RACEPROOF_CI=1``,
set by `.ci/run`, which installs Debian's ``chromium``) a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.engines.bmc import run_bmc
from checker.report import render
from checker.report.view import from_trace
from tests.models.stale import Overdraft

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str:
    found = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if found is None:
        if os.environ.get("CI") == "1" or os.environ.get("RACEPROOF_CI") == "1":
            pytest.fail("headless Chromium is required in CI: .ci/run installs Debian's chromium package")
        pytest.skip("no chromium on this machine (apt-get install chromium); CI runs this test")
    return found


def _headless(browser: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # --no-sandbox: CI runs as root; an unreachable proxy makes any network fetch fail loudly
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={cwd / 'profile'}",
        *args,
    ]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, check=False)


def test_html_report_renders_offline_in_headless_chromium(tmp_path: Path) -> None:
    browser = _browser()
    model = Overdraft.build(withdrawers=2)
    (result,) = run_bmc(model, ["never_overdrawn"], 6)
    assert result.trace is not None
    view = from_trace(result.trace, "tests/models/stale.py")
    page = tmp_path / "report.html"
    page.write_text(render([view], "html"))
    url = page.as_uri()

    dom = _headless(browser, "--virtual-time-budget=3000", "--dump-dom", url, cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-ready="1"' in html, "the report's script did not run"
    lanes = re.findall(r'<g class="lane (\w+)" data-instance="([^"]+)"', html)
    assert {name for _, name in lanes} == {"who1", "who2", "account"}
    assert ("store", "account") in lanes
    steps = re.findall(r'<g class="step[^"]*" data-step="(\d+)"', html)
    assert steps == [str(i) for i in range(1, len(view) + 1)]
    assert "went stale" in html and "row failing" in html

    shot = tmp_path / "report.png"
    taken = _headless(browser, f"--screenshot={shot}", "--window-size=1200,900", url, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000  # a real, non-blank page


#: loads a report in an 800 px frame, measures where the swimlanes end, and presses Enter on a table row
_FRAME = """<!DOCTYPE html><html><body>
<iframe id="f" src="report.html" style="width:800px;height:700px;border:0"></iframe>
<script>
document.getElementById("f").onload = function () {
  var d = this.contentDocument, steps = d.querySelectorAll("g.step"), rows = d.querySelectorAll("tr.row");
  var row = rows[2];
  row.focus();
  row.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
  var shown = Array.prototype.filter.call(d.querySelectorAll(".state"), function (s) { return !s.hidden; });
  document.body.setAttribute("data-fit", JSON.stringify({
    width: d.documentElement.clientWidth,
    last: steps[steps.length - 1].getBoundingClientRect().right,
    focused: d.activeElement === row,
    shown: shown.map(function (s) { return s.dataset.step; }),
    rowStep: row.dataset.step
  }));
};
</script></body></html>"""


def test_a_long_swimlane_fits_a_narrow_window_and_rows_work_from_the_keyboard(tmp_path: Path) -> None:
    import json

    from checker.report.view import from_trace
    from checker.run import check_spec
    from checker.spec import load_spec

    from .conftest import REPO

    browser = _browser()
    sr = check_spec(load_spec(REPO / "specs" / "dwfm_collapse.toml"), properties=["leases_recovered"])
    (result,) = sr.results
    assert result.trace is not None and len(result.trace) >= 12  # a long lasso: wider than 800 px unscaled
    view = from_trace(result.trace, "specs/dwfm_collapse.toml")
    (tmp_path / "report.html").write_text(render([view], "html"))
    (tmp_path / "frame.html").write_text(_FRAME)
    dom = _headless(
        browser, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom",
        (tmp_path / "frame.html").as_uri(), cwd=tmp_path,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r"data-fit=\"([^\"]+)\"", dom.stdout)
    assert found, "the frame's script did not run"
    fit = json.loads(found.group(1).replace("&quot;", '"'))
    assert fit["last"] <= fit["width"], fit  # the failing step is on screen, not clipped
    assert fit["focused"] and fit["shown"] == [fit["rowStep"]], fit  # a table row takes focus and Enter
