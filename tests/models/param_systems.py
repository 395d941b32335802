"""Small replicated systems for the proofs for every replica count (tests/test_param_prove.py).

Known answers, for N workers (``workers`` = N):

* ``LockedCounter``: a worker takes a lock and raises ``inside`` in one step, lowers it and
  frees the lock when it leaves: ``inside_at_most_one`` holds for every N (its invariant
  needs a lemma about two workers: never both inside).
* ``RacyLock``: the lock is checked in one step and taken in the next: two workers both
  get in; ``inside_at_most_one`` holds for N = 1 and is violated for every N >= 2.
* ``PeekingWorker``: a worker enters only while *every* worker is outside (it reads the
  others' state): holds for every N; the guard is read as a quantifier (`checker.param.keyed`),
  but the invariant needs a count of the workers inside: not proved for every N.
* ``NumberedWorker`` (reads ``self.id``) and ``CountingWorker`` (reads the count
  parameter): the parameterized reading must refuse them too.
"""

from __future__ import annotations

from checker import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Param,
    Process,
    Store,
    action,
    action_invariant,
    all_of,
    any_of,
    invariant,
    ite,
    require,
    when,
)


class Room(Store):
    locked = Bool()
    inside = Int(init=0, min=0)


class Locking(Process):
    pc = Enum("out", "in")

    @action
    def enter(self, sys):
        require(self.pc == "out")
        require(~sys.locked)
        sys.locked = True
        sys.inside = sys.inside + 1
        self.pc = "in"

    @action
    def leave(self, sys):
        require(self.pc == "in")
        sys.inside = sys.inside - 1
        sys.locked = False
        self.pc = "out"


class Racing(Process):
    pc = Enum("out", "checked", "in")

    @action
    def check(self, sys):
        require(self.pc == "out")
        require(~sys.locked)
        self.pc = "checked"

    @action
    def enter(self, sys):
        require(self.pc == "checked")
        sys.locked = True
        sys.inside = sys.inside + 1
        self.pc = "in"

    @action
    def leave(self, sys):
        require(self.pc == "in")
        sys.inside = sys.inside - 1
        sys.locked = False
        self.pc = "out"


class Peeking(Process):
    pc = Enum("out", "in")

    @action
    def enter(self, sys):
        require(self.pc == "out")
        require(all_of(w.pc == "out" for w in sys.worker))
        sys.inside = sys.inside + 1
        self.pc = "in"

    @action
    def leave(self, sys):
        require(self.pc == "in")
        sys.inside = sys.inside - 1
        self.pc = "out"


class Numbered(Locking):
    @action
    def enter(self, sys):
        require(self.pc == "out")
        require(~sys.locked | (self.id == 1))  # worker 1 ignores the lock
        sys.locked = True
        sys.inside = sys.inside + 1
        self.pc = "in"


class Counting(Locking):
    @action
    def enter(self, sys):
        require(self.pc == "out")
        require(~sys.locked | (sys.params.workers > 5))  # the lock only counts for few workers
        sys.locked = True
        sys.inside = sys.inside + 1
        self.pc = "in"


class _Room(Model):
    workers = Param(2, min=1, max=8)
    room = Room()

    @invariant
    def inside_at_most_one(sys):
        return sys.inside <= 1

    @action_invariant
    def inside_moves_by_one(old, new):
        return (new.inside - old.inside <= 1) & (old.inside - new.inside <= 1)


class LockedCounter(_Room):
    worker = Locking(count="workers")


class RacyLock(_Room):
    worker = Racing(count="workers")


class PeekingWorker(_Room):
    worker = Peeking(count="workers")


class NumberedWorker(_Room):
    worker = Numbered(count="workers")


class CountingWorker(_Room):
    worker = Counting(count="workers")


# ---------------------------------------------------------------------------- arrays of a parameter's size
# Painters take the next value and write it to every cell in order (``cells`` of them, a
# parameter with a maximum: the proofs for every size check their reading at each value).
# ``CasPainting``: a write only raises a cell: ``never_lowered`` and ``cells_bounded`` hold for
# every number of painters and cells. ``BlindPainting``: writes are blind: ``never_lowered``
# is violated with 2 painters. ``FirstTwoCells``: the property reads the first two cells only
# (zipped with range(2)): the reading for every size differs from the model at 3 cells: refused.
class Board(Store):
    cell = Array(Int(min=0, max="limit"), size="cells", init=0)
    latest = Int(init=0, min=0, max="limit")


