"""The README says what the tool does: its sample outputs are real runs, its commands exist."""

from __future__ import annotations

import re
import shlex

import pytest

from tests import readme_samples
from tests.readme_samples import README, REPO, normalize, samples

SAMPLES = samples()


def test_the_readme_has_samples() -> None:
    assert SAMPLES, "README.md shows no `$ raceproof ...` sample: the headline counterexample is one"


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.command for s in SAMPLES])
def test_sample_is_what_the_command_prints(sample: readme_samples.Sample) -> None:
    real = readme_samples.run(sample.command)
    assert normalize(sample.shown) == normalize(real), (
        f"README.md's sample of `{sample.command}` differs from a real run; "
        "regenerate with `python -m tests.readme_samples` and read the diff"
    )


def test_normalize_blanks_durations_only() -> None:
    assert normalize("bmc to depth 12, 0.91s  \nin 12 s\n\n") == "bmc to depth 12, <t>s\nin <t>s\n"
    assert normalize("9 steps") == "9 steps\n"


def _shell_commands() -> list[list[str]]:
    """Every ``raceproof`` command line in the README's ```sh blocks, split into words."""
    text = README.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```sh\n(.*?)^```$", text, re.S | re.M):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            for part in line.split("&&"):
                words = shlex.split(part)
                if words[:1] == ["raceproof"]:
                    found.append(words)
    return found


def test_spec_files_the_readme_names_exist() -> None:
    """A spec path in a README command (globs included) names files of this repository."""
    named = [w for words in _shell_commands() for w in words if w.startswith("specs/")]
    assert named
    for word in named:
        assert list(REPO.glob(word)), f"README names {word}, which matches no file"


def test_files_the_readme_reads_are_written_first() -> None:
    """`raceproof report FILE` in the README reads a file that an earlier README command writes."""
    written: set[str] = set()
    for words in _shell_commands():
        if words[1] == "report":
            assert words[2] in written, f"README runs `raceproof report {words[2]}` before any command writes it"
        for i, word in enumerate(words):
            if word in ("--itf", "-o", "--certificate", "--junit", "--summary") and i + 1 < len(words):
                written.add(words[i + 1])
            if word == "--report" and i + 1 < len(words):
                written.add(words[i + 1].split(":", 1)[1])
