"""The stale-read analysis (checker.explain) on small models with known windows, and on DNS."""

from __future__ import annotations

import pytest

from checker.engines.bmc import run_bmc
from checker.explain import explain, failing_parts, stale_reads
from checker.lang.model import ModelInstance, Transition
from checker.spec import load_spec
from checker.trace import Trace, replay
from tests.conftest import REPO
from tests.models.counter import AtomicCounter, NonAtomicCounter
from tests.models.stale import AtomicWithdraw, Overdraft
from tests.models.windows import CheckThenIncrement, CheckThenRecheck, Consumers, RereadIncrement


def steps(model: ModelInstance, *names: str) -> list[Transition]:
    """Transitions by ``instance.action``."""
    by_name = {str(t): t for t in model.transitions}
    return [by_name[n] for n in names]


def trace_of(model: ModelInstance, *names: str, prop: str | None = None) -> Trace:
    transitions = steps(model, *names)
    return Trace(model, replay(model, transitions), transitions, prop)


def test_check_then_act_window_is_found_in_the_counterexample() -> None:
    model = Overdraft.build()
    (result,) = run_bmc(model, ["never_overdrawn"], 6)
    trace = result.trace
    assert trace is not None and len(trace) == 4
    (stale,) = stale_reads(trace)
    assert stale.var == "balance" and stale.in_guard
    assert stale.reader != stale.writer
    assert stale.read_step < stale.write_step < stale.act_step
    # the reader's check was made at its own step, the act is its withdraw
    labels = {i + 1: str(t) for i, t in enumerate(trace.transitions)}
    assert labels[stale.read_step] == f"{stale.reader}.check"
    assert labels[stale.write_step] == f"{stale.writer}.withdraw"
    assert labels[stale.act_step] == f"{stale.reader}.withdraw"
    assert (stale.seen, stale.written, stale.current) == (1, 0, 0)
    # an action called `check` is quoted, so the sentence does not read "check in check"
    assert stale.headline.startswith(f"The check {stale.reader} made at step {stale.read_step} (`check`) went stale")
    assert "check in check" not in " ".join([stale.headline, *stale.sentences])
    assert stale.sentences[0].startswith(f"At step {stale.read_step}, {stale.reader} ran `check`")
    # `withdraw` reads the balance again (balance - 1): it acted on the stale check, not on the old value
    assert any("acted on the stale check" in s and "read balance = 0 itself" in s for s in stale.sentences)
    assert "make sure the balance covers one unit" in stale.sentences[0]  # the action's docstring


def test_the_same_interleaving_by_hand_names_the_known_steps() -> None:
    model = Overdraft.build()
    trace = trace_of(model, "who1.check", "who2.check", "who2.withdraw", "who1.withdraw", prop="never_overdrawn")
    (stale,) = stale_reads(trace)
    assert (stale.reader, stale.read_step, stale.writer, stale.write_step, stale.act_step) == ("who1", 1, "who2", 3, 4)


def test_no_window_when_check_and_act_are_one_step() -> None:
    model = AtomicWithdraw.build(start=2)
    trace = trace_of(model, "who1.withdraw", "who2.withdraw")
    assert stale_reads(trace) == []


def test_a_change_the_check_still_accepts_is_not_stale() -> None:
    # with a balance of 5 the other's withdrawal changes the balance, but the check would still pass
    model = Overdraft.build(start=5)
    trace = trace_of(model, "who1.check", "who2.check", "who2.withdraw", "who1.withdraw")
    assert stale_reads(trace) == []
    # with a balance of 1 the same interleaving has the window
    assert len(stale_reads(trace_of(Overdraft.build(start=1), *[str(t) for t in trace.transitions]))) == 1


def test_no_window_in_sequential_runs() -> None:
    model = Overdraft.build(start=2)
    trace = trace_of(model, "who1.check", "who1.withdraw", "who2.check", "who2.withdraw")
    assert stale_reads(trace) == []


def test_lost_update_is_a_stale_body_read() -> None:
    model = NonAtomicCounter.build()
    trace = trace_of(model, "worker1.read", "worker2.read", "worker2.write", "worker1.write", prop="no_lost_update")
    (stale,) = stale_reads(trace)
    assert (stale.reader, stale.var, stale.in_guard) == ("worker1", "value", False)
    assert (stale.read_step, stale.write_step, stale.act_step) == (1, 3, 4)
    assert "an update was lost" in stale.headline


