"""Time to the first answer, as behaviour: what a quick check loads and what it does not,
the CLI's process settings, and the shortcuts of the explicit search giving the same answers."""

from __future__ import annotations

import gc
import json
import random
import subprocess
import sys
from typing import Any

import numpy as np

from checker.state_store import KeyLayout, VisitedStore

from .conftest import REPO, run_cli, script_env

# What a command run imports, reported on stderr as JSON when it exits (SystemExit included):
# at exit, which the command line reaches through its exit handlers (`checker.cli.__main__._exit`)
_LOADED = """
import atexit, json, runpy, sys
sys.argv = ["raceproof", *sys.argv[1:]]
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
runpy.run_module("checker.cli", run_name="__main__")
"""

#: engines a check that the explicit search decides never runs
NOT_RUN = [
    "checker.engines.bmc",
    "checker.engines.bmc_coverage",
    "checker.engines.prove",
    "checker.engines.kind",
    "checker.engines.pdr",
    "checker.engines.first_look",
    "checker.engines.graph",
    "checker.engines.parallel",
    "checker.param.compact",
    "multiprocessing",
]


def _loaded(*args: str) -> tuple[int, str, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _LOADED, *args], cwd=REPO, env=script_env(), capture_output=True, text=True, timeout=300
    )
    modules = json.loads(proc.stderr.strip().splitlines()[-1])
    return proc.returncode, proc.stdout, modules


def test_an_explicit_check_loads_no_other_engine() -> None:
    code, out, modules = _loaded("check", "specs/dns_race.toml", "--property", "endpoint_never_empty")
    assert code == 1 and "violated" in out and "replayed concretely" in out
    assert "explicit (auto)" in out
    assert [m for m in NOT_RUN if m in modules] == []


def test_a_bmc_check_still_loads_and_runs_bmc() -> None:
    code, out, modules = _loaded(
        "check", "specs/dns_race.toml", "--property", "endpoint_never_empty", "--engine", "bmc", "--depth", "9"
    )
    assert code == 1 and "violated" in out and "checker.engines.bmc" in modules


def test_a_proof_of_a_model_with_an_unbounded_set_loads_no_numpy() -> None:
    # the first look searches it in plain Python (no numeric form): numpy was a tenth of the CPU
    code, out, modules = _loaded("prove", "specs/dns_version_cas.toml")
    assert code == 0 and "endpoint_never_empty" in out and "proved" in out
    assert "numpy" not in modules and "checker.engines.explicit.compile" not in modules


def test_the_cli_gives_an_in_process_caller_its_gc_thresholds_back() -> None:
    before = gc.get_threshold()
    res = run_cli("check", "specs/dns_race.toml", "--property", "endpoint_never_empty")
    assert res.exit_code == 1, res.output
    assert gc.get_threshold() == before


def test_the_raceproof_script_runs_the_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "checker.cli", "--version"], cwd=REPO, env=script_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0 and "raceproof" in proc.stdout
    from checker.cli.__main__ import run

    assert callable(run)


def _store_with(layout: KeyLayout, stored: np.ndarray) -> VisitedStore:
    store = VisitedStore(layout, 20)
    store.add(layout.pack(stored), np.full(stored.shape[1], -1, np.int32), np.full(stored.shape[1], -1, np.int32))
    return store


def _states(rng: random.Random, m: int, n: int, top: int) -> np.ndarray:
    """``n`` states of ``m`` columns with values 0..top (a small top: many repeat)."""
    return np.array([[rng.randint(0, top) for _ in range(n)] for _ in range(m)], dtype=np.int64).reshape(m, n)


def test_the_vouched_adds_store_what_the_plain_add_stores() -> None:
    """`add(none_stored=, distinct=)` (a level filtered by `novel`) against `add` on the same keys:
    the same states, ids, parents and transitions, with one-word and two-word keys and a cap."""
    rng = random.Random(7)
    for trial in range(60):
        words = 1 if trial % 2 else 2
        m = 3 if words == 1 else 4
        layout = KeyLayout([0] * m, [20] * m if words == 1 else [30] * m, [True] * m)
        assert layout.words == words
        top = rng.choice([2, 3, 40])
        stored = _states(rng, m, rng.randint(0, 30), top)
        chunks = [_states(rng, m, rng.randint(0, 60), top) for _ in range(rng.randint(1, 3))]
        limit = rng.choice([None, 5, 30])
        plain, vouched = _store_with(layout, stored), _store_with(layout, stored)
        parts = []
        for c in chunks:  # as the search does: each chunk through `novel`, then one add per level
            keys = vouched.layout.pack(c)
            ids = np.arange(keys.shape[0], dtype=np.int32) + 100 * len(parts)
            parts.append(vouched.novel(keys, ids, (ids % 20).astype(np.int32)))
        level = np.concatenate([p[0] for p in parts])
        parents, via = np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
        want = plain.add(level, parents, via, limit)
        got = vouched.add(level, parents, via, limit, none_stored=True, distinct=len(parts) == 1)
        assert [list(want[0]), want[1]] == [list(got[0]), got[1]]
        assert plain.count == vouched.count
        assert np.array_equal(plain.keys, vouched.keys)
        assert np.array_equal(plain.parent[: plain.count], vouched.parent[: vouched.count])
        assert np.array_equal(plain.via[: plain.count], vouched.via[: vouched.count])


