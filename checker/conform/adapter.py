"""The adapter protocol: how raceproof drives and observes an implementation.

An adapter is a class, named on the command line as ``module:Class``. It is built with the
model's parameters and the ``--adapter-option`` pairs, then:

- ``start()`` brings up what the implementation needs (servers, databases); ``stop()`` ends it.
- ``reset()`` puts the implementation in the state the model starts in.
- ``step(instance, action, args)`` performs one model step (``enactor2``, ``apply``) on the
  real implementation and returns a `StepOutcome` (did it happen; what it did, in words).
- ``observe()`` reads the real state: ``{observation name: value}``.
- ``mapping`` declares, for every model variable, the observation that shows it (or None:
  the implementation has no counterpart, and the variable is not compared). A model variable
  missing from the mapping is bad input: silence is never taken for agreement.
- ``evidence(property, observation)`` (optional) says in the implementation's own terms
  what a violated property looks like there ("the regional endpoint has no records").
- ``summary(observation)`` (optional) says in those terms how the real final state looks
  when the property holds ("the regional endpoint answers A 10.0.4.1, 10.0.4.2").
- ``problems(observation)`` (optional) lists inconsistencies the mapping cannot express.
- ``environment_actions`` (optional) names actions the environment calls at will.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import RaceproofError
from ..lang.model import ModelInstance
from ..lang.seqdecl import slot_values


class AdapterError(RaceproofError):
    """The adapter reference or its declarations are wrong (bad input: exit 2)."""


class AdapterFailure(Exception):
    """The implementation could not be driven or observed (a server down, the adapter raised):
    no verdict (exit 3)."""


@dataclass
class StepOutcome:
    fired: bool  # the step happened (False: the implementation found it not enabled)
    detail: str = ""


class Adapter:
    """Base class for adapters (subclassing it is optional: the methods are the protocol)."""

    #: model variable -> observation name, or None when the implementation has no counterpart
    mapping: dict[str, str | None] = {}
    #: actions the environment calls at will (a Planner): the model may bound them to stay
    #: finite, so `conform` does not expect the implementation to refuse them
    environment_actions: frozenset[str] = frozenset()

    def __init__(self, params: dict[str, Any], options: dict[str, str]):
        self.params = params
        self.options = options

    def start(self) -> None:
        """Start what the implementation needs."""

    def stop(self) -> None:
        """Stop what `start` started."""

    # the three methods every adapter defines (calling a missing one is an adapter failure: no verdict)
    def reset(self) -> None:
        """Bring the implementation to the model's initial state."""
        raise NotImplementedError(f"{type(self).__name__} must define reset()")

    def step(self, instance: str, action: str, args: dict[str, Any]) -> StepOutcome:
        """Run one model step (``instance``'s ``action`` with ``args``) on the implementation."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def observe(self) -> dict[str, Any]:
        """The implementation's state, by observation name (see `mapping`)."""
        raise NotImplementedError(f"{type(self).__name__} must define observe()")

    def evidence(self, prop: str, observation: dict[str, Any]) -> str | None:
        return None

    def summary(self, observation: dict[str, Any]) -> str | None:
        return None

    def problems(self, observation: dict[str, Any]) -> list[str]:
        return []


def load_adapter(ref: str) -> type[Adapter]:
    """The class ``module:Class``; the current directory is importable (like ``python -m``)."""
    module_name, sep, class_name = ref.partition(":")
    if not sep or not module_name or not class_name:
        raise AdapterError(f"--adapter '{ref}' must be MODULE:CLASS (e.g. examples.dns_service.conformance:DnsAdapter)")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise AdapterError(f"--adapter '{ref}': cannot import module '{module_name}' ({exc})") from None
    except Exception as exc:  # the adapter's module itself is broken
        raise AdapterError(f"--adapter '{ref}': importing '{module_name}' raised {type(exc).__name__}: {exc}") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise AdapterError(f"--adapter '{ref}': module '{module_name}' has no class '{class_name}'")
    for method in ("reset", "step", "observe"):
        if not callable(getattr(cls, method, None)):
            raise AdapterError(f"--adapter '{ref}': class '{class_name}' has no method '{method}'")
    return cls


def parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AdapterError(f"--adapter-option '{pair}' must be KEY=VALUE")
        options[key] = value
    return options


def check_mapping(model: ModelInstance, adapter: Any, ref: str) -> dict[str, str | None]:
    """The adapter's mapping, after checking it covers exactly the model's variables."""
    mapping = getattr(adapter, "mapping", None)
    if not isinstance(mapping, dict):
        raise AdapterError(f"adapter '{ref}' declares no mapping (a dict: model variable -> observation or None)")
    names = [v.name for v in model.vars]
    missing = [n for n in names if n not in mapping]
    if missing:
        raise AdapterError(
            f"adapter '{ref}': the mapping does not say how to observe model variable '{missing[0]}'"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; map it to an observation, or to None if the implementation has no counterpart"
        )
    unknown = [n for n in mapping if n not in model.var_by_name]
    if unknown:
        raise AdapterError(f"adapter '{ref}': the mapping names '{unknown[0]}', which is not a variable of the model")
    return mapping


def call(adapter: Any, what: str, fn: Any, *args: Any) -> Any:
    """Call into the adapter; anything it raises becomes an `AdapterFailure` naming the call."""
    try:
        return fn(*args)
    except (AdapterError, AdapterFailure):
        raise
    except Exception as exc:
        raise AdapterFailure(f"the adapter raised {type(exc).__name__} in {what}: {exc}") from exc


def observe(adapter: Any, mapping: dict[str, str | None]) -> dict[str, Any]:
    obs = call(adapter, "observe()", adapter.observe)
    if not isinstance(obs, dict):
        raise AdapterFailure(f"observe() returned {type(obs).__name__}, not a dict")
    absent = sorted({o for o in mapping.values() if o is not None and o not in obs})
    if absent:
        raise AdapterFailure(f"observe() has no observation '{absent[0]}' that the mapping names")
    return obs


@dataclass
class Mismatch:
    var: str
    model: Any
    real: Any


def _norm(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def compare(
    model: ModelInstance, state: tuple[Any, ...], obs: dict[str, Any], mapping: dict[str, str | None]
) -> list[Mismatch]:
    """The mapped variables whose real value differs from the model's."""
    values = model.describe_state(state)
    out = []
    for var in model.vars:
        key = mapping[var.name]
        if key is None:
            continue
        if _norm(values[var.name]) != _norm(obs[key]):
            out.append(Mismatch(var.name, values[var.name], _norm(obs[key])))
    return out


def observed_state(
    model: ModelInstance, state: tuple[Any, ...], obs: dict[str, Any], mapping: dict[str, str | None]
) -> tuple[Any, ...] | None:
    """``state`` with every mapped variable replaced by its real value (None if one does not fit)."""
    out = list(state)
    for var in model.vars:
        key = mapping[var.name]
        if key is None:
            continue
        value = obs[key]
        if var.shape == "set":
            out[var.slots.start] = frozenset(value)
        elif var.shape == "seq":  # its elements, padded, then its length (see checker.lang.seqdecl)
            laid_out = slot_values(var.sort, var.slots, list(value))  # type: ignore[arg-type]
            if laid_out is None:
                return None
            for slot, v in zip(var.slots, laid_out, strict=True):
                out[slot] = v
        elif var.shape in ("array", "map"):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            if len(items) != len(var.slots):
                return None
            for slot, v in zip(var.slots, items, strict=True):
                out[slot] = v
        else:
            out[var.slots.start] = value
    return tuple(out)
