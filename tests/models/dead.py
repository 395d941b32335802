"""A model with an action whose guard is never true: coverage must list it.

Each worker counts ``step`` up to 3 (``advance``); ``reset`` needs ``step >= threshold``.
With ``threshold`` 4 (the default) ``reset`` can never fire: ``step`` stops at 3, so every
state is reached and both invariants hold, vacuously as far as ``reset`` is concerned.
With ``threshold`` 3 it fires. ``past_top`` is a `reachable` property no state satisfies.
``reset`` reads a parameter, not a constant, so its guard is not statically false: only
the search can tell that it is dead.
"""

from __future__ import annotations

from checker import Int, Model, Param, Process, action, all_of, any_of, invariant, reachable, require


class Stepper(Process):
    step = Int(init=0, min=0, max=3)

    @action
    def advance(self, sys):
        require(self.step < 3)
        self.step += 1

    @action
    def reset(self, sys):
        require(self.step >= sys.params.threshold)  # never true when threshold > 3
        self.step = 0


class DeadReset(Model):
    workers = Param(2, min=1, max=4, help="number of steppers")
    threshold = Param(4, min=0, help="reset needs step >= threshold (4: never)")
    worker = Stepper(count="workers")

    @invariant
    def within_range(sys):
        return all_of(w.step <= 3 for w in sys.worker)

    @reachable
    def all_at_top(sys):
        return all_of(w.step == 3 for w in sys.worker)

    @reachable
    def past_top(sys):
        """Impossible: no worker goes past 3."""
        return any_of(w.step > 3 for w in sys.worker)
