"""Errors a user can cause, each tied to the place (file, line) that caused it.

Every error here is reported by the CLI as a one-paragraph message and exit code 2,
never as a traceback: they describe bad input, not bugs in raceproof.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import sysconfig
import traceback
from pathlib import Path
from types import FrameType, TracebackType

_CHECKER_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames in these folders are never "the model's line": the stdlib and z3's own code.
_FOREIGN_DIRS = tuple(
    os.path.abspath(p) + os.sep for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)


class RaceproofError(Exception):
    """Base for errors reported to the user with a location."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def where(self) -> str:
        if self.file is None:
            return ""
        path = _relative(self.file)
        return f"{path}:{self.line}" if self.line else path

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class SpecError(RaceproofError):
    """A spec file is malformed or names something that does not exist."""


class ModelError(RaceproofError):
    """Model code is wrong: an unsupported construct, a type error, or an exception."""

    #: the model parameter whose value caused it, when one did (a spec's error names its line)
    param: str | None = None


#: the largest spec or trace read (a spec is a few hundred bytes; a long trace a few megabytes)
MAX_INPUT_BYTES = 64 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_input(path: str | Path, error: type[RaceproofError], what: str, stdin: bool = False) -> str:
    """The text of an input file (a spec, a trace), or ``error`` naming the file: bad input.

    Only regular files are read (``-`` is standard input when ``stdin``), up to
    `MAX_INPUT_BYTES`: a FIFO would hang the run and ``/dev/zero`` would never end. A UTF-8
    byte order mark (Windows editors write one) is skipped; line numbers are unchanged."""
    name = str(path)
    if stdin and name == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        name = "<stdin>"
    else:
        data = _read_regular(name, error, what, stdin)
    if len(data) > MAX_INPUT_BYTES:
        raise error(f"{what} is larger than {MAX_INPUT_BYTES // 2**20} MiB: refusing to read it", name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{what} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})", name, line
        ) from None


def _read_regular(name: str, error: type[RaceproofError], what: str, stdin: bool) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (its kind is refused just below)
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        if os.path.islink(name):
            raise error(
                f"{what} file is a symbolic link to {os.readlink(name)!r}, which does not exist", name
            ) from None
        raise error(f"{what} file not found", name) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error(f"cannot read {what}: a loop of symbolic links", name) from None
        try:  # a socket cannot be opened at all (ENXIO): say what it is
            _check_regular(os.stat(name).st_mode, name, error, what, stdin)
        except OSError:
            pass
        raise error(f"cannot read {what}: {exc.strerror}", name) from None
    try:
        _check_regular(os.fstat(fd).st_mode, name, error, what, stdin)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", name) from None
    finally:
        os.close(fd)


def _check_regular(mode: int, name: str, error: type[RaceproofError], what: str, stdin: bool) -> None:
    if stat.S_ISDIR(mode):
        raise error(f"{what} is a directory, not a file", name)
    if not stat.S_ISREG(mode):
        alt = " or '-' for standard input" if stdin else ""
        raise error(f"{what} is {_kind(mode)}: give a regular file{alt}", name)


class OutputError(RaceproofError):
    """An output file (a report, a trace, a certificate) cannot be written: the path and the
    OS's reason. Checked up front it is a usage error (exit 2); met after a run, it never
    hides the run's verdict (see `checker.atomic`)."""


class InternalError(Exception):
    """raceproof itself is wrong (e.g. a counterexample that does not replay)."""


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _is_checker_file(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_CHECKER_DIR + os.sep)


def _is_foreign(filename: str) -> bool:
    path = os.path.abspath(filename)
    if f"{os.sep}z3{os.sep}" in path:
        return True
    return path.startswith(_FOREIGN_DIRS) and "site-packages" not in path


def model_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame at or above ``frame`` that belongs to model code."""
    while frame is not None and _is_checker_file(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def model_location_from_traceback(tb: TracebackType | None) -> tuple[str | None, int | None]:
    """The innermost traceback entry in model code (not in raceproof, not in the stdlib)."""
    best: tuple[str | None, int | None] = (None, None)
    for entry in traceback.extract_tb(tb):
        name = entry.filename
        if name.startswith("<") or _is_checker_file(name) or _is_foreign(name):
            continue
        best = (name, entry.lineno)
    return best


def error_at_caller(cls: type[RaceproofError], message: str, depth: int = 2) -> RaceproofError:
    """Build an error located at the first model-code frame above the caller."""
    frame = model_frame(sys._getframe(depth))
    if frame is None:
        return cls(message)
    return cls(message, frame.f_code.co_filename, frame.f_lineno)
