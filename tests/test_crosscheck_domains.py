"""Actions with a step per index of a parameter-sized domain (``@action(k="n_cells")``, and a
range computed from the parameters that is empty at ``n_cells = 1``), through every engine
against the reference at each size 1-3: the random models draw such actions too
(tests/random_domains.py); this one is always run, the empty domain included."""

from __future__ import annotations

import pytest

from tests.random_models import RandomModel
from tests.test_crosscheck import check_proofs, check_searches

MODEL = """
from checker import Array, Int, Model, Param, Process, Store, action, invariant, reachable, require, when

class P0(Process):
    v0 = Int(init=0, min=0, max=2)

    @action
    def act0(self, sys):
        require(self.v0 < 2)
        self.v0 = self.v0 + 1

    @action(k=lambda p: range(0, p.n_cells - 1))
    def cell0(self, sys, k):
        sys.cells[k] = 1

    @action(k="n_cells", fair=True)
    def cell1(self, sys, k):
        with when(sys.cells[k] < self.v0):
            sys.cells[k] = self.v0

class Cl(Store):
    cells = Array(Int(min=0, max=2), size="n_cells", init=0)

class Random(Model):
    n_cells = Param(1, min=1)
    cl = Cl()
    p0 = P0(count=2)

    @invariant
    def invariant0(sys):
        return True

    @invariant
    def invariant1(sys):
        return sys.cells[0] <= 1

    @reachable
    def reachable2(sys):
        return sys.cells[0] == 2
"""

# the reference's own reading: the steps of `cell0` and `cell1` are expanded from PARAMS by
# `tests.reference_model`, not listed here
PLAIN = """
def a_p0_act0(c, me):
    s = c.s
    c.req(s[me + ".v0"] < 2)
    c.w(me + ".v0", s[me + ".v0"] + 1)

def d_p0_cell0(c, me, k):
    s = c.s
    c.wa("cells", k, 1)

def d_p0_cell1(c, me, k):
    s = c.s
    with c.when(s["cells"][k] < s[me + ".v0"]):
        c.wa("cells", k, s[me + ".v0"])

def q_invariant0(c, s):
    return True

def q_invariant1(c, s):
    return s["cells"][0] <= 1

def q_reachable2(c, s):
    return s["cells"][0] == 2

INIT = {"p01.v0": 0, "p02.v0": 0, "cells": CELLS}
SPECS = {"p01.v0": ("int", 0, 2), "p02.v0": ("int", 0, 2), "cells": ("int", 0, 2)}
REPLICAS = {"p0": ["p01", "p02"]}
LOCAL = {"p01": ["p01.v0"], "p02": ["p02.v0"]}
TRANSITIONS = [("p01", "act0", {}, False, a_p0_act0), ("p02", "act0", {}, False, a_p0_act0)]
PARAMS = {"n_cells": N_CELLS}
DOMAIN_ACTIONS = [(i, "cell0", "k", ("n_cells", 0, -1), False, d_p0_cell0) for i in ("p01", "p02")]
DOMAIN_ACTIONS += [(i, "cell1", "k", ("n_cells", 0, 0), True, d_p0_cell1) for i in ("p01", "p02")]
PROPERTIES = {
    "invariant0": ("invariant", q_invariant0),
    "invariant1": ("invariant", q_invariant1),
    "reachable2": ("reachable", q_reachable2),
}
"""

PROPERTIES = {"invariant0": "invariant", "invariant1": "invariant", "reachable2": "reachable"}


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_engine_agrees_with_the_reference_on_steps_per_cell(n: int) -> None:
    source = MODEL.replace("Param(1, min=1)", f"Param({n}, min=1)")
    plain = PLAIN.replace("N_CELLS", str(n)).replace("CELLS", repr([0] * n))
    m = RandomModel(source, plain, "Random", PROPERTIES, False, {"param_domain", "param_domain_range"})
    check_searches(m)
    check_proofs(m)
