"""A per-index array model whose aggregates pass the array itself to `sum_of`/`count_of`
(``sum_of(sys.lit)``), next to the same model written with a generator
(``sum_of(x for x in sys.lit)``): found by tests/test_crosscheck_counting.py.

Both are symmetric in the indices, and "at most 2 lit" holds for every ``n`` (a cell lights
only while fewer than 2 are lit). With counters the generator form is proved for every n;
the other is refused ("counts the units with len(...)"): the counting reader's ``list(items)``
asks the array view for its length (a length hint), which its hooks take for model code
counting the units. A refusal claims nothing (no wrong verdict), but it refuses a form the
language documents (``sum_of`` "takes the values, or one iterable of them").
"""

from __future__ import annotations

from checker import Array, Int, Model, Param, Store, action, count_of, invariant, require, sum_of


class Cells(Store):
    lit = Array(Int(min=0, max=1), size="n", init=0)

    @action(k="n")
    def light(self, sys, k):
        require(sum_of(self.lit) < 2)
        self.lit[k] = 1

    @action(k="n")
    def dim(self, sys, k):
        self.lit[k] = 0


class PassedItself(Model):
    n = Param(2, min=1)
    cells = Cells()

    @invariant
    def at_most_two(sys):
        return count_of(x == 1 for x in sys.lit) <= 2


class CellsGen(Store):
    lit = Array(Int(min=0, max=1), size="n", init=0)

    @action(k="n")
    def light(self, sys, k):
        require(sum_of(x for x in self.lit) < 2)
        self.lit[k] = 1

    @action(k="n")
    def dim(self, sys, k):
        self.lit[k] = 0


class Generator(Model):
    n = Param(2, min=1)
    cells = CellsGen()

    @invariant
    def at_most_two(sys):
        return count_of(x == 1 for x in sys.lit) <= 2
