"""Reports: every format from a DNS run, `raceproof report` on ours and on foreign ITF, lassos,
several counterexamples, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from checker.report import FORMATS, render, write_views
from checker.report.itf_input import load_itf
from checker.report.view import from_trace
from checker.trace import Trace, replay
from tests.conftest import REPO, CliResult, run_cli
from tests.models.stale import Toggle

DNS = str(REPO / "specs" / "dns_race.toml")
SAMPLE = REPO / "tests" / "data" / "quint_bank.itf.json"
STALE = re.compile(
    r"The check enactor(\d) made at step \d+ \(`pick`\) went stale: "
    r"it read endpoint_plan\[0\] = 1, enactor(\d)'s `apply`"
)


def html_words(html: str) -> str:
    """The explanation's words as the other formats write them: action names in backticks."""
    return re.sub(r"</?code>", "`", html.replace("&#39;", "'"))


@pytest.fixture(scope="module")
def dns_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[CliResult, Path]:
    out = tmp_path_factory.mktemp("reports")
    args = ["check", DNS, "--property", "endpoint_never_empty"]
    for fmt in FORMATS:
        args += ["--report", f"{fmt}:{out / ('race.' + fmt)}"]
    return run_cli(*args), out


def test_check_writes_every_format(dns_reports: tuple[CliResult, Path]) -> None:
    result, out = dns_reports
    assert result.exit_code == 1, result.output
    for fmt in FORMATS:
        path = out / f"race.{fmt}"
        assert path.is_file() and path.stat().st_size > 0, fmt
        assert f"Report written to {path}" in result.stderr.replace("\n", "")


def test_text_report_has_rows_failure_and_explanation(dns_reports: tuple[CliResult, Path]) -> None:
    text = (dns_reports[1] / "race.text").read_text()
    rows = [line.split() for line in text.splitlines() if re.match(r"^\s*\d+\s", line)]
    assert [int(r[0]) for r in rows] == list(range(len(rows)))
    assert "What makes it false:" in text and "sys.plans.contains(p) is false for p = " in text
    assert STALE.search(text) and "acted on the stale check" in text
    # unchanged variables are hidden: enactor3 never moves
    assert "enactor3" not in "".join(text.split("step    instance")[1].split("\n", 10)[10:])


def test_markdown_has_a_sequence_diagram_and_the_explanation(dns_reports: tuple[CliResult, Path]) -> None:
    md = (dns_reports[1] / "race.md").read_text()
    diagram = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert diagram.startswith("sequenceDiagram\n")
    participants = re.findall(r"participant (\S+) as (.+)", diagram)
    names = [label for _, label in participants]
    assert "route53 (store)" in names and "plan_store (store)" in names
    assert len(set(names)) == len(names)
    arrows = re.findall(r"(p_\w+)->>(p_\w+): (\d+)\. (\w+)", diagram)
    assert [int(a[2]) for a in arrows] == list(range(1, len(arrows) + 1))  # one arrow per step, in order
    assert ("p_planner", "p_plan_store", "1", "plan") in arrows
    assert any(a[1] == "p_route53" and a[3] == "apply" for a in arrows)
    assert "Note over" in diagram and "stale since step" in diagram
    assert STALE.search(md) and "| step | instance | action |" in md


