"""Exact integer arithmetic in every engine (issue 11, section 2).

numpy's int64 wraps silently; the explicit engine's numpy backend must never let that
change a verdict. It proves its arithmetic exact before compiling (`explicit_bounds`),
checks new values at run time, and otherwise searches with exact Python integers, saying
so in the result. The python backend (`runtime.fire` on Python ints) is the reference.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.explicit.bounds import Exceeds
from checker.engines.explicit.compile import Compiled
from checker.engines.graph_build import build_graph
from checker.engines.prove import prove
from checker.lang.model import Model, ModelInstance
from checker.results import PropertyResult, Verdict
from checker.state_store import VALUE_LIMIT, KeyLayout
from checker.trace import replay
from tests.conftest import run_cli
from tests.models.overflow import (
    BigCounter,
    BoundedProduct,
    Indexed,
    ProductGuard,
    Sentinel,
    Squarer,
    WideConstant,
)

NOTE = "numpy backend: values may exceed 64 bits"


def explicit(model: ModelInstance, backend: str, **kw: Any) -> dict[str, PropertyResult]:
    results = {r.name: r for r in run_explicit(model, list(model.properties), backend=backend, **kw)}
    for r in results.values():
        if r.trace is not None:  # every trace is real: it replays concretely
            assert r.checked
            assert replay(model, r.trace.transitions) == r.trace.states
    return results


def summary(results: dict[str, PropertyResult]) -> dict[str, tuple[Verdict, int | None]]:
    return {n: (r.verdict, len(r.trace) if r.trace is not None else None) for n, r in results.items()}


def fired(r: PropertyResult) -> dict[str, Any]:
    return dict(r.extra["coverage"]["fired"])


def assert_same_as_python(cls: type[Model], **params: Any) -> dict[str, PropertyResult]:
    """The numpy and python backends give the same verdicts, lengths, state (and edge) counts
    and coverage; returns the numpy run's results."""
    ours = explicit(cls.build(**params), "numpy")
    ref = explicit(cls.build(**params), "python")
    assert summary(ours) == summary(ref)
    for name, r in ours.items():
        assert r.extra["states"] == ref[name].extra["states"], name
        assert r.extra.get("edges") == ref[name].extra.get("edges"), name  # (graph properties)
        assert fired(r) == fired(ref[name]), name
        assert r.extra["coverage"]["never"] == ref[name].extra["coverage"]["never"], name
    return ours


# ---------------------------------------------------------------------------- the product guard
def test_product_beyond_int64_is_a_violation_in_every_engine() -> None:
    """3e9 * 4e9 = 1.2e19 > 1e19; int64 would wrap the product to a negative number."""
    ours = assert_same_as_python(ProductGuard)["quiet"]
    assert ours.verdict is Verdict.VIOLATED and len(ours.trace) == 3
    assert ours.extra["backend"] == "python"
    # x * y > 10**19 is decided in 64 bits while x * y fits (x, y within 2**31); x = 3e9 is not
    assert ours.reason.startswith(NOTE) and "m.x reached 3000000000, beyond the +-2**31" in ours.reason
    assert "m.check" in fired(ours) and ours.extra["coverage"]["never"] == []
    (bmc,) = run_bmc(ProductGuard.build(), ["quiet"], 5)
    assert bmc.verdict is Verdict.VIOLATED and len(bmc.trace) == 3
    (proof,) = prove(ProductGuard.build(), ["quiet"], engine="auto", timeout=60)
    assert proof.verdict is Verdict.VIOLATED and len(proof.trace) == 3


def test_bounded_product_that_may_not_fit_is_refused_before_compiling() -> None:
    """Declared bounds up to 5e9: the product may reach 2.5e19 (no constant is out of range)."""
    with pytest.raises(Exceeds, match=r"m\.x\*m\.y may reach 25000000000000000000"):
        Compiled(BoundedProduct.build(), ["quiet"])
    ours = assert_same_as_python(BoundedProduct)["quiet"]
    assert ours.verdict is Verdict.VIOLATED and len(ours.trace) == 3 and NOTE in ours.reason


def test_wide_constants() -> None:
    """A constant beyond 64 bits inside arithmetic: no numpy at all. In a comparison with a
    term that provably fits 64 bits: decided, and the numpy backend stays in use."""
    with pytest.raises(Exceeds, match="the constant 18446744073709551616 does not fit 64 bits"):
        Compiled(WideConstant.build(), ["below_2_65"])
    wide = assert_same_as_python(WideConstant)["below_2_65"]
    assert wide.verdict is Verdict.VIOLATED and len(wide.trace) == 2 and NOTE in wide.reason
    sentinel = assert_same_as_python(Sentinel)
    assert summary(sentinel) == {"a_below_sentinel": (Verdict.HOLDS, None), "a_beyond": (Verdict.UNREACHABLE, None)}
    assert all(r.extra["backend"] == "numpy" and NOTE not in r.reason for r in sentinel.values())


