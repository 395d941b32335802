"""Atomic file writes: a crash or a kill never leaves a half-written file behind.

Reports, ITF traces, JUnit files and cache entries are written to a temporary file in the
target's folder and renamed over it. The temporary file is created private (mkstemp); it gets
the permissions a plain ``open(path, "w")`` would have given before it is renamed, so reports
stay readable by the CI runner's other steps.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic_with(path: str | Path, write: Callable[[IO[str]], None], durable: bool = False) -> None:
    """Call ``write`` on a text file that becomes ``path`` only once it is complete.
    ``durable`` also syncs it to disk before the rename (cache entries)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    write_atomic_with(path, lambda fh: fh.write(text))
