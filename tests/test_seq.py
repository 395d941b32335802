"""`Seq(elem, capacity)`: every operation means the same under the concrete and the symbolic
interpretation, every engine gives the same verdicts, one sequence is one state, errors are
located, and traces, JSON and ITF show a sequence as one value."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
import z3

from checker.encoding import Encoding
from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.prove import prove
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.lang.runtime import fire
from checker.results import Verdict
from checker.symmetry import decide
from tests.conftest import REPO, assert_located, marker_line, replay_itf, run_cli
from tests.models import seqs

SEQS = Path(seqs.__file__)


def canonical_states(model: ModelInstance) -> list[tuple[Any, ...]]:
    """Every state of the model's declared domains with canonical sequences (slow: small models)."""
    per_var: list[list[list[Any]]] = []
    for var in model.vars:
        values = list(var.sort.values()) if hasattr(var.sort, "values") else [False, True]  # type: ignore[union-attr]
        if var.shape == "seq":
            cap = len(var.keys)
            options = []
            for n in range(cap + 1):
                for items in itertools.product(values, repeat=n):
                    options.append(list(items) + [values[0]] * (cap - n) + [n])
            per_var.append(options)
        else:
            per_var.append([[v] for v in values])
    return [tuple(v for part in combo for v in part) for combo in itertools.product(*per_var)]


def canonical(model: ModelInstance, state: tuple[Any, ...]) -> bool:
    """Every slot at or beyond a sequence's length holds the element type's default."""
    for var in model.vars:
        if var.shape == "seq":
            default = var.sort.values()[0] if hasattr(var.sort, "values") else False  # type: ignore[union-attr]
            if any(state[i] != default for i in var.slots[:-1][state[var.slots[-1]] :]):
                return False
    return True


