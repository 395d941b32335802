"""No process outlives the command: `prove`'s engine processes and the gate's ``--jobs``
workers (and their own engine processes) die with their parent after a normal exit, SIGINT,
SIGTERM and SIGKILL alike (`checker.children`). Descendants are found by a marker in their
environment, which every child inherits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import REPO, script_env

MARK = "RACEPROOF_TEST_MARK"


def marked(mark: str) -> list[int]:
    """Live processes (not zombies) whose environment carries ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry))
    return found


def start(*args: str, children_after: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    mark = uuid.uuid4().hex
    env = script_env() | {MARK: mark}
    if children_after is not None:
        env["RACEPROOF_CHILDREN_AFTER"] = children_after
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own session: a signal to it reaches no one else
    )
    return proc, mark


def wait_for(predicate, seconds: float) -> bool:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def kill_leftovers(mark: str) -> None:
    for pid in marked(mark):  # only this test's own processes, by pid
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def sleepy_spec(tmp_path: Path, name: str = "sleepy", expect: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'model = "tests.models.spin:Sleepy"\n[check]\ntimeout = 300\n{expect}')
    return path


def test_prove_leaves_no_process_after_it_exits(tmp_path: Path) -> None:
    path = tmp_path / "counter.toml"
    path.write_text('model = "tests.models.counter:AtomicCounter"\n[params]\nprocs = 2\n')
    # the child engines at once (by default they start after 3 s of PDR's CPU, which this proof never needs)
    proc, mark = start("prove", str(path), "--property", "no_lost_update", "--timeout", "120", children_after="0")
    seen = 0
    try:
        while proc.poll() is None:
            seen = max(seen, len(marked(mark)))
            time.sleep(0.05)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        assert seen >= 2  # the engines did run in processes of their own
        assert marked(mark) == []  # at once: nothing is left to be cleaned up later
    finally:
        kill_leftovers(mark)


@pytest.mark.slow
def test_gate_jobs_leaves_no_process_after_it_exits(tmp_path: Path) -> None:
    specs = [str(REPO / "specs" / f"{name}.toml") for name in ("nlb_failover", "nlb_velocity_reset")]
    proc, mark = start("gate", *specs, "--jobs", "2", "--no-cache", "--artifacts", str(tmp_path / "out"))
    try:
        assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
        # multiprocessing's resource tracker ends on its own as the gate's pipe to it closes
        assert wait_for(lambda: not marked(mark), 3), marked(mark)
    finally:
        kill_leftovers(mark)


SLEEPY_EXPECT = '[expect]\nnever_negative = "proved"\nnever_far = "proved"\n'
COMMANDS = {
    "prove": lambda tmp: ["prove", str(sleepy_spec(tmp))],
    # a spec that expects a proof makes each gate worker start its own engine processes
    "gate --jobs 2": lambda tmp: [
        "gate",
        *(str(sleepy_spec(tmp, f"s{n}", SLEEPY_EXPECT)) for n in range(2)),
        "--jobs",
        "2",
        "--no-cache",
        "--artifacts",
        str(tmp / "out"),
    ],
}
# prove: the parent (which runs PDR in a thread) and 2 engine processes; gate: the parent, 2
# workers and 2 engine processes each
RUNNING = {"prove": 3, "gate --jobs 2": 7}
# prove/SIGINT: Ctrl-C while PDR's thread is inside Spacer, which z3's own SIGINT handler used to
# swallow (`checker.interrupts`)
FAST = {("gate --jobs 2", "SIGKILL"), ("prove", "SIGTERM"), ("prove", "SIGINT")}


def _marks(command: str, signame: str) -> tuple[pytest.MarkDecorator, ...]:
    return () if (command, signame) in FAST else (pytest.mark.slow,)


@pytest.mark.parametrize(
    ("command", "signame"),
    [pytest.param(c, s, marks=_marks(c, s)) for c in COMMANDS for s in ("SIGKILL", "SIGTERM", "SIGINT")],
)
def test_a_killed_run_leaves_no_descendant(tmp_path: Path, command: str, signame: str) -> None:
    # PDR works alone (in Spacer) for 1 s of CPU before the engine processes start (3 s by default)
    proc, mark = start(*COMMANDS[command](tmp_path), children_after="1")
    try:
        started = wait_for(lambda: len(marked(mark)) >= RUNNING[command], 90)
        assert started, f"only {len(marked(mark))} processes started"
        os.kill(proc.pid, getattr(signal, signame))  # the parent alone, not its group
        proc.wait(timeout=30)
        assert wait_for(lambda: not marked(mark), 10), f"still running after {signame}: {marked(mark)}"
        if signame == "SIGINT":  # Ctrl-C: no verdict, said so
            err = proc.stderr.read().decode() if proc.stderr else ""
            assert proc.returncode == 3, err
            assert "interrupted: no verdict" in err
    finally:
        kill_leftovers(mark)
        if proc.poll() is None:
            proc.kill()
