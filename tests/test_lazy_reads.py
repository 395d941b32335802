"""Guarded reads (`checker.lang.lazy`): ``implies``, ``ite``, ``&`` and ``|`` do not need an
operand where the other one decides, so a key outside an array read there is no error; an
out-of-range read whose value matters is still a model error at its line, in every engine.

The model: ``current`` counts 0..3 and ``deleted`` has the keys 0..2, so ``deleted[current]``
is undefined exactly at ``current == 3`` (reached in 3 steps).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from checker.engines.bmc import run_bmc
from checker.engines.explicit import run_explicit
from checker.engines.prove import prove
from checker.errors import ModelError
from checker.lang.model import ModelInstance
from checker.results import Verdict
from tests.conftest import assert_located, make_project, run_script

MODEL = """
from checker import Model, Process, Store, Int, Bool, Array, action, action_invariant, require, invariant
from checker import implies, ite, when

class S(Store):
    current = Int(init=0, min=0, max=3)
    deleted = Array(Bool(), size=3, init=False)
    seen = Int(init=0, min=0, max=1)

class P(Process):
    @action
    def bump(self, sys):
        require(sys.current < 3)
        sys.current = sys.current + 1
{action}

class M(Model):
    s = S()
    p = P()

    @invariant
    def prop(sys):
        return {prop}
"""

#: properties that hold: the undefined read is where its value does not matter
GUARDED = {
    "implies": "implies(sys.current < 3, ~sys.deleted[sys.current])",
    "implies_lambda": "implies(sys.current < 3, lambda: ~sys.deleted[sys.current])",
    "ite": "ite(sys.current < 3, ~sys.deleted[sys.current], True)",
    "ite_lambda": "ite(sys.current == 3, True, lambda: ~sys.deleted[sys.current])",
    "and_left": "(sys.current == 3) | ~sys.deleted[sys.current]",
    "and_right": "~((sys.current < 3) & sys.deleted[sys.current])",
    "operand_order": "~(sys.deleted[sys.current] & (sys.current < 3))",
    "nested": "implies(sys.current < 3, ite(sys.deleted[sys.current], False, sys.deleted[sys.current] == False))",
    "arithmetic": "implies(sys.current < 3, ite(sys.deleted[sys.current], 1, 0) + 1 == 1)",
    "division": "implies(sys.current < 3, 6 // (3 - sys.current) >= 2)",
    "modulo_ite": "ite(sys.current == 3, True, lambda: 7 % (3 - sys.current) >= 0)",
}

#: properties where the undefined read's value matters at current == 3: a model error
TAKEN = {
    "unguarded": "~sys.deleted[sys.current]",
    "wrong_guard": "implies(sys.current >= 0, ~sys.deleted[sys.current])",
    "taken_ite_branch": "ite(sys.current > 2, ~sys.deleted[sys.current], True)",
    "or_not_deciding": "(sys.current > 5) | ~sys.deleted[sys.current]",
    "lambda_taken": "implies(sys.current > 0, lambda: ~sys.deleted[sys.current])",
    "used_twice": "implies(sys.current < 3, ~sys.deleted[sys.current]) & (sys.deleted[sys.current] == False)",
}

#: actions at current == 3: fine where guarded, an error where the value is used in a step that fires
GUARDED_ACTIONS = {
    "require_implies": """
    @action
    def act(self, sys):
        require(implies(sys.current < 3, ~sys.deleted[sys.current]))
        sys.seen = 1
""",
    "when_masks": """
    @action
    def act(self, sys):
        v = sys.deleted[sys.current]
        with when(sys.current < 3):
            sys.deleted[0] = v
        sys.seen = 1
""",
}
TAKEN_ACTIONS = {
    "write_of_undefined": """
    @action
    def act(self, sys):
        require(sys.current == 3)
        sys.deleted[0] = sys.deleted[sys.current]  # BAD
        sys.seen = 1
