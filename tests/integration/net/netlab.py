"""A small lab of network namespaces for the network tests: an appliance and its neighbours.

    corp (10.77.1.2) --- eth1 [appliance "srv"] eth2 --- cam (10.77.2.2)
      corporate network                    camera network

Links are created directly inside the namespaces (never in the host's), and
everything is deleted in `close()`; daemons are stopped by PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ctsys.run import run
from tests.tools import stop_processes

HTTP_SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("camera " + sys.argv[2] + " path " + self.path).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[3])), H).serve_forever()
"""


class Lab:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.srv, self.corp, self.cam = f"ctn{tag}srv", f"ctn{tag}corp", f"ctn{tag}cam"
        self.namespaces: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pidfiles: list[Path] = []

    def create(self) -> None:
        for ns in (self.srv, self.corp, self.cam):
            run(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.wire(self.corp, "corp0", "10.77.1.2/24", "eth1")
        self.wire(self.cam, "cam0", "10.77.2.2/24", "eth2")

    def wire(self, peer_ns: str, peer_dev: str, peer_addr: str, srv_dev: str) -> None:
        """A veth pair from the appliance namespace to a neighbour; the neighbour side is addressed."""
        run(["ip", "-n", self.srv, "link", "add", srv_dev, "type", "veth", "peer", "name", peer_dev,
             "netns", peer_ns])
        run(["ip", "-n", peer_ns, "addr", "add", peer_addr, "dev", peer_dev])
        run(["ip", "-n", peer_ns, "link", "set", peer_dev, "up"])

    def add_nic(self, name: str) -> None:
        """An extra appliance NIC whose peer stays in the appliance namespace (for counts)."""
        run(["ip", "-n", self.srv, "link", "add", name, "type", "veth", "peer", "name", f"p{name}"])
        run(["ip", "-n", self.srv, "link", "set", f"p{name}", "up"])

    def ns_run(self, ns: str, *argv: str, check: bool = True, timeout: float = 30) -> Any:
        return run(["ip", "netns", "exec", ns, *argv], check=check, timeout=timeout)

    def start(self, ns: str, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        with open(log, "wb") as out:
            proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def http_server(self, ns: str, address: str, port: int, label: str, log: Path) -> None:
        self.start(ns, [sys.executable, "-c", HTTP_SERVER, address, label, str(port)], log)
        assert wait_for(lambda: self.connects(ns, address, port), 10), f"http server {address}:{port} not up"

    def connects(self, ns: str, address: str, port: int, timeout: float = 1.5) -> bool:
        """A TCP connection attempt from namespace `ns` (the isolation tests' probe)."""
        probe = (f"import socket; s = socket.create_connection(({address!r}, {port}), timeout={timeout}); "
                 "s.close()")
        return self.ns_run(ns, sys.executable, "-c", probe, check=False, timeout=timeout + 10).returncode == 0

    def curl(self, ns: str, *args: str) -> Any:
        return self.ns_run(ns, "curl", "-sS", "-m", "5", *args, check=False)

    def addresses(self, ns: str) -> dict[str, list[str]]:
        out = json.loads(self.ns_run(ns, "ip", "-j", "addr", "show").stdout)
        return {i["ifname"]: sorted(f"{a['local']}/{a['prefixlen']}" for a in i.get("addr_info", [])
                                    if a.get("scope") == "global") for i in out}

    def routes(self, ns: str) -> list[str]:
        out = json.loads(self.ns_run(ns, "ip", "-j", "route", "show").stdout)
        return sorted(f"{r['dst']} {r.get('gateway', '')} {r.get('dev', '')}" for r in out)

    def ruleset(self, ns: str) -> str:
        return str(self.ns_run(ns, "nft", "list", "ruleset").stdout)

    def watch_pidfile(self, path: Path) -> None:
        self.pidfiles.append(path)

    def close(self) -> None:
        for pidfile in self.pidfiles:
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        # `ip netns exec` execs the command, so each PID is the daemon itself.
        stop_processes(self.procs)
        for ns in reversed(self.namespaces):
            run(["ip", "netns", "del", ns], check=False)


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
