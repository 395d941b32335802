"""The counting proof (`prove --for-all` with counters, `checker.param.counting_proof`) against
the independent reference, on random models it accepts (`tests.random_counting`).

For each random model and each invariant:

* `count_for_all` (the Python API of tests/test_param_counting.py): when it says *proved for
  every n ≥ K*, the reference (`tests.reference_model`, which imports nothing from `checker`)
  searches the model exhaustively at every n from K to 4 and finds no violation and no model
  error;
* the explicit engine at n = 1, 2, 3 has the reference's verdict there (a violation it reports
  at n is one the reference finds at n, and no violation is missed): the sizes that the
  counting ladder starts above;
* the route of `prove --for-all n` for a size of arrays (with a maximum of 3 declared):
  exhaustive search at every declared n, then counters from the size after the largest violated
  one: the sizes it reports violated are the reference's, and its proof holds in the
  reference from its K to 4;
* proved / refused / not proved are counted, and a floor on *proved* keeps the check from
  passing vacuously (every model refused would prove nothing).

The default run draws a few derandomized models (fast); ``pytest -m crosscheck`` draws
``RACEPROOF_CROSSCHECK_EXAMPLES // 10`` fresh ones with the session's seed.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, note, seed, settings

from checker.engines.explicit import run_explicit
from checker.param.counting_proof import count_for_all
from checker.param.counting_run import after_search
from checker.param.each import decide_each
from checker.results import Verdict
from tests.random_counting import CountingModel, counting_models
from tests.random_models import crosscheck_seed
from tests.reference_model import Explorer, PlainModel, TooLarge
from tests.test_crosscheck import COVERAGE

SIZES = (1, 2, 3, 4)
SEARCHED = (1, 2, 3)  # the explicit engine's sizes
TIMEOUT = 20.0
MAX_STATES = 20_000
EXAMPLES = 12
_MANY = int(os.environ.get("RACEPROOF_CROSSCHECK_EXAMPLES", "2000")) // 10
_SETTINGS = {
    "deadline": None,
    "database": None,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],  # shrinking costs minutes; the model is printed
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}
#: what one sweep found: proved / refused / not proved, and the reference's searches
TALLY: Counter[str] = Counter()


def reference_finds(m: CountingModel, n: int, name: str) -> str | None:
    """At ``n`` units: "violated", "model error", None (holds), or "too large"."""
    pm = PlainModel.from_source(m.plain(n))
    try:
        ex = Explorer(pm, MAX_STATES)
    except TooLarge:
        return "too large"
    if ex.error_step is not None:
        return "model error"
    return "violated" if any(not pm.holds(name, s) for s in ex.dist) else None


def check(m: CountingModel) -> None:
    note(repr(m))
    cls = m.build_class()
    model = cls.build()
    TALLY["models"] += 1
    for name in m.invariants:
        found = {n: reference_finds(m, n, name) for n in SIZES}
        note(f"{name}: the reference at n = 1..4: {found}")
        for n in SEARCHED:
            if found[n] in ("too large", "model error"):
                continue
            r = run_explicit(cls.build(n=n), [name], symmetry=False)[0]
            want = Verdict.VIOLATED if found[n] == "violated" else Verdict.HOLDS
            assert r.verdict is want, (name, n, r.verdict, r.reason, found)
            TALLY["explicit verdicts confirmed"] += 1
        declared(m, name, found)
        holds = all(found[n] is None for n in SIZES)
        TALLY["holding at n = 1..4 in the reference"] += holds
        # the other invariants as helpers: candidates for lemmas, kept only if inductive (some are violated)
        out = count_for_all(model, "n", [name], TIMEOUT, helpers=list(m.invariants))
        note(f"{name} with counters: {out.proved} from {out.from_size} ({out.why[:300]})")
        if out.proved:
            assert out.from_size is not None
            TALLY["proved"] += 1
            TALLY["proved with guessed lemmas"] += "kept by Houdini" in out.why
            TALLY["proved, of those holding at n = 1..4"] += holds
            for n in SIZES:
                if n >= out.from_size:
                    assert found[n] in (None, "too large"), (name, "proved for n >=", out.from_size, "but at", n, found)
                    TALLY["proofs confirmed by the reference at a size"] += found[n] is None
            if out.from_size > 1 and any(found[n] == "violated" for n in SIZES if n < out.from_size):
                TALLY["proved above a violated size"] += 1
        elif out.why.startswith("refused"):
            TALLY["refused"] += 1
            TALLY[f"refused: {out.why[9:90]}"] += 1
        else:
            TALLY["not proved"] += 1
            TALLY[f"not proved: {out.why[:60]}"] += 1


def declared(m: CountingModel, name: str, found: dict[int, str | None]) -> None:
    """What `prove --for-all n` does where ``n`` sizes arrays (`checker.param.each.for_each_size`),
    with a maximum of 3 declared: exhaustive search at every declared n, then counters from the
    size after the largest violated one (`checker.param.counting_run.after_search`). Every size
    it reports violated is violated in the reference, every other declared size holds there, and
    a proof from K holds in the reference at K..4."""
    cls = m.build_class()
    cls.params()["n"].max = max(SEARCHED)
    model = cls.build()
    each = decide_each(model, ["n"], [name], TIMEOUT)
    if not each.decided:
        TALLY["declared sizes not decided"] += 1
        return
    violated = [v["n"] for v, props in each.violated if name in props]
    for n in SEARCHED:
        if found[n] not in ("too large", "model error"):
            assert (n in violated) == (found[n] == "violated"), (name, n, violated, found)
            TALLY["declared sizes' verdicts confirmed by the reference"] += 1
    counted = after_search(model, "n", [name], {name: violated}, TIMEOUT)[name]
    note(f"{name} after the search (violated at {violated}): {counted.proved} from {counted.from_size}")
    if counted.proved:
        assert counted.from_size is not None and counted.from_size > max(violated, default=0), counted.why
        assert all(found[n] in (None, "too large") for n in SIZES if n >= counted.from_size), (name, found)
        TALLY["proved after the declared sizes' search"] += 1


def sweep(test: object, floor: float) -> None:
    TALLY.clear()
    test()  # type: ignore[operator]
    print(f"counting cross-check: {dict(TALLY)}")
    # in the session's cross-check summary line (tests/conftest.py)
    shown = ("models", "proved", "refused", "not proved", "proofs confirmed by the reference at a size")
    COVERAGE.update({f"counting {k}": TALLY[k] for k in shown})
    holding = TALLY["holding at n = 1..4 in the reference"]
    assert TALLY["proved, of those holding at n = 1..4"] >= floor * holding, ("too few proofs", dict(TALLY))
    assert TALLY["proofs confirmed by the reference at a size"] > 0, dict(TALLY)


@settings(max_examples=EXAMPLES, derandomize=True, **_SETTINGS)
@given(counting_models())
def _fixed(m: CountingModel) -> None:
    check(m)


def test_counting_proofs_agree_with_the_reference() -> None:
    sweep(_fixed, 0.5)


@seed(crosscheck_seed())
@settings(max_examples=_MANY, derandomize=False, **_SETTINGS)
@given(counting_models())
def _many(m: CountingModel) -> None:
    check(m)


@pytest.mark.crosscheck
def test_counting_proofs_agree_with_the_reference_many() -> None:
    sweep(_many, 0.5)


def test_counting_proofs_from_guessed_lemmas_agree_with_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same models with Spacer alone skipped: every proof goes through the lemmas guessed
    from small instances' states and kept by Houdini (`checker.param.counting_houdini`), the
    route DWFM's drop-expired design needs. Its proofs must hold in the reference too."""
    from checker.param import counting_proof

    monkeypatch.setattr(counting_proof, "ALONE_SECONDS", 0.0)
    sweep(_fixed, 0.5)
    assert TALLY["proved with guessed lemmas"] > 0, dict(TALLY)


