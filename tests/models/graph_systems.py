"""Small models for the graph properties (`recoverable`, `eventually`), with known answers.

* ``Breaker`` (a service that fails and heals): ``recovers`` holds when ``fragile`` is
  False; with ``fragile`` a failing service can break for good, and the shortest way there is
  fail, break (2 steps).
* ``Scheduler`` with ``UnfairWorker``s: a spinner can spin forever while a worker never
  runs: ``all_done`` is violated by a lasso (cycle: spin, spin). ``FairScheduler``, whose
  ``work`` is fair: holds (work is enabled until it runs).
* ``GiveUp``: a worker may give up instead of working; then nothing is enabled: a deadlock
  in which ``done`` never holds (violated, a lasso with an empty cycle, 1 step).
* ``Dropout``: see its docstring (a lasso whose cycle starts after a prefix).
* ``Gate``: a fair ``enter`` needs an open gate, and the gate toggles: the gate can close
  every time before ``enter`` runs; ``enter`` is not *continuously* enabled, so weak fairness
  does not force it (violated: cycle open, close).
"""

from __future__ import annotations

from checker import Bool, Enum, Model, Param, Process, Store, action, all_of, eventually, recoverable, require


# ---------------------------------------------------------------------------- recoverable
class Service(Process):
    status = Enum("ok", "failing", "broken")

    @action
    def fail(self, sys):
        require(self.status == "ok")
        self.status = "failing"

    @action
    def heal(self, sys):
        require(self.status == "failing")
        self.status = "ok"

    @action
    def break_down(self, sys):
        require(sys.params.fragile)
        require(self.status == "failing")
        self.status = "broken"


class Breaker(Model):
    fragile = Param(False)
    services = Param(2, min=1, max=4)
    service = Service(count="services")

    @recoverable
    def recovers(sys):
        """Every service can get back to ok."""
        return all_of(s.status == "ok" for s in sys.service)


# ---------------------------------------------------------------------------- eventually
class Spinner(Store):
    flip = Bool(init=False)


class SpinnerProcess(Process):
    @action
    def spin(self, sys):
        sys.flip = ~sys.flip


class UnfairWorker(Process):
    done = Bool(init=False)

    @action
    def work(self, sys):
        require(~self.done)
        self.done = True


class FairWorker(Process):
    done = Bool(init=False)

    @action(fair=True)
    def work(self, sys):
        require(~self.done)
        self.done = True


class Scheduler(Model):
    workers = Param(2, min=1, max=4)
    spinner = SpinnerProcess()
    flag = Spinner()
    worker = UnfairWorker(count="workers")

    @eventually
    def all_done(sys):
        """Every worker eventually runs."""
        return all_of(w.done for w in sys.worker)


class FairScheduler(Scheduler):
    worker = FairWorker(count="workers")


class Quitter(Process):
    pc = Enum("idle", "done", "gone")

    @action(fair=True)
    def work(self, sys):
        require(self.pc == "idle")
        self.pc = "done"

    @action
    def give_up(self, sys):
        require(self.pc == "idle")
        self.pc = "gone"


class GiveUp(Model):
    worker = Quitter()

    @eventually
    def done(sys):
        """The worker eventually finishes its work."""
        return sys.worker.pc == "done"


class Door(Store):
    open = Bool(init=True)


class Toggler(Process):
    @action(fair=True)
    def toggle(self, sys):
        sys.open = ~sys.open


class Visitor(Process):
    inside = Bool(init=False)

    @action(fair=True)
    def enter(self, sys):
        require(sys.open & ~self.inside)
        self.inside = True


class Gate(Model):
    door = Door()
    toggler = Toggler()
    visitor = Visitor()

    @eventually
    def entered(sys):
        """The visitor eventually gets in."""
        return sys.visitor.inside


class Dropout(Model):
    """A fair worker that may give up, beside a spinner: spinning before the worker moves is
    unfair to ``work``, but once it has given up, ``work`` is disabled and spinning forever is
    fair. ``done`` is violated by a lasso with a 1-step prefix (give_up) and a 2-step cycle."""

    spinner = SpinnerProcess()
    flag = Spinner()
    worker = Quitter()

    @eventually
    def done(sys):
        """The worker eventually finishes its work."""
        return sys.worker.pc == "done"
