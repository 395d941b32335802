"""A model whose only step is never enabled (found by tests/test_crosscheck_counting.py):
nothing ever changes, so "no cell is 2" holds for every ``n``.

With counters, Spacer answers unsat (proved), but the invariant `checker.param.counting_proof`
takes from it, ``get_cover_delta(-1, Inv)``, is ``True``: the certificate's safety query
(``inv ∧ dom ∧ bad``) is then sat, the re-check rejects it, and the property is reported not
proved. No wrong verdict (the re-check is what it is for), but a true property is lost.
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
