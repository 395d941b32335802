"""`python -m checker.cli`, and the `raceproof` script (`run`)."""

import atexit
import contextlib
import gc
import os
import sys
import threading
from pathlib import Path

from . import GC_YOUNG_THRESHOLD


def run() -> None:
    """The command line as a process: Python's young-generation threshold raised before the
    command line's own imports (click, rich), not only for the command (`app._Cli.main`); and
    the process ended without the interpreter's teardown (`_exit`)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
    try:
        from ..interrupts import install, leaving

        # Ctrl-C reaches Python (not z3's own handler) and stops a main thread inside z3
        install(_interrupted_for_good)
        from .app import exit_in_flight, main
    except KeyboardInterrupt:  # Ctrl-C while the command line loads (click, rich): no verdict either
        how = _interrupted()
        _exit(how)
        raise how from None
    try:
        main()
    except SystemExit as exc:
        leaving()  # the command has ended and chosen its exit code: a Ctrl-C now must not change it
        _exit(exc)
        raise
    except KeyboardInterrupt as exc:  # past click's handlers (`app._Cli`), e.g. as it restored its settings
        leaving()
        how = exit_in_flight(exc) or _interrupted()  # a command that had exited keeps its exit code
        _exit(how)
        raise how from None
    finally:
        leaving()
    _exit(SystemExit(None))


def _interrupted() -> SystemExit:
    """Ctrl-C outside the command (before it, or after click let go of it): what `handle_errors`
    says, and exit 3 (no verdict), never Python's traceback and its exit status (130, or 1)."""
    import signal

    with contextlib.suppress(ValueError, OSError):  # a second Ctrl-C must not cut the exit short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    message = "interrupted: no verdict"
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(f"{message}\n")
        sys.stderr.flush()
        if "--json" in sys.argv[1:]:  # stdout holds one JSON object whatever happened (as `common.error_json`)
            import json

            from .. import __version__

            error = {"raceproof": __version__, "exit_code": 3, "error": "no_verdict", "errors": [{"message": message}]}
            sys.stdout.write(json.dumps(error, indent=2) + "\n")
            sys.stdout.flush()
    return SystemExit(3)


def _interrupted_for_good() -> None:
    """Printed from another thread as the process exits, when the command has not ended in time
    after Ctrl-C (`checker.interrupts`): what `handle_errors` would have printed."""
    message = "interrupted: no verdict (the clean-up did not end in time)"
    os.write(2, f"{message}\n".encode())
    common = sys.modules.get("checker.cli.common")
    if common is not None and "--json" in sys.argv[1:]:
        os.write(1, (common.error_json(common.ExitCode.INCONCLUSIVE, [message]) + "\n").encode())


def _exit(how: SystemExit) -> None:
    """End the process now, as ``raise how`` would, minus the interpreter's teardown.

    Tearing down frees every object one by one: the modules, z3's contexts with their solvers
    and Spacer's state, the model's encodings. On `prove` of a DNS fix that was 0.05-0.1 s of
    CPU, a tenth of the whole run, for memory the operating system takes back at once anyway.
    What an exit must still do is done first: the exit handlers (``atexit``: multiprocessing
    stops its children, logging flushes) and the standard streams flushed. Returns (and the
    caller exits as usual) when that is not clearly safe: a non-daemon thread still running
    (the usual exit waits for it), an exit code Python would print (``sys.exit("message")``),
    a stream that fails to flush (the usual exit reports it and its exit status says so), a
    profiler or tracer watching (``python -m cProfile -m checker.cli``: it reports after the
    command returns), or ``python -i`` (the session goes on).
    """
    code = how.code
    if code is not None and not isinstance(code, int):
        return
    if sys.getprofile() is not None or sys.gettrace() is not None or sys.flags.inspect:
        return
    if any(t is not threading.main_thread() and not t.daemon and t.is_alive() for t in threading.enumerate()):
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()  # (which then forgets them: the usual exit would not run them again)
    if _flushed():  # (what the handlers printed)
        os._exit(code or 0)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


if __name__ == "__main__":
    # `python -m checker.cli` put the working directory first on the import path; models are
    # found from each spec's own project, never from wherever the command happens to run
    here = os.path.realpath(sys.path[0] or ".") if sys.path else ""
    if here == os.path.realpath(os.getcwd()) and here != str(Path(__file__).resolve().parents[2]):
        del sys.path[0]  # (kept when it is raceproof's own checkout: worker processes import checker from it)
    run()
