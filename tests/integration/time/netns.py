"""Network namespaces and daemons for the time tests; everything is removed in finalizers.

Addresses live only inside the namespaces created here; nothing leaves them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from ctsys.run import run
from tests.tools import stop_processes


class Namespaces:
    """Creates namespaces and veth pairs; `close()` deletes them (veths go with them)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: list[str] = []

    def add(self, short: str) -> str:
        name = f"{self.prefix}{short}"
        run(["ip", "netns", "add", name])
        self.names.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def link(self, ns_a: str, addr_a: str, ns_b: str, addr_b: str, tag: str) -> tuple[str, str]:
        """A veth pair between two namespaces, addressed and up; returns the two device names."""
        dev_a, dev_b = f"{self.prefix}{tag}a", f"{self.prefix}{tag}b"
        run(["ip", "link", "add", dev_a, "type", "veth", "peer", "name", dev_b])
        for ns, dev, addr in ((ns_a, dev_a, addr_a), (ns_b, dev_b, addr_b)):
            run(["ip", "link", "set", dev, "netns", ns])
            run(["ip", "-n", ns, "addr", "add", addr, "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
        return dev_a, dev_b

    def close(self) -> None:
        for name in reversed(self.names):
            run(["ip", "netns", "del", name], check=False)
        self.names.clear()


class Daemons:
    """Long-running processes started by a test, stopped by PID (TERM, then KILL)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        stop_processes(self.procs)
        self.procs.clear()


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    """Poll `check` until true or `timeout` seconds: a bounded loop."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
