"""A private PostgreSQL for the plan store: ``initdb`` into a temporary directory, ``pg_ctl``
on 127.0.0.1 and a free port, a Unix socket in the same directory; stopped and removed at the end.

PostgreSQL refuses to run as root: as root, the cluster belongs to the ``postgres`` user that
Debian's package creates, and its commands run as that user (``runuser``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .bind import free_port, scratch_dir

_BIN_DIRS = (
    sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True) if Path("/usr/lib/postgresql").is_dir() else []
)


def _tool(name: str) -> str | None:
    for folder in _BIN_DIRS:  # Debian keeps initdb and pg_ctl out of PATH
        if (folder / name).exists():
            return str(folder / name)
    return shutil.which(name)


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot run here (what to install), or None if it can."""
    for tool in ("initdb", "pg_ctl"):
        if _tool(tool) is None:
            return f"'{tool}' not found: install Debian's postgresql (apt-get install -y postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs the 'postgres' user (Debian's postgresql package creates it)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    return None


class PostgresServer:
    """One throwaway PostgreSQL cluster; `dsn` connects to its ``postgres`` database."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.port = 0

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {(proc.stderr or proc.stdout).strip()[-500:]}")

    def start(self) -> None:
        missing = postgres_missing()
        if missing:
            raise RuntimeError(missing)
        self.directory = Path(tempfile.mkdtemp(prefix="raceproof-pg-", dir=scratch_dir()))
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")
        data = self.directory / "data"
        initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
        assert initdb and pg_ctl
        self._run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        self.port = free_port()
        options = f"-k {self.directory} -p {self.port} -h 127.0.0.1 -c fsync=off"
        self._run(pg_ctl, "-D", str(data), "-o", options, "-l", str(self.directory / "server.log"), "-w", "start")

    def stop(self) -> None:
        if self.directory is None:
            return
        pg_ctl = _tool("pg_ctl")
        if pg_ctl and (self.directory / "data" / "postmaster.pid").exists():
            try:
                self._run(pg_ctl, "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None
