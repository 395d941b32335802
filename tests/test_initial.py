"""Nondeterministic initial states (`checker.lang.initial`): each form of choice, in every
engine, with the counts worked out by hand in `tests/models/initial_states.py`."""

from __future__ import annotations

import subprocess

import pytest

from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.graph import run_graph
from checker.engines.kind import run_kind
from checker.engines.pdr import run_pdr
from checker.engines.prove import prove
from checker.engines.simulate import simulate
from checker.errors import InternalError, ModelError
from checker.results import Verdict
from checker.trace import replay
from tests.conftest import MODELS_DIR, marker_line
from tests.models import initial_states as m

MODEL_FILE = MODELS_DIR / "initial_states.py"


def result(results, name):
    return next(r for r in results if r.name == name)


# ---------------------------------------------------------------------------- the forms
def test_range_choice_gives_one_initial_state_per_value() -> None:
    model = m.RangeStart.build()
    assert model.inits == ((0,), (1,), (2,))
    assert model.init == (0,)


def test_any_and_element_choices_multiply() -> None:
    model = m.AnyStart.build()
    # mode: 3 names, flag: 2, bits: 2 per element (4), level[p]: {0, 1}, level[q]: 0
    assert len(model.inits) == 3 * 2 * 4 * 2
    assert len(set(model.inits)) == len(model.inits)
    shown = [model.describe_state(s) for s in model.inits]
    assert {s["mode"] for s in shown} == {"a", "b", "c"}
    assert {s["level"]["p"] for s in shown} == {0, 1} and {s["level"]["q"] for s in shown} == {0}
    assert shown[0] == {"mode": "a", "flag": False, "bits": [False, False], "level": {"p": 0, "q": 0}}


def test_initial_hook_runs_per_instance_and_require_filters() -> None:
    model = m.HookStart.build()
    assert sorted(model.inits) == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert m.HookStart.build(workers=3).inits.__len__() == 8


def test_single_initial_state_models_are_unchanged() -> None:
    from tests.models.counter import AtomicCounter

    model = AtomicCounter.build()
    assert model.inits == (model.init,) and not model.several_inits


@pytest.mark.parametrize(
    ("cls", "marker", "phrase"),
    [
        ("TooManyStarts", "# BAD-TOO-MANY", "above the 10,000"),
        ("NoStart", "# BAD-REFUSE", "no initial state"),
        ("AnyUnbounded", "# BAD-ANY", "init=any needs a finite type"),
        ("HugeRangeStart", "# BAD-HUGE", "a choice of 1,000,000,000 initial values"),
    ],
)
def test_bad_initial_choices_are_located_model_errors(cls: str, marker: str, phrase: str) -> None:
    with pytest.raises(ModelError) as err:
        getattr(m, cls).build()
    assert phrase in str(err.value)
    assert err.value.file == str(MODEL_FILE) and err.value.line == marker_line(MODEL_FILE, marker)


# ---------------------------------------------------------------------------- explicit search
@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_explicit_counts_every_initial_state_at_depth_zero(backend: str) -> None:
    model = m.RangeStart.build()
    r = result(run_explicit(model, ["at_most_four"], backend=backend), "at_most_four")
    assert r.verdict == Verdict.HOLDS
    assert r.extra["states"] == 5 and r.extra["depth"] == 2  # levels {0, 1, 2}, {3}, {4}
    bad = result(run_explicit(model, ["below_four"], backend=backend), "below_four")
    assert bad.verdict == Verdict.VIOLATED and len(bad.trace) == 2  # from x = 2, not 4 steps from x = 0
    assert bad.trace.states[0] == (2,)
    assert replay(model, bad.trace.transitions, bad.trace.states[0]) == bad.trace.states


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_explicit_any_choice_states_are_the_initial_ones(backend: str) -> None:
    model = m.AnyStart.build()
    r = result(run_explicit(model, ["mode_is_a"], backend=backend), "mode_is_a")
    assert r.verdict == Verdict.VIOLATED and len(r.trace) == 0
    assert model.describe_state(r.trace.states[0])["mode"] != "a"
    r2 = result(run_explicit(m.OddStart.build(), ["even"], backend=backend), "even")
    assert r2.verdict == Verdict.VIOLATED and r2.trace.states[0] == (1,) and len(r2.trace) == 0


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_symmetric_initial_set_is_reduced(backend: str) -> None:
    model = m.HookStart.build()
    reduced = result(run_explicit(model, ["not_both_three"], backend=backend), "not_both_three")
    full = result(run_explicit(model, ["not_both_three"], backend=backend, symmetry=False), "not_both_three")
    assert reduced.verdict == full.verdict == Verdict.VIOLATED
    assert len(reduced.trace) == len(full.trace) == 2  # from (2, 2): one bump each
    assert reduced.trace.states[0] == (2, 2)


