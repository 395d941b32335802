"""What a spec's run actually read: the modules imported and the files opened while its model
was loaded, built and checked. The verdict cache keys an entry on these files' contents, so a
model that imports a helper dynamically (importlib) or reads a data file gets a fresh verdict
when that helper or file changes (which no reading of its import statements could see).

How: for the duration of the run, the project modules already imported in this process are
set aside (so the run imports afresh whatever it uses, and each import is seen), new entries of
``sys.modules`` are noted, and an audit hook (`sys.addaudithook`, active only inside the
recording) notes every file opened for reading. Afterwards the process's modules are put back
as they were. Library code (the standard library, site-packages) and raceproof's own package
are left out: they are keyed by version (see `checker.gate.hashing`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType, TracebackType

from .hashing import is_project_file, sha256_file

_RECORDING: InputRecorder | None = None
_HOOKED = False
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_MAIN = ("__main__", "__mp_main__")
_SYSTEM = tuple(os.sep + d + os.sep for d in ("proc", "sys", "dev"))


def _audit(event: str, args: tuple[object, ...]) -> None:
    recorder = _RECORDING
    if recorder is None or event != "open" or recorder._busy:
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if isinstance(path, int) or path is None:
        return
    if isinstance(mode, str):
        if any(c in mode for c in "wax+"):
            return
    elif isinstance(flags, int) and flags & _WRITE_FLAGS:
        return
    try:
        name = os.path.abspath(os.fsdecode(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    recorder._opened(name)


def _file(module: ModuleType | None) -> str | None:
    # from the module's own namespace: getattr would call a lazy module's __getattr__, which may
    # import (numpy's compatibility shims re-import an extension module, which it refuses)
    file = vars(module).get("__file__") if isinstance(module, ModuleType) else None
    return file if isinstance(file, str) else None


def _user_module(module: ModuleType | None) -> bool:
    # Python source only: an extension module can never be imported twice in one process
    file = _file(module)
    return file is not None and file.endswith(".py") and is_project_file(file)


class InputRecorder:
    """``with InputRecorder() as rec: ...``; then ``rec.inputs()``: file -> sha256 of its bytes,
    or None when an input changed while the run read it (nothing may then be cached)."""

    def __init__(self) -> None:
        self._busy = False
        self._files: dict[str, tuple[int, int] | None] = {}  # path -> (mtime_ns, size) when first read
        self._hidden: dict[str, ModuleType] = {}
        self._before: set[str] = set()

    def _opened(self, path: str) -> None:
        if path in self._files or path.startswith(_SYSTEM) or f"{os.sep}__pycache__{os.sep}" in path:
            return
        self._busy = True
        try:
            if is_project_file(path, any_suffix=True) and os.path.isfile(path):
                self._files[path] = _stat(path)
        finally:
            self._busy = False

    def __enter__(self) -> InputRecorder:
        global _RECORDING, _HOOKED
        if not _HOOKED:
            sys.addaudithook(_audit)  # for the life of the process, but inert outside a recording
            _HOOKED = True
        self._hidden = {name: m for name, m in list(sys.modules.items()) if name not in _MAIN and _user_module(m)}
        for name in self._hidden:
            del sys.modules[name]
        self._before = set(sys.modules)
        _RECORDING = self
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        global _RECORDING
        _RECORDING = None
        for name in set(sys.modules) - self._before:
            module = sys.modules.get(name)
            file = _file(module)
            if file is not None and _user_module(module):
                file = os.path.abspath(file)
                self._files.setdefault(file, vars(module).get("__raceproof_stamp__") or _stat(file))
                del sys.modules[name]  # this run's copy: the process gets its own back below
        sys.modules.update(self._hidden)

    def inputs(self) -> dict[str, str] | None:
        out = {}
        for path, stamp in sorted(self._files.items()):
            try:
                digest = sha256_file(Path(path))
            except OSError:
                return None
            if stamp is not None and _stat(path) != stamp:
                return None  # edited while the run read it: this verdict belongs to neither version
            out[path] = digest
        return out


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