def test_every_operation_means_the_same_concretely_and_symbolically() -> None:
    """For each transition and a sample of states: disabled, an error (at the same line) or the same successor."""
    model = seqs.AllOps.build()
    enc = Encoding(model)
    steps = {t.index: step for t, step in enc.fired}
    x = enc.flat(enc.x)
    states = canonical_states(model)
    assert len(states) == 15 * 7 * 4 * 2
    sample = random.Random(13).sample(states, 50)
    seen = {"disabled": 0, "error": 0, "fired": 0}
    for state in sample:
        subs = list(zip(x, enc.flat(enc.const_state(state)), strict=True))
        for t in model.transitions:
            try:
                concrete: Any = fire(model, t, state)
            except ModelError as exc:
                concrete = exc
            step = steps.get(t.index)
            guard = z3.is_true(z3.simplify(z3.substitute(step.guard, subs))) if step is not None else False
            if concrete is None:
                assert not guard, (t, state)
                seen["disabled"] += 1
                continue
            assert guard, (t, state)
            failing = [c.line for c in step.checks if z3.is_false(z3.simplify(z3.substitute(c.ok, subs)))]
            if isinstance(concrete, ModelError):  # the same line (the wording may say more concretely)
                assert concrete.line in failing, (t, state, concrete.message, failing)
                assert concrete.file == str(SEQS)
                seen["error"] += 1
                continue
            assert not failing, (t, state, failing)
            nxt = [z3.simplify(z3.substitute(v, subs)) for v in enc.flat(step.next)]
            want = enc.flat(enc.const_state(concrete))
            assert all(z3.eq(a, b) for a, b in zip(nxt, want, strict=True)), (t, state, concrete)
            assert canonical(model, concrete), (t, state, concrete)
            seen["fired"] += 1
    assert all(seen.values()), seen


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        # (q, r, x, b) -> q, r, x, b after the step; None: an error
        (([1, 0], [], 0, False), "append(v=1)", ([1, 0, 1], [], 0, False)),
        (([1, 0, 1], [], 0, False), "append(v=1)", None),
        (([1, 0], [], 0, False), "pop", ([0], [], 1, False)),
        (([], [], 0, False), "pop", None),
        (([0, 1, 1], [], 0, False), "tail", ([1, 1], [], 0, False)),
        (([0, 1, 1], [], 2, False), "index_state", ([0, 1, 1], [], 1, False)),
        (([0, 1], [], 2, False), "index_state", None),
        (([0, 1, 0], [], 1, False), "pop_at", ([0, 0], [], 1, False)),
        (([0, 1, 0], [], 1, False), "pop_at_const(i=2)", ([0, 1], [], 1, False)),
        (([0, 1, 0], [], 0, False), "select", ([1], [], 0, False)),
        (([1, 0, 1], [], 0, False), "select_into_smaller", ([1, 0, 1], [1, 1], 0, False)),
        (([1, 1, 1], [], 0, False), "select_into_smaller", None),
        (([0], [1, 1], 0, False), "concat", ([1, 1, 0], [1, 1], 0, False)),
        (([0, 0], [1, 1], 0, False), "concat", None),
        (([0], [1], 1, False), "assign_list", ([0], [1, 1], 1, False)),
        (([0], [1], 2, False), "assign_list", None),
        (([1, 0, 1], [0], 0, True), "clear", ([], [0], 0, True)),
        (([1], [1], 0, False), "equal", ([1], [1], 0, True)),
        (([0, 1], [0], 3, False), "get", ([0, 1], [0], 3, False)),
        (([0, 1], [0], 1, False), "get", ([0, 1], [0], 1, False)),
        (([0, 1, 1], [], 0, False), "guarded", ([0, 1, 1], [], 0, False)),
        (([0, 1, 1], [], 0, True), "guarded", None),
        (([0, 1, 1], [], 0, False), "require_after", "disabled"),
        (([0], [], 0, False), "require_after", ([0, 0], [], 0, False)),
    ],
)
def test_operations_on_examples(state: tuple[Any, ...], action: str, after: Any) -> None:
    model = seqs.AllOps.build()
    (t,) = [t for t in model.transitions if t.label == action]

    def slots(q: list[int], r: list[int], x: int, b: bool) -> tuple[Any, ...]:
        return (*q, *[0] * (3 - len(q)), len(q), *r, *[0] * (2 - len(r)), len(r), x, b)

    if after is None:
        with pytest.raises(ModelError) as err:
            fire(model, t, slots(*state))
        assert err.value.file == str(SEQS)
    elif after == "disabled":
        assert fire(model, t, slots(*state)) is None
    else:
        nxt = fire(model, t, slots(*state))
        assert nxt == slots(*after)
        assert model.describe_state(nxt)["q"] == after[0]


def test_one_sequence_is_one_state_whatever_the_path() -> None:
    """15 sequences over {0, 1} of length <= 3, reached along many paths: 15 states in every
    explicit backend, and BMC and explicit search agree on the witness's length."""
    counts = set()
    for backend in ("numpy", "python"):
        short, witness = run_explicit(seqs.Canonical.build(), ["short", "one_zero_one"], backend=backend)
        assert short.verdict is Verdict.HOLDS and witness.verdict is Verdict.WITNESSED
        counts.add(short.extra["states"])
        assert witness.trace is not None and len(witness.trace) == 3
    assert counts == {15}
    (found,) = run_bmc(seqs.Canonical.build(), ["one_zero_one"], 4)
    assert found.verdict is Verdict.WITNESSED and found.trace is not None and len(found.trace) == 3


def test_engines_agree_on_the_channels_model() -> None:
    """The bug variant: explicit search and BMC find the violation in 6 steps; the correct
    protocol's invariant is proved by k-induction and PDR."""
    from models.channels import AlternatingBit

    props = ["sender_not_ahead"]
    (explicit,) = run_explicit(AlternatingBit.build(variant="ignores_ack_bit"), props)
    (bmc,) = run_bmc(AlternatingBit.build(variant="ignores_ack_bit"), props, 8)
    assert explicit.verdict is bmc.verdict is Verdict.VIOLATED
    assert explicit.trace is not None and bmc.trace is not None and len(explicit.trace) == len(bmc.trace) == 6
    for engine in ("kind", "pdr"):
        (r,) = prove(seqs.Canonical.build(), ["short"], engine, timeout=60)
        assert r.verdict is Verdict.PROVED, (engine, r.reason)
    (held,) = run_bmc(AlternatingBit.build(msgs=2), ["in_order"], 8)
    assert held.verdict is Verdict.HOLDS_TO_DEPTH


