"""Bad input: exit code 2, a message naming the file and the line, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MODELS_DIR, REPO, CliResult, assert_located, marker_line, run_cli, run_script

WriteSpec = Callable[..., Path]


def assert_bad_input(result: CliResult) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if result.exception is not None:  # in-process: it ended by sys.exit, not by an uncaught error
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stdout == "", "errors go to stderr and nothing else is printed"
    assert result.stderr.startswith("error: ")


# ---------------------------------------------------------------------------- spec problems
# (spec text, the line the message must name, a phrase of the message)
SPEC_CASES = {
    "malformed_toml": ('model = "dns"\n[params]\nenactors = 3\nendpoints = = 2\n', 4, "malformed TOML"),
    "duplicate_key": ('model = "dns"\n[params]\nenactors = 3\nenactors = 2\n', 4, "malformed TOML"),
    "unknown_model": ('description = "x"\nmodel = "no_such_model"\n', 2, "unknown model 'no_such_model'"),
    "unknown_model_module": ('\nmodel = "tests.models.no_such_module:Model"\n', 2, "unknown model"),
    "unknown_model_class": ('model = "tests.models.counter:NoSuchClass"\n', 1, "has no 'NoSuchClass'"),
    "not_a_model_class": ('model = "tests.models.counter:Shared"\n', 1, "checker.Model subclass"),
    "malformed_model_ref": ('model = ":Counter"\n', 1, "is not a model name"),
    "unknown_property_in_expect": (
        'model = "tests.models.counter:AtomicCounter"\n\n[expect]\nno_lost_update = "holds"\nno_such = "holds"\n',
        5,
        "unknown property 'no_such'",
    ),
    "unknown_property_in_check": (
        'model = "tests.models.counter:AtomicCounter"\n[check]\ndepth = 3\nproperties = ["no_such"]\n',
        4,
        "unknown property 'no_such'",
    ),
    "bad_expected_verdict": (
        'model = "tests.models.counter:AtomicCounter"\n[expect]\nno_lost_update = "fine"\n',
        3,
        "expected verdict must be one of",
    ),
    "param_wrong_type": (
        'model = "tests.models.counter:AtomicCounter"\n[params]\nprocs = "three"\n',
        3,
        "parameter 'procs' must be an integer, got 'three'",
    ),
    "param_bool_for_int": ('model = "dns"\n[params]\nenactors = 2\nmax_plans = true\n', 4, "must be an integer"),
    "param_float_for_int": ('model = "dns"\n[params]\n\nenactors = 2.5\n', 4, "must be an integer, got 2.5"),
    "param_below_min": (
        'model = "tests.models.counter:AtomicCounter"\n[params]\nprocs = 0\n',
        3,
        "parameter 'procs' must be at least 1, got 0",
    ),
    "param_above_max": ('model = "dns"\n[params]\nenactors = 17\n', 3, "must be at most 16, got 17"),
    "param_not_a_choice": (
        'model = "dns"\n[params]\nenactors = 2\nvariant = "yolo"\n',
        4,
        "parameter 'variant' must be one of 'as_designed'",
    ),
    "unknown_param": (
        'model = "tests.models.counter:AtomicCounter"\n[params]\nprocs = 2\nthreads = 4\n',
        4,
        "unknown parameter 'threads' (this model takes: procs)",
    ),
    "param_in_dotted_key": ('model = "dns"\nparams.enactors = "x"\n', 2, "parameter 'enactors' must be an integer"),
    "param_in_inline_table": ('model = "dns"\n\nparams = { enactors = 0 }\n', 3, "must be at least 1"),
    "params_not_a_table": ('model = "dns"\nparams = 3\n', 2, "'params' must be a table"),
    "bad_depth": ('model = "dns"\n[check]\ndepth = -1\n', 3, "depth must be a non-negative integer"),
    "bad_timeout": ('model = "dns"\n[check]\ntimeout = "soon"\n', 3, "timeout must be a positive number"),
    "unknown_engine": ('model = "dns"\n[check]\nengine = "magic"\n', 3, "unknown engine 'magic'"),
    "unknown_check_key": ('model = "dns"\n[check]\ndepht = 3\n', 3, "unknown key 'depht' in [check]"),
    "unknown_top_key": ('model = "dns"\nmodle = "dns"\n', 2, "unknown key 'modle'"),
}


@pytest.mark.parametrize("case", list(SPEC_CASES))
def test_spec_problem_names_spec_file_and_line(case: str, write_spec: WriteSpec) -> None:
    text, line, phrase = SPEC_CASES[case]
    spec = write_spec(text)
    result = run_cli("check", str(spec))
    assert_bad_input(result)
    assert_located(result.stderr, spec, line)
    assert phrase in result.stderr


def test_unknown_property_option_names_the_spec_and_its_model_line(write_spec: WriteSpec) -> None:
    spec = write_spec('# a counter\nmodel = "tests.models.counter:AtomicCounter"\n')
    result = run_cli("check", str(spec), "--property", "all_done", "--property", "no_such")
    assert_bad_input(result)
    assert_located(result.stderr, spec, 2)
    assert "unknown property 'no_such' given with --property" in result.stderr
    assert "no_lost_update" in result.stderr  # the properties it does have


def test_unknown_property_option_stops_before_any_spec_runs(write_spec: WriteSpec) -> None:
    good = write_spec('model = "tests.models.counter:NonAtomicCounter"\n', name="good")
    other = write_spec('model = "dns"\n', name="other")
    result = run_cli("check", str(good), str(other), "--property", "no_lost_update")
    assert_bad_input(result)  # nothing was checked (stdout is empty), although `good` has the property
    assert_located(result.stderr, other, 1)


def test_every_bad_spec_is_reported_at_once(write_spec: WriteSpec) -> None:
    first = write_spec('model = "dns"\n[params]\nenactors = 0\n', name="first")
    second = write_spec('model = "nope"\n', name="second")
    result = run_cli("check", str(first), str(second))
    assert_bad_input(result)
    assert_located(result.stderr, first, 3)
    assert_located(result.stderr, second, 1)


def test_missing_spec_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    result = run_cli("check", str(missing))
    assert_bad_input(result)
    assert "absent.toml" in result.stderr and "not found" in result.stderr


def test_spec_without_a_model(write_spec: WriteSpec) -> None:
    spec = write_spec("[check]\ndepth = 3\n")
    result = run_cli("check", str(spec))
    assert_bad_input(result)
    assert spec.name in result.stderr and "missing 'model" in result.stderr


# ---------------------------------------------------------------------------- model problems
# (model reference, the model file, the marker on the line the message must name, a phrase)
MODEL_CASES = {
    "python_if": ("bad_if:BadIf", "bad_if.py", "# BAD", "used as a Python bool"),
    "python_and": ("bad_and:BadAnd", "bad_and.py", "# BAD: `and`", "used as a Python bool"),
    "python_not": ("bad_and:BadNot", "bad_and.py", "# BAD: `not`", "used as a Python bool"),
    "x_in_set": ("bad_in:BadIn", "bad_in.py", "# BAD", "use .contains(x)"),
    "zero_division_in_action": ("bad_zero:BadZero", "bad_zero.py", "# BAD-ACTION", "ZeroDivisionError"),
    "zero_division_in_property": (
        "bad_zero:BadZeroProperty",
        "bad_zero.py",
        "# BAD-PROPERTY",
        "property 'ratio_ok' raised ZeroDivisionError",
    ),
    "zero_division_by_state": ("bad_misc:StateZero", "bad_misc.py", "# BAD-STATEZERO", "ZeroDivisionError"),
    "bounded_int_overflow": ("bad_range:BadRange", "bad_range.py", "# BAD", "'count' is a int[0..2]"),
    "exception_on_import": ("bad_import:BadImport", "bad_import.py", "# BAD", "raised ValueError"),
    "require_in_property": (
        "bad_misc:RequireInProperty",
        "bad_misc.py",
        "# BAD-REQUIRE",
        "require(...) is for actions",
    ),
    "enum_compared_with_int": ("bad_misc:EnumVsInt", "bad_misc.py", "# BAD-ENUM", "got an enum and an int"),
    "infinite_recursion": ("bad_misc:Recursion", "bad_misc.py", "# BAD-RECURSION", "infinite recursion"),
    "system_exit_in_action": ("bad_misc:ExitsModel", "bad_misc.py", "# BAD-EXIT", "raised SystemExit"),
    "unknown_parameter_in_declaration": (
        "bad_misc:UnknownSizeParam",
        "bad_misc.py",
        "# BAD-SIZE",
        "state 'cells': the model has no parameter 'no_such_param'",
    ),
}


@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_model_problem_names_model_file_and_line(case: str, write_spec: WriteSpec) -> None:
    ref, filename, marker, phrase = MODEL_CASES[case]
    model_file = MODELS_DIR / filename
    spec = write_spec(f'model = "tests.models.{ref}"\n[check]\ndepth = 4\n')
    result = run_cli("check", str(spec))
    assert_bad_input(result)
    assert_located(result.stderr, model_file, marker_line(model_file, marker))
    assert phrase in result.stderr


# ---------------------------------------------------------------------------- usage
@pytest.mark.parametrize(
    "args",
    [
        ["check", "specs/dns_race.toml", "--no-such-option"],
        ["check"],
        ["check", "specs/dns_race.toml", "--depth", "-1"],
        ["check", "specs/dns_race.toml", "--timeout", "0"],
        ["check", "specs"],
        ["no-such-command"],
    ],
    ids=["unknown_option", "no_spec", "negative_depth", "zero_timeout", "directory", "unknown_command"],
)
def test_bad_usage_exits_2(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert "Usage:" in result.stderr and "Error:" in result.stderr


# ---------------------------------------------------------------------------- the installed script
@pytest.mark.parametrize(
    ("ref", "filename", "marker"),
    [
        ("bad_if:BadIf", "bad_if.py", "# BAD"),
        ("bad_zero:BadZero", "bad_zero.py", "# BAD-ACTION"),
        ("bad_import:BadImport", "bad_import.py", "# BAD"),
    ],
    ids=["python_if", "zero_division", "import_error"],
)
def test_script_reports_model_errors_without_a_traceback(
    ref: str, filename: str, marker: str, write_spec: WriteSpec
) -> None:
    spec = write_spec(f'model = "tests.models.{ref}"\n')
    # no PYTHONPATH: a `package.module:Class` reference resolves from the spec's project, whose
    # pyproject.toml puts the checkout on its pythonpath
    (spec.parent / "pyproject.toml").write_text(f"[tool.raceproof]\npythonpath = [{str(REPO)!r}]\n")
    result = run_script("check", str(spec), pythonpath=False)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    model_file = MODELS_DIR / filename
    assert_located(result.stderr, model_file, marker_line(model_file, marker))


@pytest.mark.parametrize(
    ("text", "line"),
    [('model = "tests.models.counter:AtomicCounter"\n[params]\nprocs = "2"\n', 3), ('model = "dns"\n[check\n', 2)],
    ids=["param_type", "malformed_toml"],
)
def test_script_reports_spec_errors_without_a_traceback(text: str, line: int, write_spec: WriteSpec) -> None:
    spec = write_spec(text)
    result = run_script("check", str(spec))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert_located(result.stderr, spec, line)


def test_script_missing_file_and_unknown_option(tmp_path: Path) -> None:
    missing = run_script("check", str(tmp_path / "absent.toml"))
    assert missing.exit_code == 2 and "Traceback" not in missing.output and "absent.toml" in missing.stderr
    usage = run_script("check", "specs/dns_race.toml", "--frobnicate")
    assert usage.exit_code == 2 and "Traceback" not in usage.output and "--frobnicate" in usage.stderr


def test_out_of_range_key_in_a_property_is_a_model_error(write_spec: WriteSpec) -> None:
    model_file = MODELS_DIR / "bad_misc.py"
    spec = write_spec('model = "tests.models.bad_misc:PropertyIndex"\n[check]\ndepth = 5\n')
    result = run_cli("check", str(spec))
    assert_bad_input(result)
    assert_located(result.stderr, model_file, marker_line(model_file, "# BAD-PROPINDEX"))
