"""The README's sample outputs are real runs.

A sample is a fenced block in README.md whose first line is ``$ raceproof ...``: the command,
then what it prints. ``tests/test_readme.py`` runs every sample's command with the installed
``raceproof`` script from the repository root and compares its output with the block, so a
sample cannot drift from what the tool prints. After a change to the output, regenerate the
samples from real runs and read the diff:

    python -m tests.readme_samples          # rewrites README.md's samples in place

Timings (``0.91s``, ``1.2 s``) are the only part compared loosely: they differ between runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

#: a fenced block (no language tag) whose first line is a raceproof command
_SAMPLE = re.compile(r"^```\n(\$ raceproof [^\n]*)\n(.*?)^```$", re.S | re.M)
#: a duration as the CLI prints it: 0.91s, 12.3 s, 4s
_SECONDS = re.compile(r"\b\d+(?:\.\d+)? ?s\b")
#: the width samples are rendered at (rich pads and wraps to the terminal width)
WIDTH = "120"


@dataclass(frozen=True)
class Sample:
    command: str  # without the leading "$ "
    shown: str  # the block's output as the README shows it
    start: int  # offsets of the output in README.md
    end: int


def samples(text: str | None = None) -> list[Sample]:
    text = README.read_text(encoding="utf-8") if text is None else text
    return [Sample(m.group(1)[2:], m.group(2), m.start(2), m.end(2)) for m in _SAMPLE.finditer(text)]


def run(command: str) -> str:
    """What ``command`` prints (stdout), run as a user runs it: the installed script, no colour."""
    argv = shlex.split(command)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FORCE_COLOR")}
    env.update(NO_COLOR="1", COLUMNS=WIDTH, TERM="dumb")
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    return tidy(proc.stdout)


def tidy(text: str) -> str:
    """Trailing blanks off every line (rich pads table rows) and off the end."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def normalize(text: str) -> str:
    """The form two outputs are compared in: tidied, with durations blanked out."""
    return _SECONDS.sub("<t>s", tidy(text))


def update() -> int:
    """Rewrite every sample in README.md with its command's real output; returns how many changed."""
    text = README.read_text(encoding="utf-8")
    changed = 0
    for sample in reversed(samples(text)):  # from the end, so earlier offsets stay valid
        real = run(sample.command)
        if normalize(real) != normalize(sample.shown):
            changed += 1
            text = text[: sample.start] + real + text[sample.end :]
    README.write_text(text, encoding="utf-8")
    return changed


if __name__ == "__main__":
    n = update()
    print(f"{n} README sample(s) rewritten from real runs", file=sys.stderr)
