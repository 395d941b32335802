"""A private BIND 9 (`named`) on a loopback port: Route53's role in the example service.

`BindServer.start()` writes a configuration, a dynamic primary zone and a TSIG key
(`tsig-keygen`) into a temporary directory and runs ``named -g`` on 127.0.0.1 and a free
high port; `stop()` ends that process and removes the directory. Nothing listens outside
the loopback interface, and nothing here touches a system-wide BIND.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ZONE = "dynamodb.test."  # .test is reserved (RFC 2606): never a real delegation
KEY_NAME = "raceproof-enactor"
_SBIN = ("/usr/sbin", "/usr/bin", "/sbin")


class BindUnavailable(RuntimeError):
    """BIND is not installed, or could not be started (the message names the package)."""


def find_tool(name: str) -> str | None:
    """The path of a BIND tool; Debian puts `named` and `tsig-keygen` in /usr/sbin."""
    found = shutil.which(name)
    if found:
        return found
    for folder in _SBIN:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    return None


def bind_missing() -> str | None:
    """Why BIND cannot run here (which Debian package to install), or None if it can."""
    for tool, package in (("named", "bind9"), ("tsig-keygen", "bind9-utils")):
        if find_tool(tool) is None:
            return f"'{tool}' not found: install Debian's {package} (apt-get install -y bind9 bind9-utils)"
    return None


def scratch_dir() -> str | None:
    """Where throwaway servers keep their files: memory (/dev/shm) when there is one, so that
    their fsyncs cost nothing; the system's temporary directory otherwise."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def free_port() -> int:
    """A loopback port free for TCP and UDP now (another process may still take it: start retries)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return int(port)


@dataclass
class TsigKey:
    name: str
    algorithm: str
    secret: str

    @classmethod
    def generate(cls, name: str = KEY_NAME) -> tuple[TsigKey, str]:
        """A fresh key from `tsig-keygen`, and the key clause it printed (for named.conf)."""
        tool = find_tool("tsig-keygen")
        if tool is None:
            raise BindUnavailable("'tsig-keygen' not found: install Debian's bind9-utils")
        text = subprocess.run([tool, "-a", "hmac-sha256", name], capture_output=True, text=True, check=True).stdout
        secret = re.search(r'secret\s+"([^"]+)"', text)
        algorithm = re.search(r"algorithm\s+([\w-]+)", text)
        if not secret or not algorithm:
            raise BindUnavailable(f"tsig-keygen printed no key: {text!r}")
        return cls(name, algorithm.group(1), secret.group(1)), text


class BindServer:
    """One `named` process serving the dynamic zone `ZONE`; use as a context manager."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.key: TsigKey | None = None
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BindServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, attempts: int = 3) -> None:
        missing = bind_missing()
        if missing:
            raise BindUnavailable(missing)
        self.directory = Path(tempfile.mkdtemp(prefix="raceproof-bind-", dir=scratch_dir()))
        self.key, key_clause = TsigKey.generate()
        (self.directory / "tsig.key").write_text(key_clause)
        (self.directory / "zone.db").write_text(
            f"$TTL 60\n@ IN SOA ns.{ZONE} admin.{ZONE} 1 3600 600 86400 60\n@ IN NS ns.{ZONE}\nns IN A 127.0.0.1\n"
        )
        if os.geteuid() == 0 and _user_exists("bind"):  # named runs as 'bind' (-u): it writes the journal
            for path in [self.directory, *self.directory.iterdir()]:
                shutil.chown(path, user="bind")
        last = ""
        for _ in range(attempts):  # a free port can be taken between choosing and binding it
            self.port = free_port()
            self._write_conf()
            last = self._launch()
            if not last:
                return
        self.stop()
        raise BindUnavailable(f"named did not start: {last}")

    def _write_conf(self) -> None:
        assert self.directory is not None and self.key is not None
        d = self.directory
        (d / "named.conf").write_text(
            f"""options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
}};
controls {{ }};
include "{d}/tsig.key";
zone "{ZONE.rstrip(".")}" {{
    type primary;
    file "{d}/zone.db";
    journal "{d}/zone.db.jnl";
    allow-update {{ key "{self.key.name}"; }};
}};
"""
        )

    def _launch(self) -> str:
        """Start named and wait until it answers; '' on success, else why not."""
        assert self.directory is not None
        named = find_tool("named")
        assert named is not None
        log = open(self.directory / "named.log", "wb")  # noqa: SIM115 - closed with the process
        args = [named, "-g", "-n", "1", "-c", str(self.directory / "named.conf")]  # one worker: a small box
        if os.geteuid() == 0 and _user_exists("bind"):
            args += ["-u", "bind"]
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._answers():
                return ""
            time.sleep(0.05)
        text = (self.directory / "named.log").read_text(errors="replace")
        self._kill()
        tail = "\n".join(text.strip().splitlines()[-5:])
        return f"no answer on {self.host}:{self.port} within 15 s; named's log ends:\n{tail}"

    def _answers(self) -> bool:
        import dns.exception
        import dns.message
        import dns.query
        import dns.rcode

        try:
            reply = dns.query.tcp(dns.message.make_query(ZONE, "SOA"), self.host, port=self.port, timeout=0.5)
        except (OSError, EOFError, dns.exception.DNSException):
            return False
        return reply.rcode() == dns.rcode.NOERROR and bool(reply.answer)

    def _kill(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def stop(self) -> None:
        self._kill()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
