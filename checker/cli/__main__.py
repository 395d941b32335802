"""`python -m checker.cli`."""

import os
import sys
from pathlib import Path

from .app import main

# `python -m checker.cli` put the working directory first on the import path; models are
# found from each spec's own project, never from wherever the command happens to run
here = os.path.realpath(sys.path[0] or ".") if sys.path else ""
if here == os.path.realpath(os.getcwd()) and here != str(Path(__file__).resolve().parents[2]):
    del sys.path[0]  # (kept when it is raceproof's own checkout: worker processes import checker from it)
main()
