"""Watching model code for what could differ with the number of replicas.

`checker.param.template` runs the actions and properties of a two-replica instance with
these in place: the parameters record reads of the replica count, ``sys.<component>``
records lookups of the replicas themselves, and a replica as ``self`` records reads of its
number and name. Each record names the model line (`where`).
"""

from __future__ import annotations

import linecache
import sys
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from ..errors import ModelError, error_at_caller
from ..lang.model import Instance, Transition


def where() -> str:
    """The model line running now (the caller of the watched view), for a refusal's reason."""
    return error_at_caller(ModelError, "").where() or "model code"


class Log(list[str]):
    def note(self, what: str) -> None:
        at = where()
        self.append(f"{at} {what}{_code(at)}")

    def summary(self) -> str:
        """The first record, the other model lines recorded, and what a count over the replicas means."""
        first = self[0]
        here = first.split(" ", 1)[0]
        lines = [at for at in dict.fromkeys(r.split(" ", 1)[0] for r in self[1:]) if at != here]
        if lines:
            first += f" (also at {', '.join(lines[:4])}{', ...' if len(lines) > 4 else ''})"
        if any("sum(" in r for r in self):
            first += (
                "; a sum over the replicas is a count, which has no reading over a replica sort of unknown size "
                "(a ghost counter would be sound only if every step changed one replica's term of the sum; a step "
                "that changes every replica at once, like a clock tick, breaks it)"
            )
        return first


def _code(at: str) -> str:
    """The model line itself (a refusal shows what the code does there: ``sum(... for w in sys.worker)``)."""
    file, _, line = at.rpartition(":")
    text = linecache.getline(file, int(line)).strip() if line.isdigit() else ""
    return f" [{text[:120]}]" if text else ""


def watched_params(values: dict[str, Any], name: str, log: Log) -> SimpleNamespace:
    """The parameters, recording each read of ``name`` (the replica count)."""

    class WatchedParams(SimpleNamespace):
        def __getattribute__(self, attr: str) -> Any:
            if attr == name and not _naming_replicas():
                log.note(f"reads the parameter '{name}'")
            return super().__getattribute__(attr)

    return WatchedParams(**values)


def _naming_replicas() -> bool:
    """The count or a replica's number is read to name the replicas (a `Ref` sort, an action
    domain over replicas, ``self.ref``): the use of them that `checker.param.keyed` reads."""
    from ..lang.ref_views import ref_of
    from ..lang.refs import replica_names

    codes = (replica_names.__code__, ref_of.__code__)
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


class WatchedMembers(dict[str, Any]):
    """`checker.lang.views._members` of the model: records ``sys.<component>`` lookups of the replicas."""

    def __init__(self, found: dict[str, Any], attr: str, log: Log):
        super().__init__(found)
        self.attr, self.log = attr, log
        #: while properties are read: ``sys.<replicas>`` is replica 1 alone (the property is
        #: then read for every replica, a reading `checker.param.sizes` checks at every count)
        self.quantify = False
        self.iterated: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key == self.attr and self.quantify:
            self.iterated.append(where())
            return super().get(key, default)[:1]
        if key == self.attr:
            self.log.note(f"reads sys.{key} (the replicas themselves)")
        return super().get(key, default)


class WatchedInstance:
    """A replica as ``self`` sees it: reading its number or its name is recorded."""

    def __init__(self, real: Instance, log: Log):
        self._real, self._log = real, log

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._real, attr)

    @property
    def id(self) -> int | None:
        if not _naming_replicas():
            self._log.note("reads self.id")
        return self._real.id

    @property
    def name(self) -> str:
        if not _naming_replicas():
            self._log.note("reads self.name")
        return self._real.name


@dataclass
class Step(Transition):
    shown: str = ""

    def __str__(self) -> str:  # error messages name the step without reading the watched name
        return self.shown


def changes_every_replica(enc: Any, attr: str) -> list[str]:
    """The steps that change both replicas' state at once (a clock tick): named in a refusal."""
    import z3

    flat = enc.flat(enc.x)
    out = []
    for t, step in enc.fired:
        changed = {c.decl().name().split(".", 1)[0] for c, v in zip(flat, enc.flat(step.next), strict=True)
                   if not z3.eq(c, v)}  # fmt: skip
        if {f"{attr}1", f"{attr}2"} <= changed:
            out.append(f"{t.instance.name}.{t.action.name}")
    return sorted(set(out))
