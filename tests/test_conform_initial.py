"""`conform` (Hypothesis lockstep testing) on models with several initial states
(`Int(init=range(..))`, `Int(init={..})`): the implementation may start in any of them, and one
that starts elsewhere, or steps wrongly from one of them, is caught. In-memory implementations:
no servers needed."""

from __future__ import annotations

from typing import Any

import pytest

from checker.conform.adapter import Adapter, StepOutcome
from checker.conform.conform import ConformResult, check_conformance
from checker.conform.session import Session
from tests.conftest import run_cli
from tests.models.initial_states import HiddenStart, RangeStart


class CounterAdapter(Adapter):
    """RangeStart's counter as running code: starts at ``--adapter-option start=N``; with
    ``jump=N`` it increments by 2 from N (a bug only reachable from some initial states)."""

    mapping = {"x": "x"}

    def reset(self) -> None:
        self.x = int(self.options.get("start", "0"))

    def step(self, instance: str, action: str, args: dict[str, Any]) -> StepOutcome:
        if self.x >= 4:
            return StepOutcome(False, "already at 4")
        self.x += 2 if str(self.x) == self.options.get("jump") else 1
        return StepOutcome(True)

    def observe(self) -> dict[str, Any]:
        return {"x": self.x}


class DialAdapter(Adapter):
    """HiddenStart's dial: how far it turns (``step_by``) is not observable."""

    mapping = {"shown": "shown", "step_by": None}

    def reset(self) -> None:
        self.shown, self.step_by = 0, int(self.options.get("step_by", "1"))

    def step(self, instance: str, action: str, args: dict[str, Any]) -> StepOutcome:
        if self.shown + self.step_by > 3:
            return StepOutcome(False, "at the end")
        self.shown += self.step_by
        return StepOutcome(True)

    def observe(self) -> dict[str, Any]:
        return {"shown": self.shown}


def conform(model: Any, adapter: type, **options: str) -> ConformResult:
    session = Session(model.build(), adapter, f"{__name__}:{adapter.__name__}", options)
    return check_conformance(session, max_examples=30, seed=1, steps=8)


@pytest.mark.parametrize("start", ["0", "1", "2"])
def test_an_implementation_starting_in_any_initial_state_conforms(start: str) -> None:
    assert conform(RangeStart, CounterAdapter, start=start).conforms


def test_an_implementation_starting_outside_the_initial_states_diverges_at_once() -> None:
    result = conform(RangeStart, CounterAdapter, start="3")
    assert result.divergence is not None and result.divergence.steps == []
    assert result.divergence.message == "initial state: x: model 0, implementation 3"


def test_a_wrong_step_from_one_initial_state_is_found_and_shrunk() -> None:
    result = conform(RangeStart, CounterAdapter, start="1", jump="1")
    assert result.divergence is not None
    assert result.divergence.steps == ["counter.inc"]
    assert result.divergence.message == "after step 1 (counter.inc): x: model 2, implementation 3"


@pytest.mark.parametrize("step_by", ["1", "2"])
def test_initial_states_that_look_alike_are_all_kept_until_a_step_tells_them_apart(step_by: str) -> None:
    # both initial states show 0: taking the first would call the step_by=2 dial divergent
    assert conform(HiddenStart, DialAdapter, step_by=step_by).conforms


def test_a_dial_that_no_initial_state_explains_diverges() -> None:
    result = conform(HiddenStart, DialAdapter, step_by="3")  # shows 3 after one turn: neither 1 nor 2
    assert result.divergence is not None and result.divergence.steps == ["dial.turn"]
    assert result.divergence.message.startswith("after step 1 (dial.turn): shown: model 1, implementation 3")


def test_the_cli_runs_conform_with_several_initial_states(tmp_path: Any) -> None:
    spec = tmp_path / "range.toml"
    spec.write_text('model = "tests.models.initial_states:RangeStart"\n[check]\ndepth = 5\n')
    adapter = f"{__name__}:CounterAdapter"
    ok = run_cli("conform", str(spec), "--adapter", adapter, "--adapter-option", "start=2", "--max-examples", "10")
    assert ok.exit_code == 0, ok.output
    bad = run_cli("conform", str(spec), "--adapter", adapter, "--adapter-option", "start=5", "--max-examples", "10")
    assert bad.exit_code == 1 and "initial state: x: model 0, implementation 5" in bad.stdout, bad.output
