"""A model whose only step is never enabled (found by tests/test_crosscheck_counting.py):
nothing ever changes, so "no cell is 2" holds for every ``n``.

With counters, Spacer answered unsat (proved) but, inlining ``Inv`` away, gave the cover
``True``, whose certificate's safety query is sat: the re-check rejected it and a true property
was reported not proved. `checker.param.counting_proof._spacer` now keeps ``Inv`` (as
`checker.engines.pdr` does); the regression test asserts the proof.
"""

from __future__ import annotations

from checker import Array, Bool, Int, Model, Param, Store, action, count_of, invariant, require


class Frozen(Store):
    cell = Array(Int(min=0, max=2), size="n", init=0)
    on = Bool(init=True)

    @action(k="n")
    def flip(self, sys, k):
        require(self.on & ~self.on)
        self.on = False


class NeverSteps(Model):
    n = Param(2, min=1)
    frozen = Frozen()

    @invariant
    def no_two(sys):
        return count_of(x == 2 for x in sys.cell) == 0
