"""Proofs for every replica count never contradicted by exhaustive search (random models).

Hypothesis generates small models (`tests.random_models`); for each with a replica count
that is a parameter, every invariant and action invariant is put to `prove_for_all` on its
own. A property proved for all N must hold, and no model error (a reachable write outside
its declared range, which a proof also covers) may occur, in an exhaustive breadth-first
search (`run_explicit`, no symmetry reduction) at every count 1-4; a property reported
violated at a size N must be violated there. Refusals and failures are allowed (they claim
nothing). ``pytest -m crosscheck`` runs many more fresh models.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, note, settings

from checker.engines.explicit import run_explicit
from checker.errors import ModelError
from checker.param.counting_proof import count_for_all
from checker.param.run import prove_for_all
from checker.results import Verdict
from tests.random_models import RandomModel, models

EXAMPLES = 25
SIZES = (1, 2, 3, 4)
TIMEOUT = 20.0
MAX_STATES = 50_000

_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
_MANY = int(os.environ.get("RACEPROOF_CROSSCHECK_EXAMPLES", "2000")) // 4


def _search(cls, count: str, n: int, name: str, **more: int) -> Verdict | str:  # type: ignore[no-untyped-def]
    try:
        model = cls.build(**({count: n} | more))
        results = run_explicit(model, [name], max_states=MAX_STATES, timeout=60, symmetry=False)
    except ModelError as exc:
        return f"model error: {exc.message}"
    return results[0].verdict


def check(m: RandomModel) -> None:
    note(m.source)
    cls = m.build_class()
    counts = sorted({c.count for c in cls.components().values() if isinstance(c.count, str)})
    assume(counts)
    model = cls.build()
    sizes = [n for n, v in model.param_dict().items() if n not in counts and isinstance(v, int) and v <= max(SIZES)]
    sizes = [n for n in sizes if any(len(var.slots) == model.param_dict()[n] for var in model.vars)][:1]
    for count in counts:
        for name, kind in m.properties.items():
            if kind not in ("invariant", "action_invariant"):
                continue
            out = prove_for_all(model, count, [name], TIMEOUT)
            note(f"{name} for all {count}: {out.proved} ({out.why[:200]})")
            if out.proved:
                for n in SIZES:
                    found = _search(cls, count, n, name)
                    assert found in (Verdict.HOLDS, Verdict.UNKNOWN), (name, count, n, found, out.invariant)
            elif out.violated_at is not None:
                assert _search(cls, count, out.violated_at, name) is Verdict.VIOLATED, (name, count, out.why)
            for size in sizes:
                check_index(cls, model, count, size, name)


def check_index(cls, model, count: str, size: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """For every replica count and every array size ``size`` (its maximum set to 4 here:
    the parameterized reading of the arrays is only trusted for a parameter with a maximum,
    at each value of which it is checked): proved means it holds at every pair of sizes 1-4."""
    cls.params()[size].max = max(SIZES)
    out = prove_for_all(model, count, [name], TIMEOUT, index=size)
    note(f"{name} for all {count} and {size}: {out.proved} ({out.why[:200]})")
    if out.proved:
        for n in SIZES:
            for m in SIZES:
                found = _search(cls, count, n, name, **{size: m})
                assert found in (Verdict.HOLDS, Verdict.UNKNOWN), (name, count, n, size, m, found, out.invariant)
    elif out.violated_sizes is not None:
        assert _search(cls, count, out.violated_at, name, **out.violated_sizes) is Verdict.VIOLATED, out.why


@settings(max_examples=EXAMPLES, derandomize=True, database=None, **_SETTINGS)
@given(models())
def test_proofs_for_all_agree_with_search(m: RandomModel) -> None:
    check(m)


def check_counting(m: RandomModel) -> None:
    """The counting route (`checker.param.counting_proof`): an invariant proved for every count
    from K on holds in exhaustive search at every count 1-4 from K on. Few random models fit
    it (sets, several initial states and unbounded ints are refused), so it runs only with
    ``-m crosscheck``; `tests.test_param_counting` cross-checks hand-written symmetric models,
    and `tests.test_crosscheck_counting` random models drawn for the counting route (against
    the independent reference, with a floor on the proofs)."""
    note(m.source)
    cls = m.build_class()
    counts = sorted({c.count for c in cls.components().values() if isinstance(c.count, str)})
    assume(counts)
    model = cls.build()
    for count in counts:
        for name, kind in m.properties.items():
            if kind != "invariant":
                continue
            out = count_for_all(model, count, [name], TIMEOUT)
            note(f"{name} for all {count} with counters: {out.proved} ({out.why[:200]})")
            if out.proved:
                assert out.from_size is not None
                for n in SIZES:
                    if n >= out.from_size:
                        found = _search(cls, count, n, name)
                        assert found in (Verdict.HOLDS, Verdict.UNKNOWN), (name, count, n, found, out.invariant)


@pytest.mark.crosscheck
@settings(max_examples=_MANY, **_SETTINGS)
@given(models())
def test_counting_proofs_agree_with_search_many(m: RandomModel) -> None:
    check_counting(m)


@pytest.mark.crosscheck
@settings(max_examples=_MANY, **_SETTINGS)
@given(models())
def test_proofs_for_all_agree_with_search_many(m: RandomModel) -> None:
    check(m)


# ---------------------------------------------------------------------------- the symmetry reproducers
SYM_MODELS = sorted((Path(__file__).parent / "models").glob("xcheck_sym_*.py"))


@pytest.mark.parametrize("path", SYM_MODELS, ids=[p.stem for p in SYM_MODELS])
def test_models_that_single_a_replica_out_are_never_proved_wrongly(path: Path) -> None:
    """The cross-check's reproducers of unsound symmetry (a replica singled out by its name,
    by enumerate, a list index, a scan, unpacking, zip), with their replica count made a
    parameter: each is refused, or its verdict for all N agrees with exhaustive search."""
    source = path.read_text().split("# ---- the plain reference model")[0]
    source = source.replace("p0 = P0(count=2)", 'n = Param(2, min=1)\n    p0 = P0(count="n")')
    source = source.replace("from checker import (", "from checker import (Param, ", 1)
    if "from checker import (" not in path.read_text():
        source = source.replace("from checker import ", "from checker import Param, ", 1)
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    cls = namespace["Random"]
    model = cls.build()  # type: ignore[attr-defined]
    for name, prop in model.properties.items():
        if prop.kind not in ("invariant", "action_invariant"):
            continue
        out = prove_for_all(model, "n", [name], TIMEOUT)
        if out.proved:
            for n in SIZES:
                assert _search(cls, "n", n, name) in (Verdict.HOLDS, Verdict.UNKNOWN), (path.stem, name, n)
        elif out.violated_at is not None:
            assert _search(cls, "n", out.violated_at, name) is Verdict.VIOLATED, (path.stem, name)
        if name != "invariant0":  # `True` is proved whatever the code does; the others single a replica out
            assert out.why.startswith("refused:") and str(path.name) in out.why, (name, out.why)
        if prop.kind == "invariant":  # with counters: refused, or it holds at every count it is proved for
            counted = count_for_all(model, "n", [name], TIMEOUT)
            if counted.proved:
                for n in SIZES:
                    assert _search(cls, "n", n, name) in (Verdict.HOLDS, Verdict.UNKNOWN), (path.stem, name, n)


@pytest.mark.parametrize("path", SYM_MODELS, ids=[p.stem for p in SYM_MODELS])
def test_reproducers_with_a_bounded_count_are_never_proved_wrongly(path: Path) -> None:
    """The same models with a maximum on the count, so that a property over the replicas is
    read for every replica (and that reading checked at each count 1-4): whatever is proved
    holds in exhaustive search at every count."""
    source = path.read_text().split("# ---- the plain reference model")[0]
    source = source.replace("p0 = P0(count=2)", 'n = Param(2, min=1, max=4)\n    p0 = P0(count="n")')
    source = source.replace("from checker import (", "from checker import (Param, ", 1)
    if "from checker import (" not in path.read_text():
        source = source.replace("from checker import ", "from checker import Param, ", 1)
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    cls = namespace["Random"]
    model = cls.build()  # type: ignore[attr-defined]
    for name, prop in model.properties.items():
        if prop.kind not in ("invariant", "action_invariant"):
            continue
        out = prove_for_all(model, "n", [name], TIMEOUT)
        if out.proved:
            for n in SIZES:
                assert _search(cls, "n", n, name) in (Verdict.HOLDS, Verdict.UNKNOWN), (path.stem, name, n, out.why)
        elif out.violated_at is not None:
            assert _search(cls, "n", out.violated_at, name) is Verdict.VIOLATED, (path.stem, name)
        else:
            assert out.why.startswith(("refused:", "no ∀-invariant", "not proved")), out.why