def test_a_seq_in_a_replica_is_permuted_with_it() -> None:
    """Each replica owns its inbox: symmetric replicas are reduced, and the orbit count is
    the number of multisets of two inboxes (7 * 8 / 2), not the 49 states."""
    decision = decide(Encoding(seqs.SymmetricMailboxes.build()), ["not_all_full"])
    assert [[inst.name for inst in g] for g in decision.groups] == [["box1", "box2"]]
    (plain,) = run_explicit(seqs.SymmetricMailboxes.build(), ["not_all_full"], symmetry=False)
    (reduced,) = run_explicit(seqs.SymmetricMailboxes.build(), ["not_all_full"], symmetry=True)
    assert plain.verdict is reduced.verdict is Verdict.VIOLATED
    (plain,) = run_explicit(seqs.Mailboxes.build(), ["not_all_full"], symmetry=False)
    assert plain.verdict is Verdict.VIOLATED
    # the property singling box1 out keeps the replicas apart
    decision = decide(Encoding(seqs.Mailboxes.build()), ["not_all_full"])
    assert decision.groups == [] and "box" in decision.not_reduced


def test_orbit_counts_with_a_seq_per_replica() -> None:
    from checker import Model, invariant

    class Free(seqs.Mailboxes):  # no property singling a replica out
        @invariant
        def not_all_full(sys):
            return True

    assert issubclass(Free, Model)
    plain = run_explicit(Free.build(), ["not_all_full"], symmetry=False)[0].extra["states"]
    reduced = run_explicit(Free.build(), ["not_all_full"], symmetry=True)[0].extra["states"]
    assert (plain, reduced) == (49, 28)


def test_overflow_is_a_located_error_in_every_engine() -> None:
    line = marker_line(SEQS, "# OVERFLOW")
    for run in (
        lambda: run_explicit(seqs.Overflowing.build(), ["short"], backend="numpy"),
        lambda: run_explicit(seqs.Overflowing.build(), ["short"], backend="python"),
        lambda: run_bmc(seqs.Overflowing.build(), ["short"], 5),
        lambda: prove(seqs.Overflowing.build(), ["short"], "kind", timeout=30),
    ):
        with pytest.raises(ModelError, match="full") as err:
            run()
        assert err.value.file == str(SEQS) and err.value.line == line


