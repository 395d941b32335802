"""Ctrl-C (SIGINT) stops the command at once, whatever z3 is doing in which thread.

Why this module exists: z3 installs a SIGINT handler of its own around every solver check and
fixedpoint (Spacer) query, its ``ctrl_c`` parameter, on by default, replacing Python's until
the call returns (seen with ``strace -e rt_sigaction``). A Ctrl-C in that window never reaches
Python: z3 cancels the call it is running, the engine reads that as "unknown", and the command
goes on as if nothing had happened. `prove` lost Ctrl-C that way whenever PDR's thread was in
Spacer: PDR ended "unknown", and the portfolio went on waiting for its other engines until the
timeout. z3 even installs its handler over ``SIG_IGN``, so a child that ignores SIGINT did not.

So the command line (`install`, from ``checker.cli.__main__``):

* turns z3's ``ctrl_c`` off as soon as z3 is imported (`quiet_z3`): SIGINT always reaches
  Python's handler, which raises KeyboardInterrupt in the main thread (`handle_errors` reports
  "interrupted: no verdict", exit 3; every engine stops on the way out, in ``finally`` blocks);
* and, because Python runs that handler only between two bytecodes of the main thread, wakes a
  watcher thread through `signal.set_wakeup_fd`, which interrupts z3 while the main thread is
  inside a z3 call (BMC in `check`, the ``--for-all`` ladder, a certificate check): the call
  returns and the KeyboardInterrupt is raised;
* delivers a Ctrl-C again when Python dropped it: raised in a ``__del__`` (z3's ``AstRef``
  objects die all the time) or in a ctypes callback (z3's error handler), a KeyboardInterrupt
  is printed as "Exception ignored" and lost (`sys.unraisablehook`, `_unraisable`);
* and, as a last resort, exits 3 if the command still runs `_EXIT_WITHIN` seconds after Ctrl-C.

An error after Ctrl-C (a z3 call it cancelled fails before the KeyboardInterrupt is raised) is
reported as the interruption (`interrupted`), and a second Ctrl-C does not cut the exit short
(`leaving`).

Child processes (`checker.children.die_with_parent`) ignore SIGINT, with z3's ``ctrl_c`` off too:
a Ctrl-C in a terminal reaches the whole process group, and the parent, which stops them, is
the one that handles it.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

_INTERRUPT_EVERY = 0.05  # seconds between z3 interrupts while the main thread is still inside z3
_PATIENCE = 10.0  # seconds of interrupting before the watcher gives up (z3 ignoring it)
_FRAMES: list[object] = []  # the frames `_interrupt_z3_in` read: kept, the process is leaving (`deadline._in_z3`)

_AGAIN = b"\0"  # written to the wakeup pipe (no signal has number 0): deliver a lost Ctrl-C again
_AGAIN_AT_MOST = 100  # ... that many times at most (each one lost in yet another ``__del__``)
_AGAIN_AFTER = 0.01  # seconds before it is delivered again
_EXIT_WITHIN = 20.0  # seconds after Ctrl-C before the process exits whatever it is doing

_wakeup_write: int | None = None  # the wakeup pipe's end that signals write to (installed once)
_previous_unraisable_hook: Any = None
_interrupted = False
_contexts: set[Any] = set()  # `interruptible`


def quiet_z3() -> None:
    """z3's ``ctrl_c`` off in this process: now if z3 is loaded, else as it is imported."""
    z3 = sys.modules.get("z3")
    if z3 is not None and hasattr(z3, "set_param"):
        _quiet(z3)
    elif not any(isinstance(f, _Z3Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Z3Finder())


def _quiet(z3: Any) -> None:
    with contextlib.suppress(Exception):  # (a z3 without the parameter has no handler to turn off)
        z3.set_param("ctrl_c", False)


class _Z3Finder(importlib.abc.MetaPathFinder):
    """Finds ``z3`` as the other finders would, and sets its parameter once it has loaded."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != "z3":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: z3 is imported once per process
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            _quiet(module)

        loader.exec_module = exec_module  # this spec's own loader object, used for this import only
        return spec


def install(last_words: Callable[[], None] | None = None) -> None:
    """In the command line's main thread, before the command runs (see the module's text).
    ``last_words``: what to print if the command has still not ended `_EXIT_WITHIN` seconds
    after Ctrl-C, as the process exits with 3 (no verdict) regardless."""
    global _wakeup_write
    quiet_z3()
    if _wakeup_write is not None or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # SIGINT ignored (started in the background) or handled by an embedding program
    read, write = os.pipe()
    os.set_blocking(write, False)  # required by set_wakeup_fd: a signal handler never blocks
    try:
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except (ValueError, OSError):
        os.close(read)
        os.close(write)
        return
    _wakeup_write = write
    signal.signal(signal.SIGINT, _on_sigint)
    global _previous_unraisable_hook
    _previous_unraisable_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable
    os.register_at_fork(after_in_child=_forget_in_child)
    threading.Thread(target=_watch, args=(read, last_words), name="raceproof-sigint", daemon=True).start()


def interrupted() -> bool:
    """Whether the user has pressed Ctrl-C in this process (an error after it is its consequence)."""
    return _interrupted


def leaving() -> None:
    """The command is exiting (because of Ctrl-C, or done): another Ctrl-C (users press it twice)
    must not cut that short (a process killed by SIGINT instead of its exit code: Python puts back
    the default action of a signal it handles as it finalizes, not of an ignored one)."""
    if _wakeup_write is not None and threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_sigint(signum: int, frame: Any) -> None:
    global _interrupted
    _interrupted = True
    if _in_hook(frame):  # whose own exception Python drops too (it ran while the hook wrote)
        _again()
        return
    raise KeyboardInterrupt


def _in_hook(frame: Any) -> bool:
    """Whether ``frame`` is the unraisable hook or a call it made (`_again`, `contextlib`)."""
    for _ in range(6):
        if frame is None:
            return False
        if frame.f_code is _unraisable.__code__:
            return True
        frame = frame.f_back
    return False


def _again() -> None:
    if _wakeup_write is not None:
        with contextlib.suppress(OSError):
            os.write(_wakeup_write, _AGAIN)


def _unraisable(unraisable: Any) -> None:
    """A KeyboardInterrupt that Python could not raise (it landed in a ``__del__``, such as z3's
    ``AstRef.__del__``, or in a ctypes callback, such as z3's error handler) is lost, and the
    command would go on: the watcher delivers it again."""
    exc_type = unraisable.exc_type
    if exc_type is not None and issubclass(exc_type, KeyboardInterrupt) and _wakeup_write is not None:
        _again()
        return
    if _interrupted:
        return  # an object half built or half torn down by the interrupt (z3's Context): noise
    if _previous_unraisable_hook is not None:
        _previous_unraisable_hook(unraisable)


def _forget_in_child() -> None:
    """A forked child's signals must not wake the parent's watcher through the inherited pipe."""
    global _wakeup_write
    _wakeup_write = None
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)


def _watch(fd: int, last_words: Callable[[], None] | None) -> None:
    main = threading.main_thread().ident
    again = 0
    deadline: threading.Timer | None = None
    while main is not None:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        if deadline is None and (int(signal.SIGINT) in data or _AGAIN in data):
            # the last resort, should a Ctrl-C still be lost (or the clean-up hang): files are
            # written by renaming a complete one (`checker.atomic`) and children die with this process
            deadline = threading.Timer(_EXIT_WITHIN, _force_exit, (last_words,))
            deadline.daemon = True
            deadline.start()
        if _AGAIN in data and again < _AGAIN_AT_MOST:
            again += 1
            time.sleep(_AGAIN_AFTER)  # let the main thread leave the ``__del__`` (or callback) first
            with contextlib.suppress(OSError, ValueError):  # (the main thread has ended)
                signal.pthread_kill(main, signal.SIGINT)  # a real signal: it also ends a system call
        elif int(signal.SIGINT) in data:
            _interrupt_z3_in(main)


def _force_exit(last_words: Callable[[], None] | None) -> None:
    with contextlib.suppress(Exception):
        if last_words is not None:
            last_words()
    os._exit(3)  # ExitCode.INCONCLUSIVE (this module imports nothing of the command line)


@contextlib.contextmanager
def interruptible(ctx: Any) -> Iterator[None]:
    """A z3 context of its own (not z3's main one) that the main thread works in, in the block:
    Ctrl-C interrupts it too (a certificate re-checked in a fresh context)."""
    _contexts.add(ctx)
    try:
        yield
    finally:
        _contexts.discard(ctx)


def _interrupt_z3_in(tid: int) -> None:
    """Interrupt z3 while thread ``tid`` is inside a z3 call, so that it returns to Python and
    the KeyboardInterrupt pending there is raised (z3 may ignore an interrupt for a while)."""
    from .deadline import _in_z3, hold_gc, release_gc

    ends = time.monotonic() + _PATIENCE
    hold_gc()  # (no collection in this thread while ``tid`` is inside z3: see `hold_gc`)
    try:
        while time.monotonic() < ends and _in_z3(tid, _FRAMES):
            z3 = sys.modules.get("z3")
            if z3 is None:
                return
            for ctx in [z3.main_ctx(), *_contexts]:
                with contextlib.suppress(Exception):
                    ctx.interrupt()
            time.sleep(_INTERRUPT_EVERY)
    finally:
        release_gc()


def ignore_in_child() -> None:
    """In a child process's main thread: Ctrl-C is its parent's to handle (see the module's text)."""
    quiet_z3()
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is done, then raise it (main thread; elsewhere a no-op).

    For steps that must not stop half way: a KeyboardInterrupt inside `multiprocessing`'s
    ``Process.start`` leaves a child started that its parent does not know of (or a Process
    object that cannot be joined), and the half-fed child prints a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            signal.raise_signal(signal.SIGINT)  # to the handler it had: KeyboardInterrupt, as it would have been
