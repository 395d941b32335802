"""Names that cannot collide (`checker.lang.names`): every collision that would hide a state
variable, a component, a parameter or a property is a located model error at load (exit 2)."""

from __future__ import annotations

import pytest

from checker.errors import ModelError
from tests.conftest import MODELS_DIR, assert_located, marker_line, run_cli
from tests.models import bad_names

MODEL_FILE = MODELS_DIR / "bad_names.py"

CASES = {
    "MethodVsVar": ("# BAD-METHOD", "binds 'channel' twice"),
    "ComponentVsShared": ("# BAD-COMPONENT", "sys.channel would be the component"),
    "ActionVsVar": ("# BAD-ACTION", "action 'step'"),
    "IdVar": ("# BAD-ID", "self.id is a replica's number"),
    "NameVar": ("# BAD-NAME", "self.name is the instance's name"),
    "ParamsVar": ("# BAD-PARAMS", "sys.params is the model's parameters"),
    "PropertyHidesParam": ("# BAD-HIDDEN-PARAM", "hides the parameter 'size'"),
    "Twice": ("# BAD-TWICE", "binds 'ok' twice"),
    "ParamsComponent": ("# BAD-SYS-PARAMS", "Model.params"),
    "ComponentApi": ("# BAD-DECLS", "Component.state_decls"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_collision_is_a_located_model_error(case: str) -> None:
    marker, phrase = CASES[case]
    with pytest.raises(ModelError) as err:
        getattr(bad_names, case).build()
    assert phrase in str(err.value)
    assert (err.value.file, err.value.line) == (str(MODEL_FILE), marker_line(MODEL_FILE, marker))


@pytest.mark.parametrize("case", ["ComponentVsShared", "MethodVsVar"])
def test_collision_exits_2_from_the_cli(case: str, tmp_path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(f'model = "tests.models.bad_names:{case}"\n')
    result = run_cli("check", str(spec))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert_located(result.stderr, MODEL_FILE, marker_line(MODEL_FILE, CASES[case][0]))


def test_bundled_and_test_models_have_no_collisions() -> None:
    from tests.models.counter import AtomicCounter

    AtomicCounter.build()  # the ordinary shapes (helpers, actions, properties) still load
