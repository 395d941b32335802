"""Hostile input (issue 17, section 5): bad values, malformed and special files are bad input.

Every case exits 2 with a message naming the file (and the line or the JSON path), never a
traceback and never exit 3: a FIFO does not hang the run, ``/dev/zero`` is not read until
memory runs out, a parameter of 10**9 does not build a 10**9-element list.
"""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.run import time_limit
from tests.conftest import CliResult, run_cli

COUNTER = 'model = "tests.models.counter:AtomicCounter"\n'


def assert_bad(result: CliResult, *phrases: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


# ---------------------------------------------------------------------------- ITF traces
def _itf(states: object = None, **top: object) -> str:
    return json.dumps({"vars": ["x"], "states": states or [{"x": 1}], **top})


def _nested(depth: int) -> str:
    return '{"vars": ["x"], "states": [{"x": ' + "[" * depth + "]" * depth + "}]}"


ITF_CASES = {
    # (content, phrases the message must hold: the JSON path and what is wrong)
    "nested_100000_deep": (_nested(100_000), ["nested more than"]),
    "nested_900_deep": (_nested(900), ["states[0].x[0][0]", "nested more than 64 deep"]),
    "bigint_double_minus": (_itf([{"x": {"#bigint": "--5"}}]), ["states[0].x", "#bigint", "'--5'"]),
    "bigint_superscript": (_itf([{"x": {"#bigint": "\u00b2"}}]), ["states[0].x", "#bigint"]),
    "bigint_5000_digits": (_itf([{"x": {"#bigint": "9" * 5000}}]), ["states[0].x", "5,000 digits"]),
    "number_5000_digits": ('{"vars": ["x"], "states": [{"x": ' + "9" * 5000 + "}]}", ["more than 4,300 digits"]),
    "vars_not_names": (_itf(vars=[1, 2]), ["vars[0]", "a variable name is a string"]),
    "vars_not_a_list": (_itf(vars="x"), ["vars: expected a list"]),
    "loop_is_a_bool": (_itf(loop=True), ["loop True is not the index of a state"]),
    "nan_value": ('{"vars": ["x"], "states": [{"x": NaN}]}', ["states[0].x", "nan is not an integer"]),
    "meta_property_not_a_name": (_itf(**{"#meta": {"property": {"a": 1}}}), ["#meta.property"]),
    "meta_model_ref_not_a_name": (_itf(**{"#meta": {"model_ref": ["m"]}}), ["#meta.model_ref"]),
    "not_utf8": (None, [":1:", "not UTF-8"]),
}


@pytest.mark.parametrize("name", list(ITF_CASES))
@pytest.mark.parametrize("fmt", ["text", "html"])
def test_hostile_itf_is_bad_input_with_its_json_path(tmp_path: Path, name: str, fmt: str) -> None:
    content, phrases = ITF_CASES[name]
    path = tmp_path / f"{name}.itf.json"
    if content is None:
        path.write_bytes(b'{"vars": ["x"], "states": [{"x": "\xe9"}]}')
    else:
        path.write_text(content)
    assert_bad(run_cli("report", str(path), "--format", fmt), str(path), *phrases)


def test_an_itf_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.itf.json"
    path.write_text("\ufeff" + _itf([{"x": 1}, {"x": {"#bigint": "-2"}}]))
    result = run_cli("report", str(path))
    assert result.exit_code == 0, result.output
    assert "-2" in result.stdout


def test_report_reads_standard_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "-", "--format", "md"], input=_itf([{"x": 7}]))
    assert result.exit_code == 0, result.output
    assert "7" in result.stdout
    bad = CliRunner().invoke(main, ["report", "-"], input=_itf(vars=[1]))
    assert bad.exit_code == 2 and "<stdin>" in bad.stderr and "vars[0]" in bad.stderr


