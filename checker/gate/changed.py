"""`--changed-since REV`: the files that differ from a git revision (committed, staged,
unstaged or untracked), to check only the specs whose inputs changed."""

from __future__ import annotations

import subprocess
from pathlib import Path


class GitError(Exception):
    pass


def _git(cwd: Path, *args: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitError("--changed-since needs git, which is not installed") from None
    if proc.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {proc.stderr.strip() or f'exit {proc.returncode}'}")
    return proc.stdout


def changed_files(rev: str, cwd: Path | None = None) -> set[Path]:
    """Resolved paths of every file that differs between ``rev`` and the working tree."""
    here = cwd or Path.cwd()
    try:
        top = Path(_git(here, "rev-parse", "--show-toplevel").strip())
    except GitError as exc:
        raise GitError(f"--changed-since {rev}: {here} is not in a git repository ({exc})") from None
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except GitError:
        if rev != "HEAD" or _has_commits(top):
            raise GitError(f"--changed-since {rev}: not a revision of the repository at {top}") from None
        # a repository before its first commit (the pre-commit hook's first run): all of it is new
        names = _git(top, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
        return {(top / name).resolve() for name in names if name}
    names = _git(top, "diff", "--name-only", "--no-renames", rev, "--").splitlines()
    names += _git(top, "ls-files", "--others", "--exclude-standard").splitlines()
    return {(top / name).resolve() for name in names if name}


def _has_commits(top: Path) -> bool:
    return bool(_git(top, "rev-list", "-n", "1", "--all").strip())
