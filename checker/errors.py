"""Errors a user can cause, each tied to the place (file, line) that caused it.

Every error here is reported by the CLI as a one-paragraph message and exit code 2,
never as a traceback: they describe bad input, not bugs in raceproof.
"""

from __future__ import annotations

import os
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


def read_input(path: str | Path, error: type[RaceproofError], what: str) -> str:
    """The text of an input file (a spec, a trace), or ``error`` naming the file: bad input."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} file not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what}: {exc}", str(path)) from None


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
