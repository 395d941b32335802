"""Writing output files: never a half-written file, never a clobbered device or link.

Reports, ITF traces, JUnit files, certificates, graphs and cache entries go through here.
What happens depends on what is at the target path:

- nothing, or a regular file: the text is written to a temporary file in the target's folder
  and renamed over it, so a crash, a kill or a full disk never leaves a partial file (the
  temporary file is removed on any failure). The new file gets the permissions of the file
  it replaces, or those a plain ``open(path, "w")`` would give.
- a character device or a FIFO (``/dev/null``, a named pipe), or a descriptor this process
  has open (``/dev/stdout``, ``/dev/fd/N``, whatever it is): the text is written through to
  it, as a shell redirection would. Renaming over it would replace the
  device node with a regular file (as root, ``-o /dev/null`` would replace ``/dev/null``).
- a symbolic link: it is followed, as a shell redirection would; the link stays, and the
  file it points to is the target by the rules above (a dangling link's target is created).
  A loop of links is refused.
- a directory, a socket or a block device: refused.

Every refusal and every OS failure is an `OutputError` naming the path and the reason.
`check_target` applies the same rules up front, so a run does not start with an output it
cannot write.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _error(path: str | Path, exc: OSError, doing: str = "cannot write") -> OutputError:
    reason = "a loop of symbolic links" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
    return OutputError(f"{doing}: {reason} [{errno.errorcode.get(exc.errno or 0, exc.errno)}]", str(path))


def _existing_ancestor(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _target(path: Path) -> tuple[str, Path, os.stat_result | None]:
    """How to write ``path``: ("replace", the file to rename over, its stat or None) or
    ("through", the path to open, its stat). Raises `OutputError` for what must not be written."""
    try:
        st = os.stat(path)  # follows links: the kind of what a link points to
    except FileNotFoundError:
        st = None
    except OSError as exc:  # ELOOP, ENOTDIR (a file where a folder should be), EACCES
        raise _error(path, exc) from None
    if st is not None and _descriptor(path) is not None:
        return "through", path, st  # /dev/stdout on a redirected file: never rename over the shell's file
    if st is None or stat.S_ISREG(st.st_mode):
        # a link is followed: the file it points to is replaced, the link stays
        real = Path(os.path.realpath(path)) if path.is_symlink() else path
        return "replace", real, st
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return "through", path, st
    kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a socket or block device"
    raise OutputError(f"cannot write: it is {kind}, not a file", str(path))


def _descriptor(path: Path) -> int | None:
    """The descriptor /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N names, if it does."""
    name = os.path.abspath(path)
    if name in ("/dev/stdout", "/dev/stderr"):
        return 1 if name == "/dev/stdout" else 2
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return int(name[len(prefix) :])
    return None


def check_target(path: str | Path) -> None:
    """Refuse (`OutputError`) an output path that cannot be written, before any work is done."""
    mode, real, _ = _target(Path(path))
    if mode == "through":
        if not os.access(real, os.W_OK):
            raise OutputError("cannot write: permission denied", str(path))
        return
    folder = _existing_ancestor(real.parent if str(real.parent) else Path("."))
    if not folder.is_dir():
        raise OutputError(f"cannot write: {folder} is not a folder", str(path))
    # os.access is also false for root on a read-only filesystem (EROFS)
    if not os.access(folder, os.W_OK | os.X_OK):
        reason = "read-only filesystem" if _read_only(folder) else "permission denied"
        raise OutputError(f"cannot write: {reason} ({folder})", str(path))


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def write_atomic_with(path: str | Path, write: Callable[[IO[str]], None], durable: bool = False) -> None:
    """Call ``write`` on a text file that becomes ``path`` only once it is complete (see the
    module's docstring for devices, FIFOs and links). ``durable`` also syncs it to disk before
    the rename (cache entries). An OS failure is an `OutputError`; nothing partial is left."""
    path = Path(path)
    mode, real, st = _target(path)
    if mode == "through":
        _write_through(path, write)
        return
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise _error(path, exc) from None
    try:
        os.fchmod(fd, st.st_mode & 0o777 if st is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, real)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _error(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_through(path: Path, write: Callable[[IO[str]], None]) -> None:
    """A device or FIFO: opened for writing as it is (no creation, no rename). A descriptor this
    process has open (/dev/stdout) is written through a duplicate, sharing its offset: on a
    redirected file, the text lands after what was printed, and what is printed next after it."""
    try:
        own = _descriptor(path)
        if own is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            fd = os.dup(own)
        else:
            fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            write(fh)
    except OSError as exc:
        raise _error(path, exc) from None


def write_text_atomic(path: str | Path, text: str) -> None:
    write_atomic_with(path, lambda fh: fh.write(text))
