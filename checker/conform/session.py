"""One driven implementation: the adapter built, checked against the model, started and stopped.

Shared by `replay` and `conform`: both step the model and the implementation in lockstep and
compare their states through the adapter's declared mapping after every step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..lang.model import ModelInstance, Transition
from ..lang.runtime import CONCRETE, Frame, evaluate_in
from .adapter import AdapterError, AdapterFailure, Mismatch, StepOutcome, call, check_mapping, compare, observe


@dataclass
class Observed:
    """The implementation's state after a step, and how it compares with the model's."""

    obs: dict[str, Any]
    text: str
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return not self.mismatches and not self.problems


class Session:
    """The adapter of one run, with the model it is compared against."""

    def __init__(self, model: ModelInstance, adapter_cls: type, ref: str, options: dict[str, str]):
        self.model = model
        self.ref = ref
        declared = getattr(adapter_cls, "model_ref", None)
        actual = f"{model.model.__module__}:{model.model.__qualname__}"
        if declared and declared != actual:
            raise AdapterError(f"adapter '{ref}' is for model '{declared}', not '{actual}'")
        try:
            self.adapter = adapter_cls(model.param_dict(), dict(options))
        except Exception as exc:  # e.g. parameters the implementation does not support
            raise AdapterError(f"adapter '{ref}' refused the model's parameters: {type(exc).__name__}: {exc}") from None
        self.mapping = check_mapping(model, self.adapter, ref)

    def start(self) -> None:
        call(self.adapter, "start()", self.adapter.start)

    def stop(self) -> None:
        stop = getattr(self.adapter, "stop", None)
        if callable(stop):
            try:
                stop()
            except Exception:  # noqa: BLE001 - stopping must not hide the run's own outcome
                pass

    def reset(self) -> None:
        call(self.adapter, "reset()", self.adapter.reset)

    def step(self, t: Transition) -> StepOutcome:
        action = t.action.name
        result = call(
            self.adapter, f"step({t.instance.name}, {action})", self.adapter.step, t.instance.name, action, dict(t.args)
        )
        if isinstance(result, bool):
            return StepOutcome(result)
        if not isinstance(result, StepOutcome) and not hasattr(result, "fired"):
            raise AdapterFailure(f"step({t.instance.name}, {action}) returned {result!r}, not a StepOutcome")
        return StepOutcome(bool(result.fired), str(getattr(result, "detail", "")))

    def observe(self, state: tuple[Any, ...]) -> Observed:
        obs = observe(self.adapter, self.mapping)
        describe = getattr(self.adapter, "describe", None)
        text = call(self.adapter, "describe()", describe, obs) if callable(describe) else ""
        problems = getattr(self.adapter, "problems", None)
        found = call(self.adapter, "problems()", problems, obs) if callable(problems) else []
        return Observed(obs, str(text), compare(self.model, state, obs, self.mapping), list(found or []))

    def evidence(self, prop: str, obs: dict[str, Any]) -> str | None:
        fn = getattr(self.adapter, "evidence", None)
        return call(self.adapter, "evidence()", fn, prop, obs) if callable(fn) else None

    def summary(self, obs: dict[str, Any]) -> str | None:
        fn = getattr(self.adapter, "summary", None)
        return call(self.adapter, "summary()", fn, obs) if callable(fn) else None

    def reads(self, prop: str, *states: tuple[Any, ...]) -> list[str]:
        """The model variables the property reads in these states, in model order."""
        frames = [Frame(self.model, CONCRETE, list(s), writable=False, reads=[]) for s in states]
        evaluate_in(self.model, prop, frames)
        names = {self.model.slots[slot].var.name for f in frames for slot in f.reads or []}
        return [v.name for v in self.model.vars if v.name in names]

    def unmapped_reads(self, prop: str, *states: tuple[Any, ...]) -> list[str]:
        """The unmapped variables the property reads: a verdict on real state must not rest on them."""
        return [n for n in self.reads(prop, *states) if self.mapping.get(n) is None]


@contextmanager
def running(session: Session) -> Iterator[Session]:
    session.start()
    try:
        yield session
    finally:
        session.stop()