def test_overflow_from_the_cli_exits_2_at_the_line(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text('model = "tests.models.seqs:Overflowing"\n[check]\nengine = "explicit"\n')
    r = run_cli("check", str(spec))
    assert r.exit_code == 2, r.output
    assert "full" in r.output and "Traceback" not in r.output
    assert_located(r.output, SEQS, marker_line(SEQS, "# OVERFLOW"))


def test_python_control_flow_on_a_seq_is_a_located_error() -> None:
    from checker import Model, Process, action

    class Bad(Process):
        @action
        def act(self, sys):
            return len(sys.q)  # PY-LEN

    class BadModel(Model):
        bag = seqs.Bag()
        bad = Bad()

    model = BadModel.build()
    with pytest.raises(ModelError, match=r"q\.len\(\)") as err:
        fire(model, model.transitions[0], model.init)
    assert err.value.line == marker_line(Path(__file__), "# PY" + "-LEN")


def test_declaration_errors() -> None:
    from checker import Int, Model, Seq, Store

    class TooLong(Store):
        q = Seq(Int(min=0, max=3), capacity=2, init=[1, 2, 3])

    class M(Model):
        s = TooLong()

    with pytest.raises(ModelError, match="capacity is 2"):
        M.build()

    class Neg(Store):
        q = Seq(Int(), capacity=-1)

    class N(Model):
        s = Neg()

    with pytest.raises(ModelError, match="capacity -1"):
        N.build()


def test_a_seq_prints_as_one_value_in_text_json_and_itf(tmp_path: Path) -> None:
    spec = REPO / "specs" / "channels_ignores_ack_bit.toml"
    itf = tmp_path / "trace.itf.json"
    r = run_cli("check", str(spec), "--json", "--itf", str(itf))
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    result = next(x for x in data["specs"][0]["results"] if x["property"] == "in_order")
    last = result["trace"]["steps"][-1]["state"]
    assert last["receiver.delivered"] == [0, 3]
    assert not any(k.endswith(".len()") or "[" in k for k in last)  # no raw slots
    written = json.loads(itf.read_text())
    assert written["states"][-1]["receiver.delivered"] == [{"#bigint": "0"}, {"#bigint": "3"}]  # an ITF list
    from models.channels import AlternatingBit

    replay_itf(written, AlternatingBit.build(msgs=4, capacity=2, variant="ignores_ack_bit"))
    text = run_cli("check", str(spec))
    assert "receiver.delivered: [0] → [0, 3]" in text.stdout
    report = run_cli("report", str(itf), "-o", str(tmp_path / "r.html"))
    assert report.exit_code in (0, 1), report.output
    assert "Traceback" not in report.output


def test_validate_reads_a_logged_seq_as_one_value(tmp_path: Path) -> None:
    """`raceproof validate` compares a logged list with the sequence (not its first slot)."""
    spec = tmp_path / "s.toml"
    spec.write_text('model = "tests.models.seqs:Canonical"\n')
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(
        '{"action": "push", "args": {"v": 1}, "after": {"q": [1]}}\n'
        '{"action": "push", "args": {"v": 0}, "before": {"q": [1]}, "after": {"q": [1, 0], "q[1]": 0}}\n'
        '{"action": "drop_zeros", "after": {"q": [1]}}\n'
    )
    bad.write_text(
        '{"action": "push", "args": {"v": 1}, "after": {"q": [1]}}\n{"action": "drop_zeros", "after": {"q": []}}\n'
    )
    r = run_cli("validate", str(good), "--spec", str(spec))
    assert r.exit_code == 0 and "final: q=[1]" in r.stdout, r.output
    r = run_cli("validate", str(bad), "--spec", str(spec))
    assert r.exit_code == 1 and "q is [1] in the model, [] in the log" in r.stdout, r.output


@pytest.mark.parametrize(("model", "count"), [("Producers", "producers"), ("Relays", "relays")])
def test_proved_for_every_number_of_replicas(model: str, count: str, tmp_path: Path) -> None:
    """A shared queue, and a queue per replica (its slots are the replica's): the parameterized
    prover proves the invariant for any number of replicas, with lemmas over the sequences."""
    spec = tmp_path / "s.toml"
    spec.write_text(f'model = "tests.models.seqs:{model}"\n[expect]\nonly_ones = "proved"\n')
    r = run_cli("prove", str(spec), "--for-all", count)
    assert r.exit_code == 0, r.output
    assert f"proved for all {count} ≥ 1" in r.stdout
    assert "q.len() <= 0" in r.stdout


def test_sequences_of_two_element_types() -> None:
    """Assigning a sequence of Int(min=5) to one of Int(min=0) pads with 0, not 5 (canonical),
    and == compares elements only: explicit backends and BMC agree."""
    counts = set()
    for backend in ("numpy", "python"):
        same, low = run_explicit(seqs.MixedTypes.build(), ["never_same", "low_from_high"], backend=backend)
        assert same.verdict is Verdict.VIOLATED and same.trace is not None and len(same.trace) == 0
        assert low.verdict is Verdict.HOLDS
        counts.add(low.extra["states"])
    (bmc,) = run_bmc(seqs.MixedTypes.build(), ["low_from_high"], 5)
    assert bmc.verdict is Verdict.HOLDS_TO_DEPTH
    model = seqs.MixedTypes.build()
    for state in (model.init, *[s for t in model.transitions if (s := fire(model, t, model.init)) is not None]):
        low = model.var_by_name["low"]
        assert all(state[i] == 0 for i in low.slots[:-1][state[low.slots[-1]] :])  # padding is low's
    assert len(counts) == 1  # one state count in both backends