# ---------------------------------------------------------------------------- squaring an unbounded Int
def test_squaring_past_int64_is_exact() -> None:
    """2, 4, 16, ..., 2**32, 2**64: exact in Python, 0 after wrapping in int64."""
    ours = assert_same_as_python(Squarer)
    assert summary(ours) == {
        "below_2_62": (Verdict.VIOLATED, 6),
        "positive": (Verdict.HOLDS, None),
        "huge": (Verdict.WITNESSED, 6),
    }
    positive = ours["positive"]
    assert positive.extra["backend"] == "python" and positive.extra["exhaustive"]
    # the numpy search started, met 2**32 (beyond the 2**31 that x * x allows) and gave way
    assert "s.x reached 4294967296, beyond the +-2**31" in positive.reason
    assert positive.reason.startswith("exhaustive: 8 distinct states (" + NOTE)
    assert fired(positive) == {"s.square": 6, "s.halt": 1}
    assert ours["huge"].trace.states[-1][0] == 2**64


def test_squarer_bmc_agrees() -> None:
    res = {r.name: r for r in run_bmc(Squarer.build(), ["below_2_62", "positive", "huge"], 9)}
    assert res["below_2_62"].verdict is Verdict.VIOLATED and len(res["below_2_62"].trace) == 6
    assert res["huge"].verdict is Verdict.WITNESSED and len(res["huge"].trace) == 6
    # every behaviour ends within 7 steps: past that bound BMC's answer is complete
    assert res["positive"].verdict is Verdict.HOLDS and "every behaviour ends within 7 steps" in res["positive"].reason
    bounded = {r.name: r for r in run_bmc(Squarer.build(), ["positive"], 7)}
    assert bounded["positive"].verdict is Verdict.HOLDS_TO_DEPTH  # at 7 it cannot know that


def test_small_values_stay_on_numpy_without_a_note() -> None:
    r = assert_same_as_python(BigCounter, start=100)["past_start"]
    assert r.extra["backend"] == "numpy" and "backend_note" not in r.extra and NOTE not in r.reason


# ---------------------------------------------------------------------------- array indices, set bits
def test_array_index_and_set_element_from_a_square() -> None:
    """int64 would wrap x * x and write the wrong cell: ``middle_cell_small`` was reported
    holds (exhaustive) before; it is violated in 4 steps."""
    ours = assert_same_as_python(Indexed)
    assert summary(ours) == {
        "middle_cell_small": (Verdict.VIOLATED, 4),
        "tag_two": (Verdict.WITNESSED, 2),
        "tag_one": (Verdict.UNREACHABLE, None),
    }
    assert all(NOTE in r.reason and "indexer.x reached 4294967295" in r.reason for r in ours.values())
    small = assert_same_as_python(Indexed, start=5, stride=3)
    assert all(r.extra["backend"] == "numpy" for r in small.values())
    assert small["middle_cell_small"].verdict is Verdict.HOLDS and small["tag_one"].verdict is Verdict.WITNESSED


def test_exact_ranges_are_per_column() -> None:
    """``x * x`` limits ``x`` to 2**31; the cells, which only copy ``x``, keep the maximum."""
    c = Compiled(Indexed.build(), list(Indexed.build().properties))
    limits = {c.shown[j]: k for j, k in enumerate(c.limits) if c.vectors.columns[j].kind == "int"}
    assert limits == {"cells[0]": VALUE_LIMIT, "cells[1]": VALUE_LIMIT, "cells[2]": VALUE_LIMIT, "indexer.x": 2**31}
    assert c.vectors.columns[0].lo is None  # (the cells are unbounded Ints too)


# ---------------------------------------------------------------------------- graph properties
@pytest.mark.parametrize(
    ("start", "why"), [(2**61 - 3, "c.n reached 2305843009213693953"), (2**63 - 3, "c.n reached 9223372036854775805")]
)
def test_graph_properties_beyond_int64(start: int, why: str) -> None:
    """The numpy graph build meets a value beyond what it holds exactly (2**61) midway, or
    (2**63 - 3) in the first step: both build the graph with exact integers instead."""
    ours = assert_same_as_python(BigCounter, start=start)
    assert ours["can_reset"].verdict is Verdict.HOLDS
    assert ours["reaches_top"].verdict is Verdict.VIOLATED and ours["reaches_top"].trace.kind == "lasso"
    assert ours["past_start"].verdict is Verdict.WITNESSED and len(ours["past_start"].trace) == 5
    for r in ours.values():
        assert NOTE in r.reason and why in r.reason and r.extra["backend"] == "python"
    graph = build_graph(BigCounter.build(start=start), ["can_reset"], backend="numpy")
    ref = build_graph(BigCounter.build(start=start), ["can_reset"], backend="python")
    assert (graph.nodes, graph.edges, graph.complete) == (ref.nodes, ref.edges, True)
    assert why in graph.note and ref.note == ""
    assert ours["can_reset"].extra["coverage"]["never"] == []


