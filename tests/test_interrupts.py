"""Ctrl-C (SIGINT) stops the command line at once, whatever z3 is doing (`checker.interrupts`).

z3 replaces Python's SIGINT handler with its own during every check and Spacer query, which
cancelled the call and swallowed the Ctrl-C: `check --engine bmc` and `prove --engine pdr` went
on (were still running a minute later), `prove` waited for its other engines. These tests send
SIGINT to the command's process alone (its own session), as a terminal's Ctrl-C would reach it,
once it is busy (by its CPU time) inside z3 in its main thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, script_env


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sigint_default() -> None:
    """As from a terminal, even when the tests run in the background (where SIGINT is ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_when_busy(args: list[str], cpu: float) -> tuple[int, str, float]:
    """Run the command line, SIGINT it after ``cpu`` seconds of its CPU: its exit code, its
    stderr, and the seconds it took to exit after the signal."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker.cli", *args],
        cwd=REPO,
        env=script_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a signal to it reaches no one else
        preexec_fn=sigint_default,  # noqa: PLW1509 - one signal() call
    )
    try:
        ends = time.monotonic() + 120
        while proc.poll() is None and cpu_seconds(proc.pid) < cpu and time.monotonic() < ends:
            time.sleep(0.02)
        assert proc.poll() is None, "the command ended before it could be interrupted"
        os.kill(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=30)
        return proc.returncode, err.decode(), time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def endless(tmp_path: Path) -> Path:
    path = tmp_path / "endless.toml"  # BMC unrolls a counter for ever (depth far beyond any time)
    path.write_text('model = "tests.models.spin:Endless"\n[check]\ndepth = 20000\ntimeout = 300\n')
    return path


def test_ctrl_c_stops_bmc_inside_z3(tmp_path: Path) -> None:
    code, err, seconds = interrupt_when_busy(["check", str(endless(tmp_path)), "--engine", "bmc"], cpu=1.5)
    assert code == 3, err
    assert err.strip().splitlines() == ["interrupted: no verdict"]  # no traceback, no "Exception ignored"
    assert seconds < 10


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "cpu"),
    [
        (["prove", "{endless}", "--engine", "pdr"], 2.0),  # (Spacer from about 1 s of CPU on)
        # the ladder of parameterized proofs: Spacer in the main thread from about 1 s of CPU to the
        # end (5 s in all here; version_cas's 1.4 s in all ended before 1.2 s on a faster machine)
        (["prove", "specs/dns_fencing_token.toml", "--for-all", "enactors,endpoints", "--timeout", "300"], 2.0),
    ],
    ids=["prove-pdr", "prove-for-all"],
)
def test_ctrl_c_stops_a_proof_inside_z3(tmp_path: Path, args: list[str], cpu: float) -> None:
    args = [a.format(endless=endless(tmp_path)) for a in args]
    code, err, seconds = interrupt_when_busy(args, cpu=cpu)
    assert code == 3, err
    assert err.strip().splitlines() == ["interrupted: no verdict"]
    assert seconds < 10


LOST = """
import signal, sys, time
from checker import interrupts
interrupts.install()

class Dropper:
    def __del__(self):  # a KeyboardInterrupt raised here is printed and dropped by Python
        signal.raise_signal(signal.SIGINT)

try:
    Dropper()
    time.sleep(10)  # the Ctrl-C delivered again ends this at once
except KeyboardInterrupt:
    print("interrupted", interrupts.interrupted())
else:
    print("lost")
"""


def _script(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -c code args...`` with Ctrl-C's default action (a test runner may ignore SIGINT)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=sigint_default,  # noqa: PLW1509 - one signal() call
    )


def test_a_ctrl_c_lost_in_a_destructor_is_delivered_again() -> None:
    started = time.monotonic()
    out = _script(LOST)
    assert out.stdout.strip() == "interrupted True", out.stderr
    assert "Exception ignored" not in out.stderr  # the hook took it, and said nothing
    assert time.monotonic() - started < 9


DEFERRED = """
import signal
from checker import interrupts
interrupts.install()
steps = []
try:
    with interrupts.deferred():  # e.g. a child process being started
        signal.raise_signal(signal.SIGINT)
        steps.append("finished")
    steps.append("after")
except KeyboardInterrupt:
    steps.append("interrupted")
print(" ".join(steps))
"""


def test_a_ctrl_c_during_a_deferred_step_comes_after_it() -> None:
    out = _script(DEFERRED)
    assert out.stdout.strip() == "finished interrupted", out.stderr
