"""Shell completion: `--property` offers the properties of the specs named before it."""

from __future__ import annotations

import subprocess

from click.shell_completion import ShellComplete

from checker.cli import main

from .conftest import REPO, script_env


def _complete(*words: str, incomplete: str = "") -> list[str]:
    shell = ShellComplete(main, {}, "raceproof", "_RACEPROOF_COMPLETE")
    return [item.value for item in shell.get_completions(list(words), incomplete)]


def test_property_names_complete_from_the_spec() -> None:
    names = _complete("check", "specs/dns_race.toml", "--property")
    assert "endpoint_never_empty" in names and "plan_never_regresses" in names
    assert _complete("prove", "specs/dns_version_cas.toml", "--property", incomplete="plan") == ["plan_never_regresses"]
    assert _complete("check", "no/such/spec.toml", "--property") == []  # nothing offered, nothing raised


def test_the_installed_script_completes_in_bash() -> None:
    env = script_env() | {
        "COMP_WORDS": "raceproof check specs/dns_race.toml --property endpoint",
        "COMP_CWORD": "4",
        "_RACEPROOF_COMPLETE": "bash_complete",
    }
    out = subprocess.run(["raceproof"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120).stdout
    assert "plain,endpoint_never_empty" in out.splitlines() and "plain,endpoints_recoverable" in out.splitlines()
