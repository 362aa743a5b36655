"""A real chronyd serving time to the camera subnet, a real chronyd client, in namespaces.

S (server) --veth-- A (10.231.1.0/24, allowed)
S (server) --veth-- B (10.231.2.0/24, not allowed)
Both daemons run with -x: they never touch the host clock (the namespaces share it,
so the true offset is zero and the measured one must be tiny).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctsys.config import document
from ctsys.run import run
from ctsys.time.render import ChronyPaths, render_chrony_conf
from ctsys.time.status import collect
from tests.integration.time.netns import Daemons, Namespaces, wait_for
from tests.tools import require

pytestmark = pytest.mark.integration

SERVER_A, CLIENT_A = "10.231.1.1", "10.231.1.2"
SERVER_B, CLIENT_B = "10.231.2.1", "10.231.2.2"

# An NTP client request (mode 3, version 4); the reply's second byte is the stratum.
PROBE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.sendto(b"\\x23" + 47 * b"\\0", ({server!r}, 123))
try:
    data, _ = s.recvfrom(512)
except socket.timeout:
    sys.exit(3)
print(data[1])
"""


@pytest.fixture
def topology() -> Iterator[dict[str, str]]:
    require("ip", "chronyd", "chronyc")
    nets = Namespaces(f"ctt{os.getpid() % 10000}")
    try:
        s, a, b = nets.add("s"), nets.add("a"), nets.add("b")
        nets.link(s, f"{SERVER_A}/24", a, f"{CLIENT_A}/24", "x")
        nets.link(s, f"{SERVER_B}/24", b, f"{CLIENT_B}/24", "y")
        yield {"server": s, "allowed": a, "refused": b}
    finally:
        nets.close()


@pytest.fixture
def daemons() -> Iterator[Daemons]:
    d = Daemons()
    try:
        yield d
    finally:
        d.close()


def _paths(tmp: Path, name: str) -> ChronyPaths:
    sockets = tmp / "run"
    sockets.mkdir(mode=0o700, exist_ok=True)  # chronyd refuses a socket directory others can reach
    return ChronyPaths(
        driftfile=str(tmp / f"{name}.drift"),
        logdir=None,
        pidfile=str(tmp / f"{name}.pid"),
        cmdsocket=str(sockets / f"{name}.sock"),
    )


def _start(daemons: Daemons, netns: str, tmp: Path, name: str, data: dict[str, object]) -> ChronyPaths:
    paths = _paths(tmp, name)
    conf = tmp / f"{name}.conf"
    conf.write_text(render_chrony_conf(document.validate(data), paths))
    run(["chronyd", "-p", "-f", str(conf)])  # what apply's checker does
    # -d: foreground; -x: never control the (shared, host) clock; -u root: temp-dir files.
    daemons.start(
        ["ip", "netns", "exec", netns, "chronyd", "-d", "-x", "-u", "root", "-f", str(conf)], tmp / f"{name}.log"
    )
    assert wait_for(lambda: Path(paths.cmdsocket or "").exists(), 10), (tmp / f"{name}.log").read_text()
    return paths


def _probe(netns: str, server: str) -> int | None:
    """Stratum in the server's reply to one NTP request from `netns`, None without a reply."""
    result = run(["ip", "netns", "exec", netns, sys.executable, "-c", PROBE.format(server=server)], check=False)
    return int(result.stdout) if result.returncode == 0 else None


