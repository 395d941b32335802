"""Proofs for every number of replicas over replica identities (`checker.param.keyed`):
two-phase commit for every number of RMs, sets of replica ids read per replica, actions
over a chosen replica, all_of/any_of over the replicas as quantifiers; the reading checked
against the model at every count (`checker.param.counts`), and every "proved for all N"
checked against exhaustive search at sizes 1-4."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import z3

from checker import certificate as certs
from checker.engines.explicit import run_explicit
from checker.param.counts import check_counts
from checker.param.reader import skolemize_negation
from checker.param.run import prove_for_all
from checker.param.template import ParamEncoding
from checker.results import Verdict
from models.twophase import TwoPhase
from tests.conftest import run_cli
from tests.models import keyed_systems as ks

REPO = Path(__file__).resolve().parent.parent


def _explicit(model, props: list[str]) -> set[Verdict]:  # type: ignore[no-untyped-def]
    return {r.verdict for r in run_explicit(model, props, max_states=500_000, timeout=120)}


def test_two_phase_commit_is_proved_for_all_rms(tmp_path: Path) -> None:
    out = prove_for_all(TwoPhase.build(variant="timeout"), "rms", ["consistent"], 300)  # ~7 s CPU; generous under load
    assert out.proved, out.why
    assert "proved for all rms ≥ 1" in out.why and "checked equal to the model at every rms it allows (1..8)" in out.why
    assert any(line.startswith("∀ r ≠ s ∈ rm: ") for line in out.invariant), out.invariant
    assert any(line.startswith("∀ r ∈ rm: ") for line in out.invariant), out.invariant
    assert not any("rm1" in line or "{rm" in line for line in out.invariant), out.invariant
    assert out.certificate_text is not None
    path = tmp_path / "2pc.smt2"
    path.write_text(out.certificate_text)
    check = certs.check_file(path)  # the z3 binary where there is one (the venv has it)
    assert check.ok, check.answers
    # the TM commits only once every RM is prepared: drop that guard and the proof must fail
    weaker = out.certificate_text.replace("(forall ((r!1 rm)) (select |rm.tm.prepared{}| r!1))", "true")
    assert weaker != out.certificate_text
    path.write_text(weaker)
    assert not certs.check_file(path).ok


KEYED = [
    (ks.Ballot, "voters", "closed_after_all", True),
    (ks.HastyBallot, "voters", "closed_after_all", False),
    (ks.Mutex, "clients", "critical_holds_lock", True),
    (ks.GreedyMutex, "clients", "critical_holds_lock", False),
    (ks.Hits, "players", "marked_have_acted", True),
    (ks.StrayHits, "players", "marked_have_acted", False),
]


@pytest.mark.parametrize(("cls", "count", "prop", "holds"), KEYED, ids=[c.__name__ for c, *_ in KEYED])
def test_keyed_verdicts_agree_with_exhaustive_search(cls, count: str, prop: str, holds: bool) -> None:  # type: ignore[no-untyped-def]
    out = prove_for_all(cls.build(), count, [prop], 60)
    found = {n: _explicit(cls.build(**{count: n}), [prop]) for n in range(1, 5)}
    assert out.proved == holds, out.why
    if out.proved:
        assert all(v == {Verdict.HOLDS} for v in found.values()), found
        assert all(line.startswith("∀ ") for line in out.invariant), out.invariant
    else:
        at = out.violated_at
        assert at is not None and f"violated with {count}={at}" in out.why, out.why
        assert Verdict.VIOLATED in found[at] and all(found[n] == {Verdict.HOLDS} for n in range(1, at)), found


def test_lease_fencing_is_proved_for_all_clients_where_it_holds(tmp_path: Path) -> None:
    cert = tmp_path / "lease.smt2"
    spec = str(REPO / "specs" / "lease_fencing.toml")
    res = run_cli("prove", spec, "--for-all", "clients", "--certificate", str(cert), "--timeout", "600")
    assert res.exit_code == 1, res.stdout + res.stderr  # writes_under_live_lease is violated (as the spec expects)
    text = " ".join(res.stdout.split())
    for name in ("writes_in_lease_order", "written_token_was_granted"):
        assert re.search(rf"✓ {name} proved proved for all clients ≥ 1", text), text
        assert certs.check_file(tmp_path / f"lease.{name}.smt2").ok
    assert "✗ writes_under_live_lease violated" in text
    assert re.search(r"∀ c ∈ client: .*c\.token", res.stdout), res.stdout  # its phrasing varies with z3's state


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["timeout", "no_timeout"])
def test_two_phase_commit_for_all_agrees_with_exhaustive_search(variant: str) -> None:
    out = prove_for_all(TwoPhase.build(variant=variant), "rms", ["consistent"], 300)
    assert out.proved, out.why
    for n in range(1, 5):
        assert _explicit(TwoPhase.build(variant=variant, rms=n), ["consistent"]) == {Verdict.HOLDS}, n


@pytest.mark.parametrize(
    ("cls", "prop", "why"),
    [
        (ks.SummingBallot, "few_counted", "iterates sys.voter other than in all_of(...)/any_of(...) [return sum("),
        (ks.SizedBallot, "few_voters", "counts sys.voter (len)"),
        (ks.LeaderBallot, "closed_after_all", "'leader' is a Ref('voter') without none=True"),
    ],
)
def test_keyed_reading_refuses_what_it_cannot_read(cls, prop: str, why: str) -> None:  # type: ignore[no-untyped-def]
    out = prove_for_all(cls.build(), "voters", [prop], 60)
    assert not out.proved and out.why.startswith("refused:") and why in out.why, out.why


def test_the_count_check_finds_a_wrong_reading() -> None:
    model = ks.Ballot.build()
    pe = ParamEncoding(model, "voters", properties=["closed_after_all"])
    assert check_counts(pe, model) is None
    close = next(t for t in pe.templates if t.label == "clerk.close")
    # read "every voter counted" as "some voter counted": equal with one voter, not with two
    v = z3.Const("v", pe.sort)
    counted = pe.p0[1][pe.local_keys.index("counted{}")]
    close.guard = z3.And(z3.Not(pe.p0[0][0]), z3.Exists([v], z3.Select(counted, v)))
    assert pe.shared[0].decl().name() == "closed"
    assert check_counts(pe, model) == "at voters=2: clerk.close: the guard differs"


def test_negated_properties_are_skolemized_at_the_given_replicas() -> None:
    r = z3.DeclareSort("R")
    a, s1, s2, x = (z3.Const(n, r) for n in ("a", "s1", "s2", "x"))
    p = z3.Function("p", r, z3.BoolSort())
    neg = skolemize_negation(z3.Not(z3.And(z3.Exists([x], p(x)), z3.Exists([x], z3.Not(p(x))))), [s1, s2])
    assert z3.eq(z3.simplify(neg), z3.simplify(z3.And(p(s1), z3.Not(p(s2)))))
    kept = skolemize_negation(z3.Exists([x], p(x)), [s1])  # negated: ∀ x ¬p(x), no Skolem constant
    assert z3.is_quantifier(kept.arg(0) if z3.is_not(kept) else kept) and "s1" not in str(kept)
    del a


def test_cli_proves_two_phase_commit_for_all_rms(tmp_path: Path) -> None:
    cert = tmp_path / "2pc.smt2"
    spec = str(REPO / "specs" / "twophase_timeout.toml")
    res = run_cli(
        "prove", spec, "--for-all", "rms", "--property", "consistent", "--certificate", str(cert), "--timeout", "600"
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "proved for all rms ≥ 1" in res.stdout and "∀ r ∈ rm:" in res.stdout
    assert certs.check_file(cert).ok


INITS = [
    (ks.Budgets, ["budgets_positive"], True),
    (ks.BrokeBudgets, ["budgets_positive"], False),
    (ks.RecordedBudgets, ["budgets_positive", "spenders_started_above_one"], True),
]


@pytest.mark.parametrize(("cls", "props", "holds"), INITS, ids=[c.__name__ for c, *_ in INITS])
def test_several_initial_states_for_all_workers(cls, props: list[str], holds: bool, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = prove_for_all(cls.build(), "workers", props, 60)
    found = {n: _explicit(cls.build(workers=n), props) for n in range(1, 5)}
    assert out.proved == holds, out.why
    if out.proved:
        assert all(v == {Verdict.HOLDS} for v in found.values()), found
        assert out.certificate_text is not None and "(forall" in out.certificate_text
        path = tmp_path / "c.smt2"
        path.write_text(out.certificate_text)
        assert certs.check_file(path).ok
    else:
        assert out.violated_at == 1 and Verdict.VIOLATED in found[1], (out.why, found)


def test_an_initial_hook_is_refused_with_its_location() -> None:
    out = prove_for_all(ks.HookedBudgets.build(), "workers", ["budgets_positive"], 60)
    assert not out.proved and "keyed_systems.py:" in out.why and "@initial hook 'pick'" in out.why, out.why


def test_dwfm_workers_every_allowed_count_instance_by_instance() -> None:
    # DWFM counts busy workers with count_of(...) and its clock tick ages every worker in one step:
    # no quantified reading; the counting proof (`checker.param.counting_proof`) covers every count
    spec = str(REPO / "specs" / "dwfm_throttled.toml")
    res = run_cli("prove", spec, "--for-all", "workers", "--property", "no_duplicate_lease", "--timeout", "120")
    assert res.exit_code == 0, res.stdout + res.stderr
    text = " ".join(res.stdout.split())
    assert "the quantified reading refused: models/dwfm/model.py:92" in text
    assert "proved for all workers ≥ 1 with counters" in text


def test_per_instance_invariants_fold_sets_of_replica_ids_and_refs() -> None:
    from checker.param.compact import compact

    lines = [f'~votes{{rm{i}}} | rm{i}.state != "working"' for i in (1, 2, 3)]
    lines += [f'holder != "rm{i}" | rm{j}.pc == 1' for i in (1, 2, 3) for j in (1, 2, 3) if i != j]
    assert compact(lines, "rm", 3) == [
        '∀ r ∈ rm1..3: ~votes{r} | r.state != "working"',
        "∀ r ≠ s ∈ rm1..3: holder != r | s.pc == 1",
    ]
    assert compact(lines[:2], "rm", 3) == lines[:2]  # rm3's line is missing: nothing folds


@pytest.mark.parametrize("name", ["trivially", "none_set", "small"])
def test_several_initial_states_beside_an_interval_held_set_are_read(name: str) -> None:
    """A reproducer of the random cross-check: it crashed with z3's "sort mismatch"; now each
    property gets an answer that exhaustive search at 1..4 replicas agrees with."""
    from tests.models.keyed_interval_init import IntervalInit

    out = prove_for_all(IntervalInit.build(), "n_p0", [name], 60)
    found = {n: run_explicit(IntervalInit.build(n_p0=n), [name])[0].verdict for n in (1, 2, 3, 4)}
    if out.proved:
        assert set(found.values()) == {Verdict.HOLDS}, (out.why, found)
    else:
        assert out.violated_at is None or found[out.violated_at] is Verdict.VIOLATED, (out.why, found)
    assert (name == "none_set") == (Verdict.VIOLATED in found.values()), found
    assert out.proved == (name != "none_set"), out.why
