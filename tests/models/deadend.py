"""A model whose one branch stops early (deadlocks) while the others go on: for checking that
BMC's verdicts and coverage look at behaviours of *up to* N steps, not only exactly N.

Each worker advances ``step`` from 0 to 2 (``advance``); the long behaviours take
2 * workers steps. Only in the initial state (no worker has advanced yet) a worker may
``crash``: that halts the system (no more advances) and starts its ``wreck`` count at 1;
``ruin`` then counts it on to ``ruin_at``. After that nothing is enabled: the crashed branch is
a dead end of exactly ``ruin_at`` steps. Known answers:

* ``crash`` fires at step 1 of a behaviour, ``ruin`` at steps 2 .. ``ruin_at`` (with
  ``ruin_at`` 1 it never fires), ``advance`` at steps 1 .. 2 * workers.
* ``not_ruined`` is violated, and ``ruined`` witnessed, at exactly depth ``ruin_at``, and only
  on the dead-end branch; ``no_ruin_step`` (an action invariant) is violated at depth 2
  when ``ruin_at`` >= 2 (else it holds); ``steps_bounded`` holds.
* every behaviour ends within max(2 * workers, ``ruin_at``) steps.
"""

from __future__ import annotations

from checker import (
    Bool,
    Int,
    Model,
    Param,
    Process,
    Store,
    action,
    action_invariant,
    all_of,
    any_of,
    implies,
    invariant,
    reachable,
    require,
)


class Flags(Store):
    halted = Bool(init=False)


class Worker(Process):
    step = Int(init=0, min=0, max=2)
    wreck = Int(init=0, min=0, max=4)

    @action
    def advance(self, sys):
        require(~sys.halted)
        require(self.step < 2)
        self.step += 1

    @action
    def crash(self, sys):
        """Enabled only at the start: once anybody advanced, it never is."""
        require(~sys.halted)
        require(all_of(w.step == 0 for w in sys.worker))
        sys.halted = True
        self.wreck = 1

    @action
    def ruin(self, sys):
        require(self.wreck >= 1)
        require(self.wreck < sys.params.ruin_at)
        self.wreck += 1


class DeadEnd(Model):
    workers = Param(2, min=1, max=3, help="number of workers")
    ruin_at = Param(3, min=1, max=4, help="length of the crashed branch (a dead end)")
    flags = Flags()
    worker = Worker(count="workers")

    @invariant
    def not_ruined(sys):
        return all_of(w.wreck < sys.params.ruin_at for w in sys.worker)

    @reachable
    def ruined(sys):
        return any_of(w.wreck == sys.params.ruin_at for w in sys.worker)

    @action_invariant
    def no_ruin_step(old, new):
        """Violated by every ruin step (the first is step 2 of the crashed branch)."""
        return all_of(implies(n.wreck >= 2, o.wreck == n.wreck) for o, n in zip(old.worker, new.worker, strict=True))

    @invariant
    def steps_bounded(sys):
        return all_of(w.step <= 2 for w in sys.worker)