@pytest.mark.crosscheck
def test_counting_proofs_from_guessed_lemmas_agree_with_the_reference_many(monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.param import counting_proof

    monkeypatch.setattr(counting_proof, "ALONE_SECONDS", 0.0)
    sweep(_many, 0.5)


# ---------------------------------------------------------------------------- what the sweep found
def test_an_array_sum_written_with_a_generator_is_proved_with_counters() -> None:
    from tests.models.counting_array_sums import Generator

    out = count_for_all(Generator.build(), "n", ["at_most_two"], TIMEOUT)
    assert out.proved and out.from_size == 1, out.why
    for n in SIZES:
        assert run_explicit(Generator.build(n=n), ["at_most_two"])[0].verdict is Verdict.HOLDS


def test_an_array_passed_itself_to_sum_of_is_proved_with_counters() -> None:
    from tests.models.counting_array_sums import PassedItself

    for n in SIZES:
        assert run_explicit(PassedItself.build(n=n), ["at_most_two"])[0].verdict is Verdict.HOLDS
    out = count_for_all(PassedItself.build(), "n", ["at_most_two"], TIMEOUT)
    assert out.proved and out.from_size == 1, out.why


def test_a_model_that_never_steps_is_proved_with_counters() -> None:
    from tests.models.counting_frozen import NeverSteps

    for n in SIZES:
        assert run_explicit(NeverSteps.build(n=n), ["no_two"])[0].verdict is Verdict.HOLDS
    out = count_for_all(NeverSteps.build(), "n", ["no_two"], TIMEOUT)
    assert out.proved and out.from_size == 1, out.why
