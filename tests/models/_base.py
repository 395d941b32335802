"""Shared parts of the deliberately broken models (bad_*.py): a flag, a bounded counter."""

from __future__ import annotations

from checker import Bool, Int, Model, Param, Process, Set, Store, invariant


class Shared(Store):
    count = Int(init=0, min=0, max=2)
    items = Set(Int(min=0, max=3))


class Base(Model):
    """A model whose only property is trivially true; the broken part is an action."""

    divisor = Param(0, min=0, help="0 makes the division in bad_zero fail")
    shared = Shared()

    @invariant
    def count_small(sys):
        return sys.count <= 2


class FlagProcess(Process):
    on = Bool()


__all__ = ["Base", "FlagProcess", "Shared"]
