"""Outputs under faults (issue 17, sections 1 and 2): nothing at the target path is destroyed,
and an output that cannot be written never hides the verdict.

Faults come two ways. A patched writer (always runs) makes `checker.atomic` meet ENOSPC in
the middle of a write, or EROFS when it creates its file. Real filesystems (as root, where
mounting is permitted; skipped otherwise): a tiny tmpfs filled to the brim, a tmpfs remounted
read-only (chmod does not stop root), and copies of /dev/null and /dev/full made with mknod,
so that a regression replaces a copy, never the machine's own device.
"""

from __future__ import annotations

import errno
import io
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.atomic import check_target, write_text_atomic
from checker.errors import OutputError
from tests.conftest import REPO, CliResult, run_cli

VIOLATED = (
    'model = "tests.models.counter:NonAtomicCounter"\n[check]\ndepth = 4\n[expect]\nno_lost_update = "violated"\n'
)
HOLDS = 'model = "tests.models.counter:AtomicCounter"\n[check]\ndepth = 3\n[expect]\nno_lost_update = "holds"\n'
PROVED = 'model = "tests.models.counter:AtomicCounter"\n[check]\ndepth = 3\n[expect]\nno_lost_update = "proved"\n'
# a gate FAIL: the race, expected to hold
GATE_FAIL = 'model = "tests.models.counter:NonAtomicCounter"\n[check]\ndepth = 4\n[expect]\nno_lost_update = "holds"\n'