def test_unique_first_is_numpy_unique_with_first_positions() -> None:
    from checker.state_store import unique_first

    rng = np.random.default_rng(11)
    for trial in range(400):
        n, top = int(rng.integers(0, 200)), int(rng.choice([2, 9, 1000, 2**63]))
        keys = rng.integers(0, top, n, dtype=np.uint64)
        if trial % 4 == 0:  # keys of two or three words (void)
            w = int(rng.integers(2, 4))
            wide = rng.integers(0, min(top, 4), (n, w), dtype=np.uint64)
            keys = np.ascontiguousarray(wide).view(np.dtype((np.void, 8 * w))).ravel()
        want, got = np.unique(keys, return_index=True), unique_first(keys)
        assert want[0].dtype == got[0].dtype and np.array_equal(want[0], got[0])
        assert np.array_equal(want[1], got[1])


def test_the_replica_sort_by_network_is_the_sort_by_argsort(monkeypatch: Any) -> None:
    """`MatrixCanon`'s packed sort of replicas' local states: the sorting network (values within
    their fields) gives the matrix the stable argsort gives, for 2..8 replicas of 1..4 rows."""
    from checker.engines.explicit import symmetry

    rng = np.random.default_rng(5)
    for _ in range(150):
        k, r = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        m = k * r + int(rng.integers(0, 3))  # and some rows of no replica
        canon = symmetry.MatrixCanon.__new__(symmetry.MatrixCanon)
        canon.groups = [np.arange(k * r, dtype=np.intp).reshape(k, r)]
        canon.perms = []
        lo = [int(v) for v in rng.integers(-3, 3, m)]
        width = [int(v) for v in rng.integers(1, 4, m)]
        top = int(rng.choice([1, 2, 7]))  # small: many replicas with equal local states
        S = np.array([rng.integers(lo[j], lo[j] + min(top, (1 << width[j]) - 1) + 1, 40) for j in range(m)])
        monkeypatch.setattr(symmetry, "_NETWORK", 0)
        want = canon(S.copy(), lo, width)
        monkeypatch.setattr(symmetry, "_NETWORK", 8)
        got = canon(S.copy(), lo, width)
        assert np.array_equal(want, got)


def _exiting(code: str) -> subprocess.CompletedProcess[str]:
    script = "import atexit, sys, threading\nfrom checker.cli.__main__ import _exit\n" + code
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=script_env(), capture_output=True, text=True, timeout=60
    )


def test_the_process_exit_keeps_the_exit_code_the_handlers_and_the_buffered_output() -> None:
    proc = _exiting("atexit.register(lambda: print('handler ran'))\nprint('buffered', end='')\n_exit(SystemExit(3))")
    assert proc.returncode == 3 and proc.stdout == "bufferedhandler ran\n"
    assert _exiting("print('done')\n_exit(SystemExit(None))").returncode == 0


def test_the_process_exit_leaves_to_python_what_it_cannot_do_as_python_would() -> None:
    # a message for an exit code, and a thread the usual exit waits for: _exit returns
    proc = _exiting("_exit(SystemExit('a message'))\nprint('returned')\nsys.exit('a message')")
    assert proc.returncode == 1 and proc.stdout == "returned\n" and "a message" in proc.stderr
    waiting = "threading.Thread(target=lambda: (__import__('time').sleep(0.3), print('waited for'))).start()\n"
    proc = _exiting(waiting + "_exit(SystemExit(2))\nprint('returned')\nsys.exit(2)")
    assert proc.returncode == 2 and proc.stdout.split() == ["returned", "waited", "for"]
    # a profiler reports after the command returns (`python -m cProfile -m checker.cli ...`)
    profiled = "import cProfile\nprofile = cProfile.Profile()\nprofile.enable()\n_exit(SystemExit(0))\n"
    proc = _exiting(profiled + "profile.disable()\nprint('returned')")
    assert proc.returncode == 0 and proc.stdout == "returned\n"