def test_symmetric_initial_set_state_counts() -> None:
    from checker import all_of
    from checker.lang.declare import invariant

    class Counted(m.HookStart):
        @invariant
        def in_range(sys):
            return all_of(*(w.v <= 3 for w in sys.worker))

    model = Counted.build()
    with_sym = result(run_explicit(model, ["in_range"]), "in_range")
    without = result(run_explicit(model, ["in_range"], symmetry=False), "in_range")
    assert with_sym.verdict == without.verdict == Verdict.HOLDS
    assert without.extra["states"] == 16  # every pair over 0..3
    assert with_sym.extra["states"] == 10  # every multiset of two values over 0..3


@pytest.mark.parametrize("workers", [2, 3])
def test_partitioned_search_starts_from_every_initial_state(workers: int) -> None:
    model = m.RangeStart.build()
    bad = result(run_explicit(model, ["below_four"], workers=workers), "below_four")
    assert bad.verdict == Verdict.VIOLATED and len(bad.trace) == 2 and bad.trace.states[0] == (2,)
    hook = m.HookStart.build()
    r = result(run_explicit(hook, ["not_both_three"], workers=workers), "not_both_three")
    assert r.verdict == Verdict.VIOLATED and len(r.trace) == 2 and r.trace.states[0] == (2, 2)


def test_asymmetric_initial_set_is_not_reduced() -> None:
    from checker.encoding import Encoding
    from checker.symmetry import decide

    model = m.SkewedStart.build()
    assert sorted(model.inits) == [(0, 0), (1, 0)]
    decision = decide(Encoding(model), ["sum_small"])
    assert not decision.groups
    assert "set of initial states changes" in decision.not_reduced["worker"]
    r = result(run_explicit(model, ["sum_small"]), "sum_small")
    assert r.verdict == Verdict.HOLDS and r.extra["states"] == 2


# ---------------------------------------------------------------------------- symbolic engines
def test_bmc_starts_from_the_right_initial_state() -> None:
    model = m.RangeStart.build()
    r = result(run_bmc(model, ["below_four"], depth=5), "below_four")
    assert r.verdict == Verdict.VIOLATED and len(r.trace) == 2 and r.trace.states[0] == (2,)
    odd = result(run_bmc(m.OddStart.build(), ["even"], depth=3), "even")
    assert odd.verdict == Verdict.VIOLATED and len(odd.trace) == 0 and odd.trace.states[0] == (1,)
    even = result(run_bmc(m.EvenStart.build(), ["even"], depth=6), "even")
    assert even.verdict in (Verdict.HOLDS, Verdict.HOLDS_TO_DEPTH)


@pytest.mark.parametrize("engine", ["kind", "pdr"])
def test_proof_engines_use_the_init_predicate(engine: str) -> None:
    run = run_kind if engine == "kind" else run_pdr
    proved = result(run(m.EvenStart.build(), ["even"], timeout=60), "even")
    assert proved.verdict == Verdict.PROVED and proved.checked
    refuted = result(run(m.OddStart.build(), ["even"], timeout=60), "even")
    assert refuted.verdict == Verdict.VIOLATED and refuted.trace.states[0] == (1,)


def test_prove_portfolio_and_certificate(tmp_path) -> None:
    cert = tmp_path / "even.smt2"
    r = result(prove(m.EvenStart.build(), ["even"], timeout=60, certificate=cert), "even")
    assert r.verdict == Verdict.PROVED and r.checked
    text = cert.read_text()
    init = text[text.index("(define-fun init") :].split("(define-fun", 2)[1]
    assert "(= 0 y)" in init and "(= 2 y)" in init  # both initial values: the initiation check covers each
    from checker.certificate import z3_binary

    binary = z3_binary()
    if binary is not None:  # the independent re-check: every query unsat
        proc = subprocess.run([binary, str(cert)], capture_output=True, text=True, timeout=120, check=False)
        answers = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
        assert answers and all(a == "unsat" for a in answers), proc.stdout
    bad = result(prove(m.OddStart.build(), ["even"], timeout=60), "even")
    assert bad.verdict == Verdict.VIOLATED and bad.trace.states[0] == (1,)


