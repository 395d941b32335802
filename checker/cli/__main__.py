"""`python -m checker.cli`, and the `raceproof` script (`run`)."""

import gc
import os
import sys
from pathlib import Path

from . import GC_YOUNG_THRESHOLD


def run() -> None:
    """The command line as a process: Python's young-generation threshold raised before the
    command line's own imports (click, rich), not only for the command (`app._Cli.main`)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_YOUNG_THRESHOLD), *thresholds[1:])
    from ..interrupts import install, leaving

    # Ctrl-C reaches Python (not z3's own handler) and stops a main thread inside z3
    install(_interrupted_for_good)
    from .app import main

    try:
        main()
    finally:  # the command has ended and chosen its exit code: a Ctrl-C now must not change it
        leaving()


def _interrupted_for_good() -> None:
    """Printed from another thread as the process exits, when the command has not ended in time
    after Ctrl-C (`checker.interrupts`): what `handle_errors` would have printed."""
    message = "interrupted: no verdict (the clean-up did not end in time)"
    os.write(2, f"{message}\n".encode())
    common = sys.modules.get("checker.cli.common")
    if common is not None and "--json" in sys.argv[1:]:
        os.write(1, (common.error_json(common.ExitCode.INCONCLUSIVE, [message]) + "\n").encode())


if __name__ == "__main__":
    # `python -m checker.cli` put the working directory first on the import path; models are
    # found from each spec's own project, never from wherever the command happens to run
    here = os.path.realpath(sys.path[0] or ".") if sys.path else ""
    if here == os.path.realpath(os.getcwd()) and here != str(Path(__file__).resolve().parents[2]):
        del sys.path[0]  # (kept when it is raceproof's own checkout: worker processes import checker from it)
    run()