def test_atomic_counter_has_no_window() -> None:
    model = AtomicCounter.build(procs=3)
    trace = trace_of(model, "worker1.incr", "worker3.incr", "worker2.incr")
    assert stale_reads(trace) == []


def test_failing_parts_name_the_false_conjunct_and_its_reads() -> None:
    model = Overdraft.build()
    trace = trace_of(model, "who1.check", "who2.check", "who2.withdraw", "who1.withdraw", prop="never_overdrawn")
    (part,) = failing_parts(trace)
    assert part.text == "sys.balance >= 0" and part.value is False
    assert part.reads == {"balance": -1}
    assert part.last_changed["balance"] == (4, "who1", "withdraw")


@pytest.fixture(scope="module")
def dns_traces() -> dict[str, Trace]:
    spec = load_spec(REPO / "specs" / "dns_race.toml")
    model = spec.build()
    results = run_bmc(model, ["endpoint_never_empty", "plan_never_regresses"], spec.depth)
    return {r.name: r.trace for r in results if r.trace is not None}


def test_dns_race_explained_in_plain_words(dns_traces: dict[str, Trace]) -> None:
    found = explain(dns_traces["endpoint_never_empty"])
    stale = found.stale[0]
    # one Enactor's one-time newer-plan check went stale when another Enactor applied a newer plan
    assert stale.reader.startswith("enactor") and stale.writer.startswith("enactor") and stale.reader != stale.writer
    assert stale.var == "endpoint_plan[0]" and stale.in_guard and stale.written > stale.seen
    assert stale.read_action == "pick" and stale.write_action == "apply" and stale.act_action == "apply"
    words = " ".join(stale.sentences)
    assert f"{stale.reader} ran `pick` (take the newest plan after the one-time check" in words
    assert f"{stale.writer}'s `apply` (write the held plan" in words and "went stale" in words
    # `apply`'s transaction reads the record (to see its plan exists) but does not compare it again
    assert f"{stale.reader} acted on the stale check" in words and "its guard did not look at endpoint_plan[0]" in words
    # and the other's cleanup deleted the plan the first one wrote (before or after its write)
    written = dns_traces["endpoint_never_empty"].states[stale.act_step][model_slot(dns_traces, "endpoint_plan[0]")]
    assert written < stale.written  # the reader wrote its older plan over the newer one
    assert f"set endpoint_plan[0] {stale.written} → {written}" in stale.sentences[2]
    consequence = stale.sentences[-1]
    assert f"{stale.writer}'s `cleanup`" in consequence and f"removed {written} from plans" in consequence
    assert "had just written" in consequence or "had already removed" in consequence
    (part,) = found.failure
    assert part.text == "sys.plans.contains(p)" and part.bindings == {"p": written}


def model_slot(traces: dict[str, Trace], name: str) -> int:
    model = next(iter(traces.values())).model
    return next(i for i, s in enumerate(model.slots) if s.name == name)


def test_dns_regression_explained(dns_traces: dict[str, Trace]) -> None:
    found = explain(dns_traces["plan_never_regresses"])
    assert found.stale and found.stale[0].var == "endpoint_plan[0]"
    (part,) = found.failure
    assert part.text == "n >= o" and part.bindings["n"] < part.bindings["o"]


def test_one_step_checks_of_a_store_are_no_window() -> None:
    # DWFM's fleet is a store: `lease_expires` and `request` each check and act in one step, and
    # the lasso interleaves them with DynamoDB's recovery; nothing a later step does relies on an
    # earlier check (no private state carries it), so the lasso has no stale read to explain
    from checker.run import check_spec

    sr = check_spec(load_spec(REPO / "specs" / "dwfm_collapse.toml"), properties=["leases_recovered"])
    (result,) = sr.results
    assert result.trace is not None and result.trace.kind == "lasso"
    assert stale_reads(result.trace) == []


def test_a_lasso_labels_where_its_stale_reads_act() -> None:
    from dataclasses import replace

    from checker.report import render
    from checker.report.view import from_trace

    model = Overdraft.build()
    trace = trace_of(model, "who1.check", "who2.check", "who2.withdraw", "who1.withdraw", prop="never_overdrawn")
    view = from_trace(Trace(model, trace.states, trace.transitions, "never_overdrawn", "lasso", loop=2))
    (stale,) = view.stale
    assert view.phase(stale) == "in the repeating cycle"
    assert view.phase(replace(stale, act_step=2)) == "in the prefix, before the cycle"
    assert "[in the repeating cycle]" in render([view], "text") and "_(in the repeating cycle)_" in render([view], "md")


