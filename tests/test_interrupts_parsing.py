"""Ctrl-C while click still parses the command line (before `handle_errors` runs the command
body) exits 3 with "interrupted: no verdict", never click's "Aborted!" and exit 1, which reads
as "violated" (`checker.cli.app._Cli`, `checker.cli.__main__.run`).

The interrupt is raised at a known point of click's parsing (an option's callback), in process
through click's test runner on a small group of our class, and in a subprocess by a real
SIGINT through the handler `checker.interrupts.install` puts in place.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import pytest
from click.testing import CliRunner

from checker.cli.app import _Cli
from tests.test_interrupts import _script


def _ctrl_c(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value:
        raise KeyboardInterrupt  # what Python's SIGINT handler raises, here inside click's parsing
    return value


def _group() -> click.Group:
    """Our group class with a verb that parses like ours: options with callbacks, --json."""

    @click.group(cls=_Cli)
    @click.option("--ctrl-c-in-group", is_flag=True, callback=_ctrl_c, expose_value=False)
    def cli() -> None:
        pass

    @cli.command()
    @click.option("--ctrl-c", is_flag=True, callback=_ctrl_c, expose_value=False)
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--exit", "code", type=int, default=0)
    def verb(as_json: bool, code: int) -> None:
        ctx = click.get_current_context()
        ctx.call_on_close(_interrupt_on_close)
        sys.exit(code)

    return cli


def _interrupt_on_close() -> None:
    if "ctrl-c-on-close" in sys.argv:  # (set by the test that wants it)
        raise KeyboardInterrupt


@pytest.mark.parametrize("where", [["verb", "--ctrl-c"], ["--ctrl-c-in-group", "verb"]])
def test_ctrl_c_while_click_parses_exits_3(where: list[str]) -> None:
    result = CliRunner().invoke(_group(), where)
    assert result.exit_code == 3, result.output
    assert "interrupted: no verdict" in result.stderr
    assert "Aborted!" not in result.output
    assert result.stdout == ""


def test_ctrl_c_while_click_parses_a_json_run_prints_the_json_error() -> None:
    result = CliRunner().invoke(_group(), ["verb", "--json", "--ctrl-c"])
    assert result.exit_code == 3, result.output
    out = json.loads(result.stdout)
    assert out["exit_code"] == 3 and out["error"] == "no_verdict"
    assert out["errors"] == [{"message": "interrupted: no verdict"}]


def test_ctrl_c_after_the_command_exited_keeps_its_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [*sys.argv, "ctrl-c-on-close"])
    result = CliRunner().invoke(_group(), ["verb", "--exit", "1"])
    assert result.exit_code == 1, result.output  # the verdict it printed stands
    assert "Aborted!" not in result.output


def test_a_usage_error_is_still_2() -> None:
    result = CliRunner().invoke(_group(), ["verb", "--no-such-option"])
    assert result.exit_code == 2 and "No such option" in result.stderr


# The real command line in a subprocess: a real SIGINT, raised while click parses an option of
# a verb added to raceproof's own group, after `run` installed raceproof's SIGINT handler.
PARSING = """
import signal, sys
import click
from checker.cli.app import main

def ctrl_c(ctx, param, value):
    signal.raise_signal(signal.SIGINT)  # delivered to the handler in place: raceproof's
    return value

@main.command()
@click.option("--x", callback=ctrl_c)
@click.option("--json", "as_json", is_flag=True)
def probe(x, as_json):
    print("the command body ran")

from checker.cli.__main__ import run
sys.argv = ["raceproof", "probe", "--x", "1", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize("as_json", [False, True])
def test_a_real_sigint_while_click_parses_exits_3(as_json: bool) -> None:
    out = _script(PARSING, *(["--json"] if as_json else []))
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr)
    assert "interrupted: no verdict" in out.stderr and "Aborted!" not in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert "the command body ran" not in out.stdout
    if as_json:
        assert json.loads(out.stdout)["exit_code"] == 3


# A real SIGINT while the command line loads (its modules imported after the handler is in place)
LOADING = """
import importlib.abc, signal, sys

class CtrlCOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "checker.cli.app":
            signal.raise_signal(signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlCOnImport())
from checker.cli.__main__ import run
sys.argv = ["raceproof", "list", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize("as_json", [False, True])
def test_a_real_sigint_while_the_command_line_loads_exits_3(as_json: bool) -> None:
    out = _script(LOADING, *(["--json"] if as_json else []))
    assert out.returncode == 3, (out.returncode, out.stdout, out.stderr)
    assert out.stderr.strip() == "interrupted: no verdict", out.stderr
    if as_json:
        assert json.loads(out.stdout) == {
            "raceproof": json.loads(out.stdout)["raceproof"],
            "exit_code": 3,
            "error": "no_verdict",
            "errors": [{"message": "interrupted: no verdict"}],
        }
    else:
        assert out.stdout == ""