def test_simulation_draws_initial_states_from_the_seed() -> None:
    model = m.RangeStart.build()
    r = result(simulate(model, ["below_four"], walks=64, depth=10, seed=7)[0], "below_four")
    assert r.verdict == Verdict.VIOLATED and r.trace.states[0] in model.init_set
    assert len(r.trace) == 2  # shortened by breadth-first search over all initial states
    again = result(simulate(model, ["below_four"], walks=64, depth=10, seed=7)[0], "below_four")
    unshortened = result(simulate(model, ["below_four"], walks=64, depth=10, seed=7, shorten_states=1)[0], "below_four")
    assert unshortened.trace.states[0] in model.init_set
    assert again.trace.states == r.trace.states


# ---------------------------------------------------------------------------- graph properties
def test_recoverable_and_eventually_see_every_initial_state() -> None:
    model = m.GateStart.build()
    rec = result(run_graph(model, ["can_open"]), "can_open")
    assert rec.verdict == Verdict.VIOLATED and rec.trace.states[0] == (0,) and len(rec.trace) == 0
    ev = result(run_graph(model, ["opens"]), "opens")
    assert ev.verdict == Verdict.VIOLATED and ev.trace.states[0] == (0,)  # a deadlock at x = 0


# ---------------------------------------------------------------------------- traces and replay
def test_replay_requires_an_initial_state() -> None:
    model = m.RangeStart.build()
    inc = model.transitions[0]
    with pytest.raises(InternalError, match="several initial states"):
        replay(model, [inc])
    with pytest.raises(InternalError, match="not an initial state"):
        replay(model, [inc], (3,))
    assert replay(model, [inc], (1,)) == [(1,), (2,)]


def test_trace_says_which_initial_state_it_starts_from() -> None:
    from checker.report.json import trace_json
    from checker.report.view import from_trace

    model = m.RangeStart.build()
    r = result(run_explicit(model, ["below_four"]), "below_four")
    assert "initial state 3 of 3" in " ".join(from_trace(r.trace).notes)
    out = trace_json(r.trace)
    assert out["initial_states"] == 3 and out["initial_state"] == 3


# ---------------------------------------------------------------------------- the command line
def test_cli_json_and_itf_name_the_initial_state(tmp_path) -> None:
    import json

    from tests.conftest import run_cli

    spec = tmp_path / "spec.toml"
    spec.write_text(
        'model = "tests.models.initial_states:RangeStart"\n[check]\nengine = "bmc"\ndepth = 5\n'
        'properties = ["below_four"]\n'
    )
    itf = tmp_path / "trace.itf.json"
    result = run_cli("check", str(spec), "--json", "--itf", str(itf))
    assert result.exit_code == 1, result.output
    trace = json.loads(result.stdout)["specs"][0]["results"][0]["trace"]
    assert (trace["initial_state"], trace["initial_states"], trace["length"]) == (3, 3, 2)
    assert trace["steps"][0]["state"] == {"x": 2}
    shown = run_cli("report", str(itf), "--model", "tests.models.initial_states:RangeStart")
    assert shown.exit_code == 0, shown.output
    assert "starts from initial state 3 of 3" in shown.stdout


def test_log_validation_starts_from_every_initial_state() -> None:
    from checker.conform.validate import Event, validate

    model = m.RangeStart.build()
    inc = model.transitions[0]
    # a log that starts at x = 2 is explained (from the third initial state), one at x = 3 is not
    fine = validate(model, [Event(1, "inc", "counter", {}, {"x": 2}, {"x": 3}, [inc])])
    assert fine.consistent and fine.final == [(3,)]
    wrong = validate(model, [Event(1, "inc", "counter", {}, {"x": 3}, {"x": 4}, [inc])])
    assert not wrong.consistent and sorted(wrong.possible) == [(0,), (1,), (2,)]


def test_parameterized_proof_refuses_several_initial_states() -> None:
    from checker.lang.declare import invariant
    from checker.param.run import prove_for_all

    class Plain(m.HookStart):
        @invariant
        def nothing_shared(sys):
            return True

    out = prove_for_all(Plain.build(), "workers", ["nothing_shared"], 60)
    assert not out.proved and out.why.startswith("refused:") and "several initial states" in out.why, out.why