""",
}


def build(source: str) -> ModelInstance:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<lazy model>", "exec"), namespace)  # noqa: S102
    return namespace["M"].build()


def source_of(prop: str = "True", action: str = "") -> str:
    return MODEL.format(prop=prop, action=action)


def engines() -> dict[str, Any]:
    return {
        "numpy": lambda m: run_explicit(m, ["prop"], backend="numpy", symmetry=False)[0],
        "python": lambda m: run_explicit(m, ["prop"], backend="python", symmetry=False)[0],
        "bmc": lambda m: run_bmc(m, ["prop"], 5)[0],
        "kind": lambda m: prove(m, ["prop"], "kind", timeout=60)[0],
        "pdr": lambda m: prove(m, ["prop"], "pdr", timeout=60)[0],
    }


@pytest.mark.parametrize("case", list(GUARDED))
def test_a_guarded_undefined_read_is_no_error_and_the_property_holds(case: str) -> None:
    source = source_of(GUARDED[case])
    # division by a state value is nonlinear: the proof engines may answer unknown, never "violated"
    unknown_ok = {Verdict.UNKNOWN} if case in ("division", "modulo_ite") else set()
    for engine, run in engines().items():
        r = run(build(source))
        ok = {Verdict.HOLDS, Verdict.HOLDS_TO_DEPTH, Verdict.PROVED}
        ok |= unknown_ok if engine in ("kind", "pdr") else set()
        assert r.verdict in ok, (engine, r.verdict, r.reason)


@pytest.mark.parametrize("case", list(TAKEN))
def test_an_undefined_read_whose_value_matters_is_an_error_at_its_line(case: str) -> None:
    source = source_of(TAKEN[case])
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if "return " + TAKEN[case] in text)
    for engine, run in engines().items():
        with pytest.raises(ModelError, match="outside 'deleted'|outside its keys") as err:
            run(build(source))
        assert err.value.line == line, engine


DIVISIONS = ["6 // (3 - sys.current) >= 2", "implies(sys.current > 0, 6 % (3 - sys.current) >= 0)"]


@pytest.mark.parametrize("prop", DIVISIONS)
def test_a_division_by_zero_whose_value_matters_is_an_error_at_its_line(prop: str) -> None:
    source = source_of(prop)
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if "return " + prop in text)
    for engine, run in engines().items():
        if engine in ("kind", "pdr"):  # nonlinear: the proofs may not get as far as the error
            try:
                r = run(build(source))
            except ModelError as err:
                assert err.line == line and re.search("by 0|can be 0", err.message), engine
            else:
                assert r.verdict is Verdict.UNKNOWN, (engine, r.verdict)
            continue
        with pytest.raises(ModelError, match="by 0|can be 0") as err:
            run(build(source))
        assert err.value.line == line, engine


def test_a_guarded_read_that_is_false_where_defined_is_still_a_violation() -> None:
    """Discharging a hole never turns a false property true: deleted[1] set makes it fail at 1."""
    action = """
    @action
    def delete(self, sys):
        require(sys.current == 1)
        sys.deleted[1] = True
"""
    source = source_of(GUARDED["implies"], action)
    for engine, run in engines().items():
        r = run(build(source))
        assert r.verdict is Verdict.VIOLATED and len(r.trace) == 2, engine


@pytest.mark.parametrize("case", list(GUARDED_ACTIONS))
def test_a_guarded_read_in_an_action_is_no_error(case: str) -> None:
    source = source_of("sys.seen <= 1", GUARDED_ACTIONS[case])
    for engine, run in engines().items():
        r = run(build(source))
        assert r.verdict in (Verdict.HOLDS, Verdict.HOLDS_TO_DEPTH, Verdict.PROVED), (engine, r.reason)
        if engine == "python":
            assert r.extra["coverage"]["fired"].get("p.act"), "the action fires, at current == 3 too"


@pytest.mark.parametrize("case", list(TAKEN_ACTIONS))
def test_an_undefined_read_written_by_a_step_that_fires_is_an_error(case: str) -> None:
    source = source_of("sys.seen <= 1", TAKEN_ACTIONS[case])
    line = next(n for n, text in enumerate(source.splitlines(), start=1) if "# BAD" in text)
    for engine, run in engines().items():
        with pytest.raises(ModelError, match="outside 'deleted'|outside its keys") as err:
            run(build(source))
        assert err.value.line == line, engine


def test_action_invariants_discharge_reads_of_either_state() -> None:
    source = source_of().replace(
        "    @invariant\n    def prop(sys):\n        return True",
        "    @action_invariant\n    def prop(old, new):\n"
        "        return implies(new.current < 3, ~new.deleted[new.current]) & implies(old.current < 3, lambda: "
        "~old.deleted[old.current])",
    )
    for engine, run in engines().items():
        if engine in ("kind", "pdr"):
            continue  # proofs of action invariants are the explicit engine's and BMC's here
        r = run(build(source))
        assert r.verdict in (Verdict.HOLDS, Verdict.HOLDS_TO_DEPTH), (engine, r.reason)


def test_an_unguarded_read_exits_2_at_its_line_from_the_cli(tmp_path: Path) -> None:
    code = source_of(TAKEN["wrong_guard"]) + "\nMODEL = M\n"
    spec = 'model = "lazy"\n[check]\ndepth = 5\n[expect]\nprop = "holds"\n'
    project = make_project(tmp_path / "proj", {"lazy": code}, {"lazy": spec})
    line = next(n for n, text in enumerate(code.splitlines(), start=1) if "return " + TAKEN["wrong_guard"] in text)
    for engine in ("explicit", "bmc"):
        result = run_script("check", str(project / "specs" / "lazy.toml"), "--engine", engine)
        assert result.exit_code == 2, result.output
        assert_located(result.stderr, project / "models" / "lazy" / "__init__.py", line)
        assert "key 3 is outside 'deleted'" in result.stderr or "outside its keys" in result.stderr
