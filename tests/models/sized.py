"""Sizes set by parameters, with no upper bound of their own: the domain-size guard's cases.

``workers`` instances of a process, an array of ``slots`` booleans, a map from 1..``keys``
and a set over 1..``top``. The defaults are small; a hostile spec makes any of them huge.
"""

from __future__ import annotations

from checker import Array, Bool, Int, Map, Model, Param, Process, Set, Store, action, invariant, require


class Shared(Store):
    flags = Array(Bool(), size="slots", init=False)
    owner = Map(Int(min=1, max="keys"), Int(min=0), init=0)
    seen = Set(Int(min=1, max="top"), init={1})


class Worker(Process):
    done = Bool()

    @action
    def finish(self, sys):
        require(~self.done)
        self.done = True


class Sized(Model):
    workers = Param(1, min=1, help="number of workers (no upper bound)")
    slots = Param(2, min=0, help="array length (no upper bound)")
    keys = Param(2, min=1, help="map keys 1..keys (no upper bound)")
    top = Param(2, min=1, help="set elements 1..top (no upper bound)")
    shared = Shared()
    worker = Worker(count="workers")

    @invariant
    def seen_nonempty(sys):
        return sys.seen.contains(1)
