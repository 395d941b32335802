"""Reports outside the happy path: hostile values in Markdown and Mermaid, every change of a step
on its arrow, ITF values that survive a round trip, Quint's process picks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from checker.report import render
from checker.report.itf_input import load_itf
from checker.report.itf_output import view_itf
from checker.report.markdown import md_code, md_prose, md_text, mermaid
from tests.conftest import REPO

SAMPLE = REPO / "tests" / "data" / "quint_bank.itf.json"

HOSTILE = "<img src=x onerror=alert(1)> *bold* _em_ [a](b) `tick`; #1 %% end"


def _itf(tmp_path: Path, states: list[dict[str, Any]], variables: list[str], **meta: Any) -> Path:
    path = tmp_path / "t.itf.json"
    path.write_text(json.dumps({"#meta": {"format": "ITF", **meta}, "vars": variables, "states": states}))
    return path


def _hostile_trace(tmp_path: Path) -> Path:
    states = [
        {"#meta": {"index": 0}, "note": "ok", "n": {"#bigint": "0"}, "worker1.busy": False},
        {"#meta": {"index": 1, "action": "take", "process": "worker1"}, "note": HOSTILE, "n": {"#bigint": "1"},
         "worker1.busy": True},
    ]  # fmt: skip
    return _itf(tmp_path, states, ["note", "n", "worker1.busy"], property="p")


def test_markdown_shows_values_verbatim(tmp_path: Path) -> None:
    md = render([load_itf(_hostile_trace(tmp_path))], "md")
    table = md[md.index("| step |") :]
    assert "<img" not in table and "&lt;img src=x onerror=alert(1)&gt;" in table
    assert r"\*bold\*" in table and r"\_em\_" in table and r"[a\](b)" in table
    assert "<br>" in table  # the renderer's own HTML stays


def test_markdown_helpers() -> None:
    assert md_text("a_b *c*") == r"a_b \*c\*"  # `_` inside a word is no emphasis
    assert md_code("x`y") == "``x`y``" and md_code("`") == "`` ` ``"
    assert md_prose("the check `pick` read x = <1>") == "the check `pick` read x = &lt;1&gt;"


def test_mermaid_keeps_values_whole_and_shows_every_change(tmp_path: Path) -> None:
    diagram = mermaid(load_itf(_hostile_trace(tmp_path)))
    arrow = next(line for line in diagram.splitlines() if "->>" in line)
    # the step changed a shared value and the actor's own state: both on the arrow
    assert "note:" in arrow and "busy: false → true" in arrow
    assert "#59;" in arrow and "#35;1" in arrow and "#60;img" in arrow and "#37;#37;" in arrow
    assert ";" not in arrow.replace("#59;", "").replace("#35;", "").replace("#60;", "").replace("#62;", "").replace(
        "#37;", ""
    )
    assert "…" not in diagram


def test_the_final_note_is_never_cut(tmp_path: Path) -> None:
    long = "x" * 300
    states = [{"#meta": {"index": 0}, "v": long}, {"#meta": {"index": 1, "action": "a"}, "v": long + "y"}]
    view = load_itf(_itf(tmp_path, states, ["v"], property="p_" + "q" * 120))
    diagram = mermaid(view)
    assert "q" * 120 in diagram and long + "y" in diagram


def test_unserializable_values_survive_a_round_trip(tmp_path: Path) -> None:
    states = [
        {"#meta": {"index": 0}, "x": {"#unserializable": "Int"}, "t": {"#tup": [{"#bigint": "1"}, "a"]}},
        {"#meta": {"index": 1, "action": "a"}, "x": {"#unserializable": "Int"}, "t": {"#tup": [{"#bigint": "2"}, "a"]}},
    ]
    view = load_itf(_itf(tmp_path, states, ["x", "t"]))
    again = view_itf(view)
    assert again["states"][0]["x"] == {"#unserializable": "Int"}
    assert again["states"][1]["t"] == {"#tup": [{"#bigint": "2"}, "a"]}
    assert "<Int>" in render([view], "text")  # shown as the tool's placeholder


def test_quint_nondet_picks_name_the_process_and_the_arguments(tmp_path: Path) -> None:
    def pick(value: Any) -> dict[str, Any]:
        return {"tag": "Some", "value": value}

    none = {"tag": "None", "value": {"#tup": []}}
    states = [
        {"#meta": {"index": 0}, "balance": {"#bigint": "3"}, "mbt::actionTaken": "init",
         "mbt::nondetPicks": {"node": none, "amount": none}},
        {"#meta": {"index": 1}, "balance": {"#bigint": "1"}, "mbt::actionTaken": "withdraw",
         "mbt::nondetPicks": {"node": pick("n2"), "amount": pick({"#bigint": "2"})}},
    ]  # fmt: skip
    view = load_itf(_itf(tmp_path, states, ["balance", "mbt::actionTaken", "mbt::nondetPicks"]))
    step = view.steps[1]
    assert step.instance == "n2" and step.action == "withdraw(amount=2)"
    assert re.search(r"^\s+1\s+n2\s+withdraw\(amount=2\)", render([view], "text"), re.M)


def test_html_lanes_legend_and_docstrings() -> None:
    from checker.engines.bmc import run_bmc
    from checker.report.view import from_trace
    from tests.models.stale import Overdraft

    (result,) = run_bmc(Overdraft.build(withdrawers=3), ["never_overdrawn"], 6, symmetry=False)
    assert result.trace is not None
    view = from_trace(result.trace, "tests/models/stale.py")
    acting = {s.instance for s in view.steps[1:]}
    idle = sorted({"who1", "who2", "who3"} - acting)
    assert idle  # two withdrawers make the race: one of the three never moves
    html = render([view], "html")
    lanes = set(re.findall(r'<g class="lane \w+" data-instance="([^"]+)"', html))
    assert lanes == acting | {"account"} and f"No lane for {idle[0]}" in html
    assert "read that went stale" in html  # this trace has an explanation: the legend explains its colours
    assert '<div class="note">take one unit out of the account</div>' in html  # the action's docstring

    plain = load_itf(SAMPLE)  # a foreign trace: no explanation, no stale-read legend
    assert "read that went stale" not in render([plain], "html")


def test_html_renders_docstring_backticks_as_code_in_the_table() -> None:
    from checker.report.html import trace_context

    view = load_itf(SAMPLE)
    view.steps[1].doc = "re-queue the `request` for later"
    html = render([view], "html")
    assert "re-queue the <code>request</code> for later" in html and "`request`" not in html
    assert trace_context(view, 0)["rows"][1]["step"].doc == "re-queue the `request` for later"