def test_html_is_self_contained(dns_reports: tuple[CliResult, Path]) -> None:
    html = (dns_reports[1] / "race.html").read_text()
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\((?!#)", html)  # nothing to fetch
    assert html.count('class="lane ') >= 5 and 'class="step ' in html
    assert STALE.search(html_words(html))
    assert 'class="row failing"' in html and 'id="property-0"' in html


def test_mermaid_and_itf_reports(dns_reports: tuple[CliResult, Path]) -> None:
    out = dns_reports[1]
    assert (out / "race.mermaid").read_text().lstrip().startswith("%%")
    itf = json.loads((out / "race.itf").read_text())
    assert itf["#meta"]["model_ref"] == "models.dns.model:Dns" and itf["#meta"]["property"] == "endpoint_never_empty"


def test_report_verb_explains_our_itf(dns_reports: tuple[CliResult, Path]) -> None:
    itf = dns_reports[1] / "race.itf"
    # this trace names the model of the checkout's project (specs/ resolve `dns` to its models/),
    # and lies outside any project: its code runs only when the user names the model
    result = run_cli("report", str(itf), "--model", "dns")  # from the working directory's project: the checkout
    assert result.exit_code == 0, result.output
    assert STALE.search(result.stdout) and "model rebuilt from --model: " in result.stdout
    assert str(REPO / "models" / "dns" / "model.py") in result.stdout
    html = run_cli("report", str(itf), "--model", "dns", "--format", "html", "-o", str(dns_reports[1] / "again.html"))
    assert html.exit_code == 0, html.output
    assert STALE.search(html_words((dns_reports[1] / "again.html").read_text()))


def test_report_renders_a_quint_style_itf(tmp_path: Path) -> None:
    result = run_cli("report", str(SAMPLE))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "balances[alice]: 1 → -1" in out  # #map, by key
    assert "pending: {} → {⟨alice, bob, 2⟩}" in out  # #set of #tup
    assert "round: 2 → 123456789012345678901234567890" in out  # #bigint beyond 64 bits
    assert "ledger: [] → [{from: alice, to: bob, amount: 2}]" in out  # a sequence of records
    assert "mbt::" not in out and "request" in out and "transfer" in out  # the action taken labels steps
    assert "no stale-read explanation" in out and "names no raceproof model" in out
    for fmt in FORMATS:
        target = tmp_path / f"bank.{fmt}"
        done = run_cli("report", str(SAMPLE), "--format", fmt, "-o", str(target))
        assert done.exit_code == 0 and target.stat().st_size > 0, (fmt, done.output)
    assert "sequenceDiagram" in (tmp_path / "bank.md").read_text()
    html = (tmp_path / "bank.html").read_text()
    assert "http://" not in html and "https://" not in html and 'data-instance="state"' in html
    again = json.loads((tmp_path / "bank.itf").read_text())
    assert again["states"][3]["round"] == {"#bigint": "123456789012345678901234567890"}
    assert again["states"][1]["pending"] == {"#set": [{"#tup": ["alice", "bob", {"#bigint": "2"}]}]}


def test_report_reads_an_apalache_style_itf_without_actions(tmp_path: Path) -> None:
    path = tmp_path / "apalache.itf.json"
    states = [{"#meta": {"index": n}, "x": {"#bigint": str(n)}, "ok": n < 2} for n in range(3)]
    meta = {"format": "ITF", "varTypes": {"x": "Int", "ok": "Bool"}}
    path.write_text(json.dumps({"#meta": meta, "vars": ["x", "ok"], "states": states}))
    view = load_itf(path)
    assert [s.action for s in view.steps] == ["init", "step", "step"]
    assert [c.var for c in view.changes(2)] == ["x", "ok"]
    assert "sequenceDiagram" in render([view], "md")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"vars": []}', "non-empty 'states'"),
        ('{"vars": ["x"], "states": [{"x": {"#bigint": "1.5"}}]}', "#bigint must be a string of digits"),
        ('{"vars": ["x"], "states": [{"y": 1}]}', "no value for variable 'x'"),
    ],
)
def test_bad_itf_is_bad_input(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.itf.json"
    path.write_text(content)
    result = run_cli("report", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and str(path) in result.stderr and "Traceback" not in result.output


def test_report_option_is_validated() -> None:
    result = run_cli("check", DNS, "--report", "pdf:x.pdf")
    assert result.exit_code == 2 and "unknown format 'pdf'" in result.output
    result = run_cli("check", DNS, "--report", "html")
    assert result.exit_code == 2 and "FORMAT:FILE" in result.output


def lasso() -> Trace:
    model = Toggle.build()
    flips = [model.transitions[0]] * 3
    return Trace(model, replay(model, flips), flips, "stays_off", "lasso", loop=1)


def test_lasso_cycle_is_visible_in_every_format(tmp_path: Path) -> None:
    view = from_trace(lasso())
    assert view.in_cycle(2) and view.in_cycle(3) and not view.in_cycle(1)
    text = render([view], "text")
    assert "returns to state 1 and repeats steps 2..3 forever" in text and "↻ repeats" in text
    md = render([view], "md")
    assert "loop repeats forever (back to state 1)" in md and "| 2 ↻ |" in md
    loop_block = md.split("loop repeats forever", 1)[1].split("\n    end", 1)[0]
    assert "2. flip" in loop_block and "3. flip" in loop_block and "1. flip" not in loop_block
    html = render([view], "html")
    assert 'class="cycle"' in html and "repeats forever" in html and "row cycle" in html
    (path,) = write_views([view], "itf", tmp_path / "lasso.itf.json")
    data = json.loads(Path(path).read_text())
    assert data["loop"] == 1 and data["#meta"]["kind"] == "lasso"
    back = load_itf(path, "tests.models.stale:Toggle")  # a trace in no project: its model named explicitly
    assert back.loop == 1 and back.kind == "lasso" and back.replayed


def test_several_counterexamples_differ_in_their_steps() -> None:
    result = run_cli("check", DNS, "--property", "endpoint_never_empty", "--max-counterexamples", "3", "--json")
    assert result.exit_code == 1, result.output
    (r,) = json.loads(result.stdout)["specs"][0]["results"]
    traces = [r["trace"], *r["more_traces"]]
    assert len(traces) == 3
    sequences = {tuple((s["instance"], s["action"]) for s in t["steps"][1:]) for t in traces}
    assert len(sequences) == 3
    assert all(t["length"] == r["trace"]["length"] for t in traces)  # all shortest


OVERDRAFT = """
model = "tests.models.stale:Overdraft"
[check]
depth = 6
[expect]
never_overdrawn = "violated"
"""


def test_write_report_api_writes_every_counterexample(tmp_path: Path, write_spec) -> None:
    from checker.report import write_report
    from checker.run import check_spec
    from checker.spec import load_spec

    # without symmetry reduction the two withdrawers can also go the other way round
    sr = check_spec(load_spec(write_spec(OVERDRAFT)), symmetry=False, max_counterexamples=2)
    (r,) = sr.results
    assert len(r.extra["more_traces"]) == 1
    written = write_report(sr, "itf", tmp_path / "cex.itf.json")
    assert len(written) == 2 and all(Path(p).is_file() for p in written)
    assert Path(written[1]).name == "cex.never_overdrawn.1.itf.json"
    (md,) = write_report(sr, "md", tmp_path / "cex.md")
    assert Path(md).read_text().count("```mermaid") == 2
    # every format numbers them in its headings, as the terminal does
    headings = re.findall(r"^### ✗ (.+) \(\d+ steps\)$", Path(md).read_text(), re.M)
    assert headings == ["Counterexample 1 of 2 to never_overdrawn", "Counterexample 2 of 2 to never_overdrawn"]
    (html,) = write_report(sr, "html", tmp_path / "cex.html")
    assert re.findall(r"<h2>✗ (.+) \(\d+ steps\)</h2>", Path(html).read_text()) == headings
    (text,) = write_report(sr, "text", tmp_path / "cex.txt")
    assert re.findall(r"^(Counterexample \d of \d to \w+) \(", Path(text).read_text(), re.M) == headings
    assert not list(tmp_path.glob(".*"))  # atomic writes leave no temporary files


def test_prove_takes_report_options(tmp_path: Path, write_spec) -> None:
    spec = write_spec(OVERDRAFT)
    md, text = tmp_path / "p.md", tmp_path / "p.txt"
    result = run_cli("prove", str(spec), "--engine", "kind", "--report", f"md:{md}", "--report", f"text:{text}")
    assert result.exit_code == 1, result.output
    assert "went stale" in md.read_text() and "sequenceDiagram" in md.read_text()
    assert "who1" in text.read_text() and "acted on the stale check" in text.read_text()


def test_a_lasso_that_deadlocks_says_it_stays_put(tmp_path: Path) -> None:
    # loop == len: the path stops in its last state (a deadlock), no cycle to draw
    model = Toggle.build()
    flips = [model.transitions[0]] * 2
    view = from_trace(Trace(model, replay(model, flips), flips, "stays_off", "lasso", loop=2))
    assert view.deadlock and not view.in_cycle(2)
    stays = "After step 2 no action is enabled: the trace stays in state 2 forever."
    md, html = render([view], "md"), render([view], "html")
    assert f"■ {stays}" in md and "returns to state" not in md and "loop repeats" not in md
    assert stays in html and "returns to" not in html and 'class="cycle"' not in html and "repeating cycle" not in html
    assert "deadlock: nothing is enabled" in render([view], "text")


def test_a_zero_size_array_is_left_out_of_whole_states(dns_reports: tuple[CliResult, Path]) -> None:
    # dns_race has no per-endpoint snapshot: each Enactor's `seen` is an array of size zero
    out = dns_reports[1]
    text, md, html = ((out / f"race.{f}").read_text() for f in ("text", "md", "html"))
    assert "enactor1: pc=idle, plan=0, cursor=0, token=0" in text and "seen" not in text
    assert "`enactor1.pc` = idle" in md and "enactor1.seen" not in md
    assert "<code>enactor1.pc</code>" in html and "enactor1.seen" not in html
    # the machine-readable trace keeps every variable
    assert "enactor1.seen" in json.loads((out / "race.itf").read_text())["vars"]


def test_a_trace_of_a_bundled_model_is_rebuilt_anywhere(tmp_path: Path) -> None:
    """A spec outside any project resolves `dns` to raceproof's bundled models (the checkout's
    `models/` in a source tree, `raceproof_models` when installed); its trace, anywhere, is
    rebuilt from them and explained."""
    spec = tmp_path / "race.toml"
    spec.write_text('model = "dns"\n[params]\nmax_plans = 5\n[expect]\nendpoint_never_empty = "violated"\n')
    itf = tmp_path / "race.itf.json"
    made = run_cli("check", str(spec), "--property", "endpoint_never_empty", "--itf", str(itf))
    assert made.exit_code == 1, made.output
    shown = run_cli("report", str(itf))
    assert shown.exit_code == 0, shown.output
    assert STALE.search(shown.stdout) and "(raceproof's bundled models)" in shown.stderr
