"""`raceproof conform`: the model tests the implementation (Hypothesis stateful testing).

A `RuleBasedStateMachine` is built from the model: one rule per transition (``enactor2.apply``),
whose precondition is the transition's enabledness in the model's current state. Each rule
fires the transition in the model and performs the same step on the implementation through
the adapter, then compares the two states through the adapter's mapping. One more rule picks a
transition the model does *not* allow and checks that the implementation refuses it too.
Hypothesis explores sequences (seeded: the same seed runs the same sequences), and shrinks any
divergence to a minimal sequence of steps, which is what the report shows.

With several initial states, the implementation starts in one of them, and the variables the
adapter does not observe (mapped to None) may not tell which: the machine keeps every model
state consistent with what was observed so far (as `validate` does with a log), and a
divergence is reported only when none is. A step is tried when some of them enable it; the
implementation refusing it keeps those that do not; a step the implementation must refuse is
one that none of them enables.

From pytest: ``lockstep_machine(session)`` is the state machine class (``.TestCase`` runs it),
or `check_conformance` runs it and returns a `ConformResult`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..lang.model import ModelInstance, Transition
from ..lang.runtime import fire
from .adapter import AdapterFailure
from .adapter import compare as compare_states
from .session import Observed, Session, running


class Divergence(AssertionError):
    """The implementation and the model disagree after a step (or on whether it can happen)."""


@dataclass
class Run:
    """The steps of one Hypothesis example, as far as it got."""

    steps: list[str] = field(default_factory=list)
    message: str = ""
    observed: Observed | None = None
    model_values: dict[str, Any] = field(default_factory=dict)
    #: Hypothesis could not make it fail again: the divergence was seen, its minimality is not known
    flaky: bool = False


@dataclass
class ConformResult:
    model: ModelInstance
    examples: int
    steps: int
    seed: int
    divergence: Run | None = None  # the shrunk failing sequence, if one was found

    @property
    def conforms(self) -> bool:
        return self.divergence is None


def _rule_name(t: Transition) -> str:
    return re.sub(r"\W+", "_", f"{t.instance.name}_{t.label}").strip("_")


def lockstep_machine(session: Session, record: list[Run] | None = None) -> type:
    """The Hypothesis state machine driving ``session``'s model and implementation in lockstep.

    ``record`` collects every example that diverged; Hypothesis runs the shrunk one last.
    """
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

    model = session.model
    failures = record if record is not None else []

    def fail(self: Any, message: str, seen: Observed | None) -> None:
        self.run.message = message
        self.run.observed = seen
        values = model.describe_state(self.state)  # the compared variables: the others are not the code's
        self.run.model_values = {k: v for k, v in values.items() if session.mapping.get(k) is not None}
        failures.append(self.run)
        raise Divergence(message)

    def narrow(self: Any, where: str, states: list[tuple[Any, ...]]) -> None:
        """Keep the ``states`` the implementation's observed state agrees with; none: a divergence
        (reported against the first of them)."""
        states = list(dict.fromkeys(states))
        seen = session.observe(states[0])  # one observation, compared with each candidate
        agreeing = [s for s in states if not seen.problems and not compare_states(model, s, seen.obs, session.mapping)]
        self.state = states[0]
        if not agreeing:
            parts = [f"{m.var}: model {m.model!r}, implementation {m.real!r}" for m in seen.mismatches]
            fail(self, f"{where}: " + "; ".join(parts + seen.problems), seen)
        self.states = agreeing
        self.state = agreeing[0]  # (reported on a later divergence)

    def init(self: Any) -> None:
        RuleBasedStateMachine.__init__(self)
        self.run = Run()
        session.reset()
        narrow(self, "initial state", list(model.inits))

    def make_rule(t: Transition) -> Any:
        def step(self: Any) -> None:
            after = {i: nxt for i, s in enumerate(self.states) if (nxt := fire(model, t, s)) is not None}
            assert after  # the precondition
            self.run.steps.append(str(t))
            outcome = session.step(t)
            if outcome.fired:
                narrow(self, f"after step {len(self.run.steps)} ({t})", list(after.values()))
                return
            refusing = [s for i, s in enumerate(self.states) if i not in after]
            if not refusing:
                fail(
                    self,
                    f"step {len(self.run.steps)} ({t}): the model takes it, the implementation did not "
                    f"({outcome.detail})",
                    None,
                )
            narrow(self, f"after refusing step {len(self.run.steps)} ({t})", refusing)

        step.__name__ = _rule_name(t)
        return precondition(lambda self: any(fire(model, t, s) is not None for s in self.states))(rule()(step))

    free = set(getattr(session.adapter, "environment_actions", ()) or ())

    def refused(self: Any, data: Any) -> None:
        # An environment action (the Planner's) is enabled whenever the environment calls it:
        # the model bounds it (max_plans) only to stay finite, so its refusal is not expected.
        # (Drawn from the disabled steps, not filtered with assume: that would discard the example.)
        disabled = [
            t
            for t in model.transitions
            if t.action.name not in free and all(fire(model, t, s) is None for s in self.states)
        ]
        if not disabled:
            return
        t = data.draw(st.sampled_from(disabled), label="disabled step")
        outcome = session.step(t)
        if outcome.fired:
            self.run.steps.append(str(t))
            fail(
                self,
                f"step {len(self.run.steps)} ({t}): the model cannot take it here, the implementation did "
                f"({outcome.detail})",
                None,
            )
        narrow(self, f"after refusing {t}", self.states)

    namespace: dict[str, Any] = {"__init__": init}
    for t in model.transitions:
        namespace[_rule_name(t)] = make_rule(t)
    namespace["not_enabled"] = rule(data=st.data())(refused)
    return type(f"Lockstep{model.model.__name__}", (RuleBasedStateMachine,), namespace)


def check_conformance(session: Session, max_examples: int = 50, seed: int = 0, steps: int = 30) -> ConformResult:
    """Run the lockstep machine; the result holds the shrunk divergence, if any."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import seed as use_seed
    from hypothesis.errors import Flaky
    from hypothesis.reporting import with_reporter
    from hypothesis.stateful import run_state_machine_as_test

    record: list[Run] = []
    machine = use_seed(seed)(lockstep_machine(session, record))
    config = settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        # no `explain` phase: it traces every line the implementation runs (many times slower)
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )
    result = ConformResult(session.model, max_examples, steps, seed)
    with running(session), with_reporter(lambda _text: None):
        try:
            run_state_machine_as_test(machine, settings=config)
        except Divergence:
            result.divergence = record[-1]
        except AdapterFailure:
            raise
        except BaseExceptionGroup as group:  # several failures, or a flaky one: an adapter failure wins
            failure = next((e for e in _leaves(group) if isinstance(e, AdapterFailure)), None)
            if failure is not None:
                raise failure from None
            if not record:
                raise
            result.divergence = record[-1]
            result.divergence.flaky = isinstance(group, Flaky)
    return result


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for e in group.exceptions:
        out.extend(_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])
    return out


def assert_conforms(
    spec: str,
    adapter: str,
    options: dict[str, str] | None = None,
    max_examples: int = 50,
    seed: int = 0,
    steps: int = 30,
) -> ConformResult:
    """For a project's own pytest suite: `raceproof conform` as one call that raises
    AssertionError (with the shrunk sequence and both states) on a divergence."""
    from ..spec import load_spec
    from .adapter import load_adapter
    from .text import conform_text

    session = Session(load_spec(spec).build(), load_adapter(adapter), adapter, dict(options or {}))
    result = check_conformance(session, max_examples, seed, steps)
    if not result.conforms:
        raise AssertionError(conform_text(result, spec, adapter))
    return result
