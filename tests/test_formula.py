"""The invariant printer: model names for state variables, z3's own text for anything else."""

from __future__ import annotations

import z3

from checker.encoding import Encoding
from checker.formula import readable
from tests.models.counter import NonAtomicCounter


def test_terms_without_a_model_name_fall_back_to_z3_text() -> None:
    enc = Encoding(NonAtomicCounter.build(procs=2))
    value = enc.x[0]  # the shared counter's slot
    f = z3.Function("f", z3.IntSort(), z3.IntSort())
    arr = z3.Array("arr", z3.IntSort(), z3.IntSort())
    lines = readable(enc, z3.And(f(value) > 2, z3.Select(arr, value) == 1, value >= 0))
    assert lines == ["f(value) > 2", "arr[value] == 1", "value >= 0"]