class CasPainter(Process):
    pc = Enum("idle", "paint")
    value = Int(init=0, min=0, max="limit")
    cursor = Int(init=0, min=0, max="cells")

    def may_write(self, sys):
        return sys.cell[self.cursor] < self.value

    @action
    def start(self, sys):
        require(self.pc == "idle")
        require(sys.latest < sys.params.limit)
        sys.latest = sys.latest + 1
        self.value = sys.latest + 0
        self.cursor = 0
        self.pc = "paint"

    @action
    def paint(self, sys):
        require(self.pc == "paint")
        with when(self.may_write(sys)):
            sys.cell[self.cursor] = self.value
        self.cursor += 1
        self.pc = ite(self.cursor == sys.params.cells, "idle", "paint")


class BlindPainter(CasPainter):
    def may_write(self, sys):
        return True


class _Painting(Model):
    painters = Param(2, min=1, max=8)
    cells = Param(2, min=1, max=4)
    limit = Param(3, min=1)
    board = Board()

    @invariant
    def cells_bounded(sys):
        return all_of(c <= sys.latest for c in sys.cell)

    @action_invariant
    def never_lowered(old, new):
        return all_of(n >= o for o, n in zip(old.cell, new.cell, strict=True))


class CasPainting(_Painting):
    painter = CasPainter(count="painters")


class BlindPainting(_Painting):
    painter = BlindPainter(count="painters")


class FirstTwoCells(CasPainting):
    @invariant
    def first_two_bounded(sys):
        return all_of(c <= sys.latest for c, _ in zip(sys.cell, range(2), strict=False))


# ---------------------------------------------------------------------------- properties over the replicas
# ``EveryWorkerCounted``: a worker inside is the one counted (``all_of`` over the workers):
# proved for every number of workers. ``SomeWorkerOut`` says "some worker is out" (``any_of``):
# not a property of every worker (read so, it would differ at 2 workers): refused.
class EveryWorkerCounted(LockedCounter):
    @invariant
    def inside_is_counted(sys):
        return all_of((w.pc == "out") | (sys.inside == 1) for w in sys.worker)


class SomeWorkerOut(LockedCounter):
    @invariant
    def some_worker_out(sys):
        return any_of(w.pc == "out" for w in sys.worker)


# ---------------------------------------------------------------------------- over the replicas and the arrays
# ``PaintersAndCells``: every painter's value and every cell stay at or below the latest value
# (``all_of`` over the painters of ``all_of`` over the cells): proved for every number of
# painters and cells. ``SomePainterAbove``: "some painter's value is at least every cell"
# (``any_of`` over the painters): not a property of every painter: refused.
class PaintersAndCells(CasPainting):
    @invariant
    def painted_below_latest(sys):
        return all_of(all_of((c <= sys.latest) & (p.value <= sys.latest) for c in sys.cell) for p in sys.painter)


class SomePainterAbove(CasPainting):
    @invariant
    def some_painter_above(sys):
        return any_of(all_of(c <= p.value for c in sys.cell) for p in sys.painter)


def _dns() -> type:
    from models.dns import Dns

    class DnsPlansBelowLatest(Dns):
        """The DNS model with a property over every Enactor and every endpoint."""

        @invariant
        def plans_below_latest(sys):
            return all_of(all_of((p <= sys.planner.latest) & (e.plan <= sys.planner.latest) for p in sys.endpoint_plan)
                          for e in sys.enactor)  # fmt: skip

    return DnsPlansBelowLatest


DnsPlansBelowLatest = _dns()


# ---------------------------------------------------------------------------- actions over a parameter's domain
# An action per cell (``@action(cell="cells")``), by a painter or by the board itself. ``TouchUp``:
# an idle painter raises any one cell to its value where that is higher, and the board raises any
# cell to the latest value: both only raise, so ``never_lowered`` and ``cells_bounded`` hold for
# every number of painters and cells. ``Wipe``: the board may reset any cell to 0: ``never_lowered``
# is violated with one painter and two cells.
class TouchingPainter(CasPainter):
    @action(cell="cells")
    def touch_up(self, sys, cell):
        require(self.pc == "idle")
        with when(sys.cell[cell] < self.value):
            sys.cell[cell] = self.value


class RefreshingBoard(Board):
    @action(cell="cells")
    def refresh(self, sys, cell):
        require(sys.cell[cell] < sys.latest)
        sys.cell[cell] = sys.latest


class WipingBoard(Board):
    @action(cell="cells")
    def wipe(self, sys, cell):
        require(sys.cell[cell] > 0)
        sys.cell[cell] = 0


class TouchUp(_Painting):
    board = RefreshingBoard()
    painter = TouchingPainter(count="painters")


class Wipe(_Painting):
    board = WipingBoard()
    painter = CasPainter(count="painters")


class RefreshingAllButLast(Board):
    @action(cell=lambda p: range(p.cells - 1))
    def refresh(self, sys, cell):
        require(sys.cell[cell] < sys.latest)
        sys.cell[cell] = sys.latest


class TouchUpAllButLast(_Painting):
    board = RefreshingAllButLast()
    painter = CasPainter(count="painters")