@pytest.fixture
def specs(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "specs"
    folder.mkdir()
    out = {}
    for name, text in (("violated", VIOLATED), ("holds", HOLDS), ("proved", PROVED), ("gate_fail", GATE_FAIL)):
        out[name] = folder / f"{name}.toml"
        out[name].write_text(text)
    return out


@pytest.fixture
def trace(specs: dict[str, Path], tmp_path: Path) -> Path:
    path = tmp_path / "race.itf.json"
    assert run_cli("check", str(specs["violated"]), "--itf", str(path)).exit_code == 1
    return path


# ---------------------------------------------------------------------------- faults
def _root_only() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (mknod, mount)")


def _mknod_copy(folder: Path, device: str) -> Path:
    _root_only()
    st = os.stat(device)
    copy = folder / Path(device).name
    try:
        os.mknod(copy, 0o666 | stat.S_IFCHR, st.st_rdev)
    except OSError as exc:
        pytest.skip(f"mknod not permitted: {exc}")
    return copy


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, unmounted afterwards."""
    _root_only()
    mnt = tmp_path / "fs"
    mnt.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if mount.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted: {mount.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


class _OsProxy:
    """``os`` for `checker.atomic` only, with some functions replaced."""

    def __init__(self, **replaced: Callable[..., Any]) -> None:
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


class _FillsUp(io.TextIOWrapper):
    """A text file on a disk that fills up after a few bytes: a partial file, then ENOSPC."""

    def write(self, text: str) -> int:
        super().write(text[:10])
        super().flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _enospc_fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    if "w" not in mode:
        return os.fdopen(fd, mode, *args, **kwargs)
    return _FillsUp(os.fdopen(fd, "wb"), encoding="utf-8")


class Fault:
    """Where outputs go, and which files the output folder held before."""

    def __init__(self, folder: Path, errno_name: str) -> None:
        self.folder, self.errno_name = folder, errno_name
        folder.mkdir(parents=True, exist_ok=True)
        self.before = {p.name for p in folder.iterdir()}

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def assert_nothing_left(self) -> None:
        """No partial file, no temporary file: the folder is as it was."""
        assert {p.name for p in self.folder.iterdir()} == self.before


@pytest.fixture(params=["patched_enospc", "patched_erofs", "full_tmpfs"])
def fault(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fault:
    if request.param == "patched_enospc":
        monkeypatch.setattr("checker.atomic.os", _OsProxy(fdopen=_enospc_fdopen))
        return Fault(tmp_path / "out", "ENOSPC")
    if request.param == "patched_erofs":

        def erofs(*args: Any, **kwargs: Any) -> Any:  # the filesystem went read-only during the run
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

        monkeypatch.setattr("checker.atomic.tempfile", type("T", (), {"mkstemp": staticmethod(erofs)}))
        return Fault(tmp_path / "out", "EROFS")
    mnt = request.getfixturevalue("tmpfs")
    _fill(mnt)
    return Fault(mnt, "ENOSPC")


def assert_reported(result: CliResult, fault: Fault, path: str) -> None:
    assert f"{path}: cannot write" in result.stderr and fault.errno_name in result.stderr, result.stderr
    assert "internal error" not in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------- 2. the verdict survives
def test_a_violation_stays_exit_1_when_its_itf_cannot_be_written(specs: dict[str, Path], fault: Fault) -> None:
    target = fault.path("race.itf.json")
    result = run_cli("check", str(specs["violated"]), "--itf", target)
    assert result.exit_code == 1, result.output
    assert "violated" in result.stdout and "Counterexample to no_lost_update" in result.stdout
    assert_reported(result, fault, target)
    fault.assert_nothing_left()


def test_a_pass_whose_report_cannot_be_written_exits_2_with_the_verdict(specs: dict[str, Path], fault: Fault) -> None:
    target = fault.path("report.html")
    result = run_cli("check", str(specs["holds"]), "--report", f"html:{target}")
    assert result.exit_code == 2, result.output
    assert "holds" in result.stdout
    assert_reported(result, fault, target)
    fault.assert_nothing_left()


def test_json_keeps_the_verdict_and_lists_the_output_errors(specs: dict[str, Path], fault: Fault) -> None:
    target = fault.path("race.itf.json")
    result = run_cli("check", str(specs["violated"]), "--json", "--itf", target, "--report", f"md:{fault.path('r.md')}")
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["exit_code"] == 1 and out["specs"][0]["results"][0]["verdict"] == "violated"
    assert out["itf"] == [] and len(out["output_errors"]) == 2
    fault.assert_nothing_left()


def test_a_proof_whose_certificate_cannot_be_written_is_printed_and_exits_2(
    specs: dict[str, Path], fault: Fault
) -> None:
    target = fault.path("proof.smt2")
    result = run_cli("prove", str(specs["proved"]), "--engine", "kind", "--certificate", target)
    assert result.exit_code == 2, result.output
    assert "proved" in result.stdout and "Inductive invariant" in result.stdout
    assert_reported(result, fault, target)
    fault.assert_nothing_left()


def test_a_graph_that_cannot_be_written_leaves_no_empty_file(specs: dict[str, Path], fault: Fault) -> None:
    dot, graphml = fault.path("g.dot"), fault.path("g.graphml")
    result = run_cli("graph", str(specs["holds"]), "--dot", dot, "--graphml", graphml)
    assert result.exit_code == 2, result.output
    assert_reported(result, fault, dot)
    assert_reported(result, fault, graphml)
    fault.assert_nothing_left()


def test_report_output_that_cannot_be_written_is_exit_2(trace: Path, fault: Fault) -> None:
    target = fault.path("race.html")
    result = run_cli("report", str(trace), "--format", "html", "-o", target)
    assert result.exit_code == 2, result.output
    assert_reported(result, fault, target)
    fault.assert_nothing_left()


def test_a_gate_fail_stays_exit_1_with_its_footer(specs: dict[str, Path], fault: Fault, tmp_path: Path) -> None:
    junit, summary = fault.path("gate.xml"), fault.path("summary.md")
    args = ["--no-cache", "--junit", junit, "--summary", summary]
    result = run_cli("gate", str(specs["gate_fail"]), *args, "--artifacts", str(tmp_path / "art"))
    assert result.exit_code == 1, result.output
    assert "gate: FAIL (exit 1)" in result.stdout
    assert_reported(result, fault, junit)
    assert_reported(result, fault, summary)
    fault.assert_nothing_left()


def test_a_gate_pass_whose_junit_cannot_be_written_exits_2_with_its_footer(
    specs: dict[str, Path], fault: Fault
) -> None:
    junit = fault.path("gate.xml")
    result = run_cli("gate", str(specs["holds"]), "--no-cache", "--junit", junit)
    assert result.exit_code == 2, result.output
    assert "gate: bad input (exit 2)" in result.stdout and "1 met" in result.stdout
    assert_reported(result, fault, junit)
    fault.assert_nothing_left()


def test_gate_failure_reports_that_cannot_be_written_keep_the_fail(specs: dict[str, Path], fault: Fault) -> None:
    artifacts = fault.folder / "reports"
    result = run_cli("gate", str(specs["gate_fail"]), "--no-cache", "--json", "--artifacts", str(artifacts))
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["exit_code"] == 1 and out["output_errors"] and fault.errno_name in out["output_errors"][0]
    assert not any(p.is_file() for p in fault.folder.rglob("*") if p.name != "filler")


# ---------------------------------------------------------------------------- checked up front
def test_report_targets_are_checked_before_the_run(specs: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    for bad in (str(tmp_path / "a_file" / "r.html"), str(tmp_path)):
        result = run_cli("check", str(specs["violated"]), "--report", f"html:{bad}")
        assert result.exit_code == 2, result.output
        assert result.stdout == "" and "--report" in result.stderr  # no run: a usage error


@pytest.mark.parametrize(
    "option",
    [["check", "--itf"], ["check", "--report", "html:"], ["prove", "--certificate"], ["graph", "--dot"]],
)
def test_a_read_only_folder_is_refused_up_front(
    specs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: list[str]
) -> None:
    # as root, chmod does not make a folder read-only: patch the access check (a real one below)
    monkeypatch.setattr("checker.atomic.os", _OsProxy(access=lambda *args, **kwargs: False))
    verb, flag, *prefix = option  # --report's value is FORMAT:FILE
    target = "".join(prefix) + str(tmp_path / "out.txt")
    result = run_cli(verb, str(specs["holds"]), flag, target)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "cannot write: permission denied" in result.stderr


def test_a_read_only_tmpfs_is_refused_up_front(specs: dict[str, Path], tmpfs: Path) -> None:
    remount = subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True)
    if remount.returncode != 0:
        pytest.skip(f"remounting read-only is not permitted: {remount.stderr.decode().strip()}")
    with pytest.raises(OutputError, match="read-only filesystem"):
        check_target(tmpfs / "x.json")
    result = run_cli("check", str(specs["violated"]), "--itf", str(tmpfs / "race.itf.json"))
    assert result.exit_code == 2 and "read-only filesystem" in result.stderr, result.output
    result = run_cli("gate", str(specs["holds"]), "--no-cache", "--summary", str(tmpfs / "s.md"))
    assert result.exit_code == 2 and "read-only filesystem" in result.stderr, result.output


def test_a_full_device_is_written_through_and_reported(specs: dict[str, Path], tmp_path: Path) -> None:
    full = _mknod_copy(tmp_path, "/dev/full")
    result = run_cli("check", str(specs["violated"]), "--itf", str(full))
    assert result.exit_code == 1 and "No space left on device" in result.stderr, result.output
    assert stat.S_ISCHR(os.stat(full).st_mode)  # still the device


# ---------------------------------------------------------------------------- 1. nothing destroyed
def test_a_device_at_the_target_stays_a_device(specs: dict[str, Path], trace: Path, tmp_path: Path) -> None:
    null = _mknod_copy(tmp_path, "/dev/null")
    before = os.stat(null)
    assert run_cli("report", str(trace), "-o", str(null)).exit_code == 0
    assert run_cli("check", str(specs["violated"]), "--itf", str(null), "--report", f"html:{null}").exit_code == 1
    assert run_cli("graph", str(specs["holds"]), "--dot", str(null)).exit_code == 0
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_fifo_at_the_target_is_written_through(trace: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run_cli("report", str(trace), "--format", "md", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert b"no_lost_update" in received[0]


def test_a_symlink_is_followed_and_kept(trace: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "report.md"
    real.parent.mkdir()
    real.write_text("old")
    os.chmod(real, 0o600)
    link = tmp_path / "report.md"
    link.symlink_to(real)
    assert run_cli("report", str(trace), "--format", "md", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "no_lost_update" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # the replaced file's permissions are kept
    assert [p.name for p in real.parent.iterdir()] == ["report.md"]
    dangling = tmp_path / "new.md"
    dangling.symlink_to(tmp_path / "elsewhere" / "created.md")
    assert run_cli("report", str(trace), "--format", "md", "-o", str(dangling)).exit_code == 0
    assert dangling.is_symlink() and "no_lost_update" in (tmp_path / "elsewhere" / "created.md").read_text()


def test_links_loops_folders_and_sockets_are_refused(specs: dict[str, Path], trace: Path, tmp_path: Path) -> None:
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    sock_path = tmp_path / "s.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    (tmp_path / "folder").mkdir()
    for target, phrase in (
        (tmp_path / "loop1", "a loop of symbolic links"),
        (sock_path, "a socket"),
        (tmp_path / "folder", "a directory"),
    ):
        with pytest.raises(OutputError, match=phrase):
            write_text_atomic(target, "x")
        result = run_cli("check", str(specs["violated"]), "--report", f"md:{target}")
        assert result.exit_code == 2 and result.stdout == "", result.output
    assert sock_path.exists() and stat.S_ISSOCK(os.stat(sock_path).st_mode)


def test_dev_stdout_redirected_to_a_file_is_written_in_place(specs: dict[str, Path], tmp_path: Path) -> None:
    """`--itf /dev/stdout > out.txt`: the trace lands after the verdict; the shell's file is kept."""
    out = tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    with out.open("w") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "checker.cli", "check", str(specs["violated"]), "--itf", "/dev/stdout"],
            stdout=fh,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=env,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 1, proc.stderr
    text = out.read_text()
    verdict, rest = text.split("\n{\n", 1)
    assert "violated" in verdict
    trace, after = rest.rsplit("\n}\n", 1)
    assert json.loads("{\n" + trace + "\n}")["#meta"]["property"] == "no_lost_update"
    assert after == "" and b"ITF trace written to /dev/stdout" in proc.stderr  # status lines: stderr


@pytest.mark.parametrize(("spec", "code"), [("violated", 1), ("holds", 2)])
def test_a_full_standard_output_keeps_the_verdicts_exit_code(specs: dict[str, Path], spec: str, code: int) -> None:
    """`raceproof check SPEC > file-on-a-full-disk`: the violation still exits 1, never 3."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    with open("/dev/full", "w") as full:  # opened by the test, as a shell redirection would
        proc = subprocess.run(
            [sys.executable, "-m", "checker.cli", "check", str(specs[spec])],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
            timeout=120,
            check=False,
        )
    assert proc.returncode == code, proc.stderr
    assert "<stdout>: cannot write: No space left on device" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
