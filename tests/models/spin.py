"""Models for the timeout tests: model code that never returns, and a counter with no last step.

* ``Spin``: the action ``stuck`` loops for ever in plain Python, whatever engine runs it
  (symbolic execution for BMC and the proof engines, concrete execution for explicit search).
* ``Endless``: a counter that every step increments; ``tick_bounded`` is an invariant that
  holds, so BMC has to unroll to its full depth (with ``--depth 20000`` far beyond any timeout).
"""

from __future__ import annotations

from checker import Int, Model, Process, Store, action, invariant, reachable, require


class Counter(Store):
    value = Int(init=0, min=0)


class Spinner(Process):
    @action
    def stuck(self, sys):
        while True:  # model code that never returns
            pass


class Ticker(Process):
    @action
    def tick(self, sys):
        require(sys.value >= 0)
        sys.value = sys.value + 1


class Spin(Model):
    shared = Counter()
    spinner = Spinner()

    @invariant
    def never_negative(sys):
        return sys.value >= 0


class Endless(Model):
    shared = Counter()
    ticker = Ticker()

    @invariant
    def never_negative(sys):
        return sys.value >= 0

    @reachable
    def far(sys):
        return sys.value == 10**9


class EndlessViolated(Endless):
    """``Endless`` with an invariant violated in 2 steps: found before any timeout, and kept."""

    @invariant
    def stays_small(sys):
        return sys.value < 2


class Sleeper(Process):
    @action
    def doze(self, sys):
        import multiprocessing
        import threading
        import time

        # in `prove`'s engines only (its engine processes, and the engine thread it runs in its
        # own process), so that these (and not the command itself, nor a gate worker's main
        # thread) wait: blocked without burning a core, until they are killed
        engine = multiprocessing.current_process().name, threading.current_thread().name
        if any(name.startswith("raceproof-") for name in engine):
            time.sleep(3600)
        sys.value = sys.value + 1


class Sleepy(Model):
    """For the process tests: the engine processes that run ``doze`` wait, so they stay up."""

    shared = Counter()
    sleeper = Sleeper()

    @invariant
    def never_negative(sys):
        return sys.value >= 0

    @invariant
    def never_far(sys):
        # true for ~10**9 steps: PDR works on it (CPU-bound) while the engine processes doze,
        # so the command stays up (its encoding is built, without dozing, in the main thread)
        return sys.value != 10**9
