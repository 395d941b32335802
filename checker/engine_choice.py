"""Which engine checks a spec's properties: the one asked for (command line, options, spec)
and, for ``auto``, exhaustive explicit search on a finite instance, else BMC to the bound."""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from .encoding import Encoding
from .lang.model import ModelInstance
from .spec import Spec


@dataclass
class EngineChoice:
    engine: str  # "explicit" or "bmc"
    why: str
    #: the symbolic encoding built to decide (None if the sorts decided alone): the engine that
    #: runs next on the same model instance reuses it instead of building it again
    encoding: Encoding | None = field(default=None, repr=False, compare=False)


def unbounded_state(model: ModelInstance, encoding: Encoding | None = None) -> list[str]:
    """The state variables (slots) that make the instance infinite: an unbounded sort that
    some action writes. Decided from the model's sorts and its actions' writes (a slot no
    action writes keeps its initial value), never from the spec: an empty list means every
    reachable state is drawn from finitely many, so breadth-first search ends."""
    return _unbounded_state(model, encoding)[0]


def _unbounded_state(model: ModelInstance, encoding: Encoding | None = None) -> tuple[list[str], Encoding | None]:
    """`unbounded_state`, and the encoding it built or was given (None if the sorts decided)."""
    unbounded = [i for i, slot in enumerate(model.slots) if not getattr(slot.sort, "finite", True)]
    if not unbounded:
        return [], encoding
    enc = encoding or Encoding(model)

    def written(i: int) -> bool:
        cur = enc.x[i]
        for _, step in enc.fired:
            nxt = step.next[i]
            if isinstance(cur, tuple):  # an unbounded int set held as an interval: (lo, hi)
                if not all(z3.eq(a, b) for a, b in zip(nxt, cur, strict=True)):
                    return True
            elif not z3.eq(nxt, cur):
                return True
        return False

    return [f"{model.slots[i].name} ({model.slots[i].sort.describe()})" for i in unbounded if written(i)], enc


def choose_engine(model: ModelInstance, requested: str, depth: int) -> EngineChoice:
    """The engine for properties that are not proved and not graph properties.

    ``auto``: exhaustive explicit search when the instance is finite (a complete answer,
    shortest traces, and fast on deep traces), BMC to ``depth`` when it is not. A requested
    engine is run as asked, with a note where it cannot give a complete answer."""
    if requested == "bmc":
        return EngineChoice("bmc", f"bmc (requested): behaviours of up to {depth} steps (a bounded answer)")
    infinite, enc = _unbounded_state(model)
    shown = ", ".join(infinite[:3]) + (f" and {len(infinite) - 3} more" if len(infinite) > 3 else "")
    if requested == "explicit":
        if infinite:
            return EngineChoice(
                "explicit", f"explicit (requested): unbounded state {shown}; the search ends only if finitely "
                "many states are reachable (else at max_states or the timeout, inconclusive)", enc
            )  # fmt: skip
        return EngineChoice("explicit", "explicit (requested): exhaustive search of this finite instance", enc)
    if infinite:
        return EngineChoice("bmc", f"bmc (auto): unbounded state {shown}; behaviours of up to {depth} steps", enc)
    return EngineChoice("explicit", "explicit (auto): every state variable is bounded: exhaustive search", enc)


def requested_engine(spec: Spec, engine: str | None, max_states: int | None, max_counterexamples: int = 1) -> str:
    """The engine asked for: ``engine`` (the command line's), else the one an engine-specific
    option implies on a spec whose engine is auto (``--max-states``: an explicit search;
    ``--max-counterexamples`` N > 1: BMC), else the spec's."""
    if engine is not None:
        return engine
    if spec.engine == "auto" and max_states is not None:
        return "explicit"
    if spec.engine == "auto" and max_counterexamples > 1:
        return "bmc"
    return spec.engine