def test_client_synchronises_to_the_camera_ntp_server_and_other_subnets_are_refused(
    topology: dict[str, str], daemons: Daemons, tmp_path: Path
) -> None:
    tmp_path.chmod(0o755)
    server = _start(
        daemons,
        topology["server"],
        tmp_path,
        "server",
        {
            "time": {
                "servers": [],
                "serve": {"enabled": True, "allow": ["10.231.1.0/24"], "roles": [], "local_stratum": 8},
            }
        },
    )
    client_doc = {"time": {"servers": [{"host": SERVER_A, "iburst": True}]}}
    client = _start(daemons, topology["allowed"], tmp_path, "client", client_doc)
    outsider = _start(
        daemons, topology["refused"], tmp_path, "outsider", {"time": {"servers": [{"host": SERVER_B, "iburst": True}]}}
    )

    started = time.monotonic()
    assert wait_for(lambda: collect(client.cmdsocket).synchronised, timeout=60, interval=1), collect(client.cmdsocket)
    took = time.monotonic() - started
    state = collect(client.cmdsocket)
    assert state.tracking is not None
    assert state.tracking.reference == SERVER_A
    assert state.tracking.stratum == 9  # one below the server's local stratum 8
    assert abs(state.tracking.offset_seconds) < 0.010, state.tracking
    assert [s.state for s in state.sources] == ["selected"]
    print(f"\nclient synchronised in {took:.1f} s, offset {state.tracking.offset_seconds * 1e6:+.1f} µs")
    # The command an operator runs says the same.
    from click.testing import CliRunner

    from ctsys.cli import cli

    shown = json.loads(CliRunner().invoke(cli, ["time", "status", "--json", "--socket", client.cmdsocket or ""]).output)
    assert shown["synchronised"] is True and shown["sources"][0]["address"] == SERVER_A
    assert shown["sources"][0]["reached_of_8"] >= 1

    # Outside the allowed subnet: no answer to chronyd nor to a bare request.
    outside = collect(outsider.cmdsocket)
    assert not outside.synchronised
    assert outside.sources and outside.sources[0].reach == 0, outside.sources
    assert _probe(topology["refused"], SERVER_B) is None
    # The same bare request from the allowed subnet is answered: the probe itself works.
    assert _probe(topology["allowed"], SERVER_A) == 8
    assert collect(server.cmdsocket).running


def test_the_server_answers_only_on_the_interface_with_the_camera_role(
    topology: dict[str, str], daemons: Daemons, tmp_path: Path
) -> None:
    """Both subnets allowed, but only the camera-role interface is served (binddevice)."""
    tmp_path.chmod(0o755)
    prefix = topology["server"][:-1]
    network = {
        "interfaces": [
            {"name": f"{prefix}xa", "role": "cameras", "addresses": [f"{SERVER_A}/24"]},
            {"name": f"{prefix}ya", "role": "corporate", "addresses": [f"{SERVER_B}/24"]},
        ]
    }
    serve = {"enabled": True, "allow": ["10.231.2.0/24"], "roles": ["cameras"], "local_stratum": 8}
    server = _start(
        daemons, topology["server"], tmp_path, "server", {"network": network, "time": {"servers": [], "serve": serve}}
    )
    conf = (tmp_path / "server.conf").read_text()
    assert f"binddevice {prefix}xa" in conf and "allow 10.231.1.0/24" in conf and "allow 10.231.2.0/24" in conf
    assert _probe(topology["allowed"], SERVER_A) == 8
    assert _probe(topology["refused"], SERVER_B) is None
    assert collect(server.cmdsocket).running


def test_scheduled_mode_waits_offline_until_the_timer_synchronises(
    topology: dict[str, str], daemons: Daemons, tmp_path: Path
) -> None:
    """Sources are `offline` between scheduled syncs; `ctsys time sync` brings them in."""
    from ctsys.time.actions import sync_now

    tmp_path.chmod(0o755)
    serve = {"enabled": True, "allow": ["10.231.1.0/24"], "roles": [], "local_stratum": 8}
    _start(daemons, topology["server"], tmp_path, "server", {"time": {"servers": [], "serve": serve}})
    scheduled = {"servers": [{"host": SERVER_A}], "sync": {"mode": "scheduled", "times": ["03:00"]}}
    client = _start(daemons, topology["allowed"], tmp_path, "client", {"time": scheduled})
    assert f"server {SERVER_A} iburst offline" in (tmp_path / "client.conf").read_text()
    time.sleep(3)  # long enough for an online iburst source to have been selected
    assert not collect(client.cmdsocket).synchronised
    sync_now(wait_seconds=30, socket=client.cmdsocket)
    state = collect(client.cmdsocket)
    assert state.synchronised and state.tracking is not None and state.tracking.reference == SERVER_A
    # Offline again after the sync, until the next scheduled time.
    offline = run(["chronyc", "-n", "-h", client.cmdsocket or "", "activity"]).stdout
    assert "0 sources online" in offline
    assert "1 sources offline" in offline or "1 sources doing burst (return to offline)" in offline