# ---------------------------------------------------------------------------- the CLI shows the note
def test_note_in_text_and_json_output(tmp_path: Any) -> None:
    spec = tmp_path / "squarer.toml"
    spec.write_text('model = "tests.models.overflow:Squarer"\n[expect]\npositive = "holds"\nhuge = "witnessed"\n')
    text = run_cli("check", str(spec), "--engine", "explicit")
    assert text.exit_code == 0, text.output
    assert NOTE in " ".join(text.stdout.split())
    data = run_cli("check", str(spec), "--engine", "explicit", "--json")
    assert data.exit_code == 0, data.output
    results = {r["property"]: r for r in json.loads(data.stdout)["specs"][0]["results"]}
    assert results["positive"]["verdict"] == "holds" and results["huge"]["verdict"] == "witnessed"
    assert all(NOTE in r["reason"] for r in results.values())
    # a violation's line shows the trace length; the note has a line of its own
    violated = run_cli("check", str(spec), "--engine", "explicit", "--property", "below_2_62")
    assert violated.exit_code == 1, violated.output
    assert "note: " + NOTE in " ".join(violated.stdout.split())


# ---------------------------------------------------------------------------- the packed keys
def test_packed_keys_refuse_values_they_cannot_hold() -> None:
    sample = np.array([[0, 5]], dtype=np.int64)
    layout = KeyLayout.for_columns([(None, None)], sample)
    with pytest.raises(ValueError, match="beyond"):
        layout.widened([(0, 0, VALUE_LIMIT + 1)])
    with pytest.raises(ValueError, match="beyond"):
        KeyLayout.for_columns([(None, None)], np.array([[-VALUE_LIMIT - 1]], dtype=np.int64))
    # the widest field still round-trips its extreme values
    wide = layout.widened([(0, -VALUE_LIMIT, VALUE_LIMIT)])
    S = np.array([[-VALUE_LIMIT, VALUE_LIMIT, 0]], dtype=np.int64)
    assert wide.covers(S) == []
    assert (wide.unpack(wide.pack(S)) == S).all()


# ---------------------------------------------------------------------------- random expressions
EDGES = [0, 1, -1, 3, -7, 2**31 - 1, 2**31, -(2**31), 2**32 + 1, 2**61, 2**62, -(2**62), 2**63 - 1, -(2**63), 2**63]
DIVISORS = [1, -1, 3, -7, 2**32, -(2**40) - 1]


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["self.a", "self.b"]) | st.sampled_from(EDGES).map(lambda v: f"({v})")

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        div = st.tuples(inner, st.sampled_from(["//", "%"]), st.sampled_from(DIVISORS)).map(
            lambda t: f"({t[0]} {t[1]} ({t[2]}))"
        )
        neg = inner.map(lambda x: f"(-{x})")
        ite = st.tuples(inner, st.sampled_from(["<", "==", ">="]), inner, inner, inner).map(
            lambda t: f"ite({t[0]} {t[1]} {t[2]}, {t[3]}, {t[4]})"
        )
        return binary | div | neg | ite

    return st.recursive(leaves, extend, max_leaves=5)


MODEL_SOURCE = """
from checker import Array, Bool, Int, Model, Process, Store, action, invariant, reachable, recoverable, require, ite

class Table(Store):
    cells = Array(Int(), size=3, init=0)

class P(Process):
    a = Int(init={a})
    b = Int(init={b})
    r = Int(init=0)
    done = Bool(init=False)

    @action
    def step(self, sys):
        require(~self.done & (self.a < {a} + 2))
        self.a = self.a + {step}

    @action
    def compute(self, sys):
        require(~self.done & ({guard}))
        self.r = {expr}
        sys.cells[({expr}) % 3] = self.a
        self.done = True

class M(Model):
    table = Table()
    p = P()

    @invariant
    def below(sys):
        return ~sys.p.done | (sys.p.r < {threshold})

    @reachable
    def negative(sys):
        return sys.p.done & (sys.p.r < 0)

    @reachable
    def middle_written(sys):
        return sys.cells[1] != 0

    @recoverable
    def can_finish(sys):
        return sys.p.done
"""


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    expr=_expressions(),
    guard=_expressions(),
    a=st.sampled_from(EDGES[:-1]),
    b=st.sampled_from(EDGES),
    step=st.sampled_from([1, 2**31, 2**62]),
    threshold=st.sampled_from(EDGES),
)
def test_numpy_equals_python_on_random_arithmetic(
    expr: str, guard: str, a: int, b: int, step: int, threshold: int
) -> None:
    source = MODEL_SOURCE.format(expr=expr, guard=f"{guard} > 0", a=a, b=b, step=step, threshold=threshold)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<random arithmetic model>", "exec"), namespace)  # noqa: S102 - our own source
    ours = assert_same_as_python(namespace["M"])
    for r in ours.values():
        assert r.extra["exhaustive"] or r.trace is not None
        assert (r.extra["backend"] == "python") == (NOTE in r.reason)
        event(r.extra.get("backend_note", "numpy, exact").split(" (")[-1].split(" ")[0])  # which path ran