# ---------------------------------------------------------------------------- special files
def _special(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        path = tmp_path / "input.fifo"
        os.mkfifo(path)  # nobody ever writes: reading it would hang
        return path
    if kind == "socket":
        path = tmp_path / "input.sock"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
        return path
    return Path("/dev/zero")  # reading it never ends


@pytest.mark.parametrize(
    ("kind", "phrase"), [("fifo", "a FIFO"), ("socket", "a socket"), ("dev_zero", "a character device")]
)
@pytest.mark.parametrize("verb", ["check", "report"])
def test_special_files_are_refused_not_read(tmp_path: Path, kind: str, phrase: str, verb: str) -> None:
    path = _special(tmp_path, kind)
    result = run_cli(verb, str(path))
    assert_bad(result, str(path), phrase, "give a regular file")
    if verb == "report":
        assert "'-' for standard input" in result.stderr


def test_the_gate_refuses_a_fifo_among_its_specs(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "good.toml").write_text(COUNTER + "[check]\ndepth = 2\n")
    os.mkfifo(folder / "pipe.toml")  # hashing it for the cache must not hang either
    for target in (folder, folder / "pipe.toml"):
        result = run_cli("gate", str(target), "--no-cache", "--artifacts", str(tmp_path / "art"))
        assert_bad(result, "pipe.toml", "a FIFO")


def test_a_symlink_loop_and_a_dangling_link_say_so(tmp_path: Path) -> None:
    (tmp_path / "a.toml").symlink_to("b.toml")
    (tmp_path / "b.toml").symlink_to("a.toml")
    assert_bad(run_cli("check", str(tmp_path / "a.toml")), "a loop of symbolic links")
    (tmp_path / "c.toml").symlink_to("missing.toml")
    assert_bad(run_cli("check", str(tmp_path / "c.toml")), "symbolic link to 'missing.toml', which does not exist")
    assert_bad(run_cli("report", str(tmp_path / "a.toml")), "a loop of symbolic links")


def test_an_input_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("checker.errors.MAX_INPUT_BYTES", 1024)
    spec = tmp_path / "big.toml"
    spec.write_text(COUNTER + "# padding\n" * 200)
    assert_bad(run_cli("check", str(spec)), str(spec), "larger than")


def test_a_spec_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    spec = tmp_path / "bom.toml"
    spec.write_text("\ufeff" + COUNTER + '[check]\ndepth = 3\n[expect]\nno_lost_update = "holds"\n')
    result = run_cli("check", str(spec))
    assert result.exit_code == 0, result.output
    assert "no_lost_update" in result.stdout


# ---------------------------------------------------------------------------- TOML values
TOML_CASES = {
    # (spec text after the model line, the line the message names, a phrase)
    "timeout_nan": ("[check]\ntimeout = nan\n", 3, "timeout must be a positive number"),
    "timeout_minus_inf": ("[check]\ntimeout = -inf\n", 3, "timeout must be a positive number"),
    "depth_inf": ("[check]\ndepth = inf\n", 3, "depth must be a non-negative integer"),
    "long_integer": ("[check]\ndepth = " + "9" * 5000 + "\n", 3, "more than 4,300 digits"),
    "nested_arrays": ("[check]\nproperties = " + "[" * 50_000 + "]" * 50_000 + "\n", None, "nested too deep"),
    "nested_inline_tables": ("[params]\nprocs = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n", None, "nested too deep"),
}


@pytest.mark.parametrize("name", list(TOML_CASES))
def test_hostile_toml_values_are_bad_input(tmp_path: Path, name: str) -> None:
    body, line, phrase = TOML_CASES[name]
    spec = tmp_path / f"{name}.toml"
    spec.write_text(COUNTER + body)
    where = f"{spec}:{line}:" if line else f"{spec}:"
    assert_bad(run_cli("check", str(spec)), where, phrase)


@pytest.mark.parametrize("verb", ["check", "prove", "gate"])
@pytest.mark.parametrize("value", ["nan", "-inf", "0", "ten"])
def test_a_bad_timeout_option_is_a_usage_error(tmp_path: Path, verb: str, value: str) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(COUNTER)
    result = run_cli(verb, str(spec), "--timeout", value)
    assert result.exit_code == 2, result.output
    assert "--timeout" in result.stderr and "Traceback" not in result.output


def test_an_infinite_timeout_is_no_limit_and_overrides_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "inf.toml"
    spec.write_text(COUNTER + '[check]\ndepth = 3\ntimeout = inf\n[expect]\nno_lost_update = "holds"\n')
    result = run_cli("check", str(spec), "--property", "no_lost_update")
    assert result.exit_code == 0, result.output
    result = run_cli("check", str(spec), "--property", "no_lost_update", "--timeout", "inf")
    assert result.exit_code == 0, result.output
    from checker.spec import load_spec

    limited = tmp_path / "limited.toml"
    limited.write_text(COUNTER + "[check]\ntimeout = 5\n")
    assert time_limit(math.inf, load_spec(limited)) is None  # --timeout inf beats the spec's 5 s
    assert time_limit(None, load_spec(spec)) is None
    assert time_limit(None, load_spec(limited)) == 5.0
    assert time_limit(2.0, load_spec(limited)) == 2.0


# ---------------------------------------------------------------------------- domain sizes
SIZED = 'model = "tests.models.sized:Sized"\n[params]\n{param}\n[check]\ndepth = 2\n'


@pytest.mark.parametrize(
    ("param", "phrase"),
    [
        ("top = 1000000000", "state 'seen': a set's elements range over int[1..1000000000]: 1,000,000,000 values"),
        ("keys = 1000000000", "state 'owner': map keys range over int[1..1000000000]"),
        ("slots = 100000000", "state 'flags': array size: 100,000,000 elements"),
        ("workers = 20000", "component 'worker': 20,000 instances"),
    ],
)
def test_domains_too_large_to_enumerate_are_refused_at_the_parameter(tmp_path: Path, param: str, phrase: str) -> None:
    spec = tmp_path / "huge.toml"
    spec.write_text(SIZED.format(param=param))
    name = param.split()[0]
    result = run_cli("check", str(spec))
    assert_bad(result, f"{spec}:3:", phrase, f"set by parameter '{name}'", "more than the 10,000")


def test_dns_max_plans_of_a_billion_is_refused_at_its_line(tmp_path: Path) -> None:
    spec = tmp_path / "plans.toml"
    spec.write_text('model = "dns"\n[params]\nenactors = 2\nmax_plans = 1000000000\n[check]\ndepth = 4\n')
    for verb in ("check", "prove"):
        assert_bad(run_cli(verb, str(spec)), f"{spec}:4:", "'plans'", "parameter 'max_plans'")


def test_a_small_domain_still_checks(tmp_path: Path) -> None:
    spec = tmp_path / "small.toml"
    spec.write_text(SIZED.format(param="top = 50"))
    result = run_cli("check", str(spec))
    assert result.exit_code == 0, result.output


def test_a_domain_that_is_not_a_collection_is_a_model_error_at_its_declaration() -> None:
    from checker import Int, Model, Process, action, initial, invariant
    from checker.errors import ModelError

    class Worker(Process):
        x = Int(min=0, max=3)

        @action(v=3.5)
        def put(self, sys, v):
            self.x = v

    class BadAction(Model):
        worker = Worker()

        @invariant
        def small(sys):
            return sys.worker.x <= 3

    class BadInitial(Model):
        worker = Worker(count=0)

        @initial(v=1.5)
        def start(sys, v):
            pass

    for model, owner, shown in ((BadAction, "action 'put'", "3.5"), (BadInitial, "@initial 'start'", "1.5")):
        with pytest.raises(ModelError) as err:
            model.build()
        assert err.value.message == f"{owner}: the domain of 'v' is {shown}, not a collection"
        assert err.value.file == __file__ and isinstance(err.value.line, int)