# ---------------------------------------------------------------------------- folds given a list
LISTED_FOLD = """
from checker import Int, Model, Process, action, all_of, any_of, invariant, require

class P(Process):
    x = Int(init=0, min=0, max=5)

    @action
    def inc(self, sys):
        require(self.x < 5)
        self.x = self.x + 1

class M(Model):
    p = P()

    @invariant
    def small(sys):
        return {fold}([sys.p.x >= 0, sys.p.x < 2])
"""


@pytest.mark.parametrize("fold", ["all_of", "any_of", "nested"])
def test_a_fold_over_a_list_is_explained_and_exits_1(fold: str, tmp_path, monkeypatch) -> None:
    """The false part not first: `list.index` compared terms with `==` (a term, used as a bool): exit 2.
    ``nested``: the inner any_of over a list runs before the outer all_of; the outer one is explained."""
    from tests.conftest import run_cli

    # any_of: both parts false at x == 2; a module name per case (imported modules are cached)
    parts = {
        "all_of": "sys.p.x >= 0, sys.p.x < 2",
        "any_of": "sys.p.x < 0, sys.p.x < 2",
        "nested": "sys.p.x >= 0, any_of([sys.p.x < 0, sys.p.x < 2])",
    }[fold]
    source = LISTED_FOLD.format(fold="all_of" if fold == "nested" else fold)
    source = source.replace("sys.p.x >= 0, sys.p.x < 2", parts)
    (tmp_path / f"listed_{fold}.py").write_text(source)
    (tmp_path / "spec.toml").write_text(f'model = "listed_{fold}:M"\n[check]\ndepth = 4\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = run_cli("check", str(tmp_path / "spec.toml"))
    assert result.exit_code == 1, result.output
    assert "error" not in result.output
    assert "What makes it false:" in result.output
    if fold == "all_of":
        assert "sys.p.x < 2 is false" in result.output and "sys.p.x >= 0 is false" not in result.output
    elif fold == "nested":
        assert "any_of([sys.p.x < 0, sys.p.x < 2]) is false" in result.output and "part " not in result.output
    else:
        assert "sys.p.x < 0 is false" in result.output and "sys.p.x < 2 is false" in result.output


def test_an_explanation_that_fails_leaves_the_verdict_and_says_so(monkeypatch) -> None:
    """Explaining is a report's extra: if it raises, the report says what is missing and goes on."""
    import checker.explain as explain_module
    from checker.report import render
    from checker.report.view import from_trace

    def broken(trace: Trace) -> list:
        raise TypeError("a state value was used as a Python bool")

    monkeypatch.setattr(explain_module, "stale_reads", broken)
    model = Overdraft.build()
    trace = trace_of(model, "who1.check", "who2.check", "who2.withdraw", "who1.withdraw", prop="never_overdrawn")
    view = from_trace(trace)
    assert view.stale == [] and [p.text for p in view.failure] == ["sys.balance >= 0"]
    (note,) = view.notes
    assert note.startswith("no stale-read explanation: computing it failed (TypeError: a state value")
    for fmt in ("text", "md", "html"):
        assert "no stale-read explanation: computing it failed" in render([view], fmt)


# ---------------------------------------------------------------------------- known right answers
def test_a_read_modify_write_that_reads_again_is_no_stale_read() -> None:
    """worker1 noted the counter, worker2 incremented it, worker1 incremented it as it then was:
    no update is lost and no check was relied on."""
    model = RereadIncrement.build()
    trace = trace_of(model, "worker1.read", "worker2.read", "worker2.write", "worker1.write", prop="at_most_one")
    assert trace.states[-1][model_slot({"t": trace}, "value")] == 2  # both increments counted
    assert stale_reads(trace) == []


def test_a_lost_update_names_the_overwritten_change() -> None:
    model = NonAtomicCounter.build()
    trace = trace_of(model, "worker1.read", "worker2.read", "worker2.write", "worker1.write", prop="no_lost_update")
    (stale,) = stale_reads(trace)
    assert (stale.reader, stale.var, stale.in_guard, stale.writer) == ("worker1", "value", False, "worker2")
    assert (stale.seen, stale.written, stale.current) == (0, 1, 1)
    assert stale.headline == (
        "worker1 read value = 0 at step 1 (`read`), worker2's `write` changed it to 1 at step 3, and worker1 "
        "wrote value = 1 at step 4 (`write`) without taking that change into account: an update was lost."
    )
    assert "it would have written the same had value still been 0" in stale.sentences[2]


def test_a_stale_check_acted_on_by_a_read_modify_write_is_not_the_old_value() -> None:
    """The check went stale and was relied on, but the act read the counter afresh: it acted on the
    stale check, not on the old value (the value it changed is the writer's, 1)."""
    model = CheckThenIncrement.build()
    trace = trace_of(model, "worker1.check", "worker2.check", "worker2.add", "worker1.add", prop="within_limit")
    (stale,) = stale_reads(trace)
    assert (stale.reader, stale.var, stale.in_guard, stale.read_step, stale.write_step, stale.act_step) == (
        "worker1",
        "value",
        True,
        1,
        3,
        4,
    )
    words = " ".join([stale.headline, *stale.sentences])
    assert "old value" not in words
    assert "worker1 acted on the stale check at step 4 (`add`)" in stale.headline
    assert "read value = 1 itself" in stale.sentences[2] and "value 1 → 2" in stale.sentences[2]


def test_a_check_made_again_by_the_act_is_no_stale_read() -> None:
    """worker1's first check went stale, but its add checked the counter again in its own guard
    (too weakly, which is the bug): the act did not rely on the first check. Nothing is said."""
    model = CheckThenRecheck.build(limit=1)
    trace = trace_of(model, "worker1.check", "worker2.check", "worker2.add", "worker1.add", prop="within_limit")
    assert stale_reads(trace) == []
    # the same interleaving where the add does not check again: the stale check is reported
    model = CheckThenIncrement.build(limit=1)
    trace = trace_of(model, "worker1.check", "worker2.check", "worker2.add", "worker1.add", prop="within_limit")
    assert len(stale_reads(trace)) == 1


def test_a_consuming_receive_is_no_stale_check_and_the_cleanup_is_named() -> None:
    """consumer1 took plan 1 atomically; consumer2 took plan 2, published it and deleted plan 1;
    consumer1 then published the deleted plan. The inbox changed after consumer1's receive, but
    its check and take were one step: nothing went stale. The failing part names the cleanup."""
    model = Consumers.build()
    trace = trace_of(
        model,
        "consumer1.receive(p=1)",
        "consumer2.receive(p=2)",
        "consumer2.publish",
        "consumer2.cleanup",
        "consumer1.publish",
        prop="served_exists",
    )
    found = explain(trace)
    assert found.stale == []
    (part,) = found.failure
    assert part.reads == {"plans": frozenset({2}), "served": 1}
    assert part.last_changed["plans"] == (4, "consumer2", "cleanup")
    assert part.last_changed["served"] == (5, "consumer1", "publish")


def test_reports_name_a_lost_update_as_such() -> None:
    from checker.report import render
    from checker.report.view import from_trace

    model = NonAtomicCounter.build()
    trace = trace_of(model, "worker1.read", "worker2.read", "worker2.write", "worker1.write", prop="no_lost_update")
    view = from_trace(trace)
    text, md, html = (render([view], fmt) for fmt in ("text", "md", "html"))
    assert "Why: an update was lost" in text and "a check went stale" not in text
    assert "Why: an update was lost" in md and "overwrites the change to value made at step 3" in md
    assert "an update was lost" in html


def test_a_receive_that_also_checked_the_plan_store_names_the_cleanup() -> None:
    """The same trace where the receive also checked that plan 1 exists: that check (of a set the
    receive does not change) went stale when consumer2's cleanup deleted plan 1."""
    model = Consumers.build(check_exists=1)
    trace = trace_of(
        model,
        "consumer1.receive(p=1)",
        "consumer2.receive(p=2)",
        "consumer2.publish",
        "consumer2.cleanup",
        "consumer1.publish",
        prop="served_exists",
    )
    (stale,) = stale_reads(trace)
    assert (stale.reader, stale.var, stale.in_guard) == ("consumer1", "plans", True)
    assert (stale.read_step, stale.writer, stale.write_action, stale.act_step) == (1, "consumer2", "cleanup", 5)
    assert stale.headline.endswith("and consumer1 acted on the old value at step 5 (`publish`).")
