"""A write outside a variable's declared range: a model error exactly on a step that fires.

The rule (README, "Writing a model"; `checker.lang.runtime.Frame.check_range`): a step is one
atomic transition, and a step whose guard fails has no successor, so nothing it wrote is
ever a state. A `require` after the write decides, as everywhere, on the values as the
action has made them, the out-of-range one included: ``self.x = self.x + 1`` then
``require(self.x <= 3)`` is disabled at ``x == 3``, not an error. Every engine and the
concrete replay must agree on that, and on the error when the step does fire.
"""

from __future__ import annotations

from typing import Any

import pytest

from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.prove import prove
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.lang.runtime import fire
from checker.results import Verdict

MODEL = """
from checker import Array, Int, Model, Process, Store, action, invariant, require

class P(Process):
    x = Int(init=0, min=0, max=3)
    z = Int(init=0, min=0, max=3)

    @action
    def advance(self, sys):
        require(self.x < 3)
        self.x = self.x + 1
{action}

class S(Store):
    cells = Array(Int(min=0, max=3), size=2, init=0)

class Regression(Model):
    p = P()
    s = S()

    @invariant
    def in_range(sys):
        return (sys.p.x <= 3) & (sys.p.z <= 3)
"""

#: each writes outside 0..3 where x == 3 (or below 0 where x == 0), then a `require` fails there
WRITE_THEN_DISABLED = {
    "above_max_read_back": """
    @action
    def act(self, sys):
        self.z = self.x + 1  # 4 at x == 3 ...
        require(self.z <= 3)  # ... and the guard reads it: disabled there
""",
    "below_min_read_back": """
    @action
    def act(self, sys):
        self.z = self.x - 1  # -1 at x == 0 ...
        require(self.z >= 0)  # ... disabled there
""",
    "array_element_read_back": """
    @action
    def act(self, sys):
        sys.cells[1] = self.x + 1  # 4 at x == 3 ...
        require(sys.cells[1] <= 3)  # ... disabled there
""",
    "guard_not_reading_it": """
    @action
    def act(self, sys):
        self.z = self.x + 1  # 4 at x == 3: a dead write ...
        require(self.x < 3)  # ... in a step this guard disables
""",
}


def build(source: str) -> ModelInstance:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<range model>", "exec"), namespace)  # noqa: S102
    return namespace["Regression"].build()


def the_act(model: ModelInstance):
    return next(t for t in model.transitions if t.action.name == "act")


@pytest.mark.parametrize("case", list(WRITE_THEN_DISABLED))
def test_out_of_range_write_in_a_step_that_does_not_fire_is_no_error(case: str) -> None:
    source = MODEL.format(action=WRITE_THEN_DISABLED[case])
    model = build(source)
    act = the_act(model)
    x = next(i for i, s in enumerate(model.slots) if s.name == "p.x")
    # replay: at the out-of-range point the step is disabled (no error), elsewhere it fires
    edge = 0 if "below_min" in case else 3
    at_edge = tuple(edge if i == x else v for i, v in enumerate(model.init))
    assert fire(model, act, at_edge) is None
    inside = 1 if "below_min" in case else 2
    assert fire(model, act, tuple(inside if i == x else v for i, v in enumerate(model.init))) is not None
    counts = set()
    for backend in ("numpy", "python"):
        (r,) = run_explicit(build(source), ["in_range"], backend=backend, symmetry=False)
        assert r.verdict is Verdict.HOLDS, (backend, r.reason)
        assert r.extra["coverage"]["fired"].get("p.act"), backend  # it fires where in range
        counts.add(r.extra["states"])
    assert len(counts) == 1
    (r,) = run_bmc(build(source), ["in_range"], 6)
    assert r.verdict is Verdict.HOLDS
    (r,) = prove(build(source), ["in_range"], "kind", timeout=30)
    assert r.verdict is Verdict.PROVED, r.reason


@pytest.mark.parametrize("case", list(WRITE_THEN_DISABLED))
def test_out_of_range_write_in_a_step_that_fires_is_an_error_at_its_line(case: str) -> None:
    """The same steps without their guard: every engine and the replay report the model error."""
    action = "\n".join(line for line in WRITE_THEN_DISABLED[case].splitlines() if "require" not in line)
    source = MODEL.format(action=action)
    model = build(source)
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if "..." in text)
    edge = 0 if "below_min" in case else 3
    x = next(i for i, s in enumerate(model.slots) if s.name == "p.x")
    with pytest.raises(ModelError, match="leaves that range") as replayed:
        fire(model, the_act(model), tuple(edge if i == x else v for i, v in enumerate(model.init)))
    assert replayed.value.line == line
    for backend in ("numpy", "python"):
        with pytest.raises(ModelError, match="leaves that range") as found:
            run_explicit(build(source), ["in_range"], backend=backend, symmetry=False)
        assert found.value.line == line, backend
    with pytest.raises(ModelError, match="leaves that range") as found:
        run_bmc(build(source), ["in_range"], 6)
    assert found.value.line == line
