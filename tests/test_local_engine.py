"""`prove`'s engine thread in the command's own process (`checker.engines.local`) leaves nothing
behind in a long-lived process (a test run, the pytest plugin, a gate of several specs): no
thread still running, the cyclic garbage collector back as it was, z3's context usable."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator

import pytest
import z3

from checker.deadline import Timeout
from checker.engines import local
from checker.engines import prove as portfolio
from checker.engines.local import LocalEngine
from checker.results import Verdict
from tests.models.spin import Spin


def engine_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("raceproof-") and t.is_alive()]


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    assert gc.isenabled() and not engine_threads()
    yield
    gc.enable()  # whatever a failing test left


def assert_clean() -> None:
    assert not engine_threads()
    assert gc.isenabled()
    assert z3.Solver().check(z3.Int("x") > 1) == z3.sat  # not left cancelled by the interrupts


def test_a_timed_out_prove_leaves_no_engine_thread_and_the_collector_on() -> None:
    # the action loops for ever in Python: the PDR thread ends only by the Timeout raised in it
    (r,) = portfolio.prove(Spin.build(), ["never_negative"], "auto", timeout=2)
    assert r.verdict is Verdict.UNKNOWN and "timeout" in r.reason, r.reason
    assert_clean()


def test_a_timeout_landing_just_after_the_engine_started_still_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    started = LocalEngine.start

    def start_then_timeout(self: LocalEngine) -> None:
        started(self)
        raise Timeout  # as the deadline's watchdog may deliver it, at any line

    monkeypatch.setattr(LocalEngine, "start", start_then_timeout)
    (r,) = portfolio.prove(Spin.build(), ["never_negative"], "auto", timeout=60)
    assert r.verdict is Verdict.UNKNOWN
    assert_clean()


def waiting_engine(release: threading.Event) -> LocalEngine:
    return LocalEngine("waiter", lambda: [] if release.wait(30) else [])


def test_overlapping_engines_keep_the_collector_off_until_the_last_ends() -> None:
    release = threading.Event()
    first, second = waiting_engine(release), waiting_engine(release)
    first.start()
    second.start()
    assert not gc.isenabled()
    release.set()
    first.stop()
    assert not gc.isenabled()  # the second engine still runs
    second.stop()
    assert_clean()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    release = threading.Event()
    engine = waiting_engine(release)
    engine.start()
    release.set()
    engine.stop()
    assert not gc.isenabled()


def test_a_thread_blocked_outside_z3_is_left_behind_and_releases_the_collector_as_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(local, "_GIVE_UP", 0.3)
    monkeypatch.setattr(local, "_PYTHON_STOP_AFTER", 0.1)
    engine = LocalEngine("sleeper", lambda: time.sleep(1.5) or [])  # a system call: no Timeout reaches it
    engine.start()
    began = time.monotonic()
    engine.stop()
    assert time.monotonic() - began < 1.4  # did not wait for the sleep
    assert engine.left_behind and engine.thread.is_alive()
    assert not gc.isenabled()  # the thread may still free z3 objects as it unwinds
    engine.thread.join(10)
    assert engine.results is None and engine.error is None  # its Timeout ended it: no answer
    assert_clean()


def test_a_stop_before_the_start_releases_nothing_it_did_not_hold() -> None:
    engine = waiting_engine(threading.Event())
    engine.stop()
    assert_clean()
