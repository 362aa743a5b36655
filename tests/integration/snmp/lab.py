"""A real snmpd (with the ctsys subagent on a fixture state) and snmptrapd, on 127.0.0.1.

Both run in the foreground from a temp dir with their own configuration and
persistent paths (SNMPCONFPATH, SNMP_PERSISTENT_DIR): nothing of the host's
/etc/snmp or /var/lib/snmp is read or written. Stopped by PID by the caller.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.run import run
from ctsys.snmp.render import render_snmpd_conf, render_users
from ctsys.snmp.users import sync

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests/fixtures"
STATE = FIXTURES / "snmp-state.json"
COMMUNITY = "n0c-read"
USER, AUTH, PRIV = "nms", "auth-pass-123", "priv-pass-456"
TRAP_COMMUNITY = "n0c-trap"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lab_document(agent_port: int, trap_port: int) -> Appliance:
    """The fixture document, moved to loopback: its subnets and managers become 127.0.0.1."""
    data: dict[str, Any] = document.to_data(document.parse((FIXTURES / "snmp-agent.yaml").read_text()))
    data["services"]["snmp"]["port"] = agent_port
    data["snmp"]["communities"][0]["sources"] = ["127.0.0.0/8"]
    for manager in data["snmp"]["managers"]:
        manager["host"], manager["port"] = "127.0.0.1", trap_port
    return document.validate(data)


def agent_command(state: Path) -> str:
    return f"{sys.executable} -m ctsys.cli snmp agent --state {state}"


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **env})  # fmt: skip


def start_snmpd(tmp: Path, doc: Appliance, state: Path = STATE) -> subprocess.Popen[bytes]:
    etc, persist = tmp / "snmpd-etc", tmp / "snmpd-var"
    etc.mkdir()
    persist.mkdir()
    (etc / "snmpd.conf").write_text(render_snmpd_conf(doc, agent=agent_command(state)))
    users = tmp / "ctsys-users.conf"
    users.write_text(render_users(doc))
    sync(users, persist / "snmpd.conf")  # what ExecStartPre does on the appliance
    env = {"SNMPCONFPATH": f"{etc}:{persist}", "SNMP_PERSISTENT_DIR": str(persist), "MIBS": ""}
    proc = start(["snmpd", "-f", "-Lo", "-p", str(tmp / "snmpd.pid")], env, tmp / "snmpd.log")
    port = doc.services.snmp.port
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # bounded: the agent answers sysDescr once it is up
        if proc.poll() is not None:
            raise AssertionError("snmpd exited:\n" + (tmp / "snmpd.log").read_text())
        probe = run(v2c(port, COMMUNITY, "snmpget", ".1.3.6.1.2.1.1.1.0", opts=QUICK), check=False)
        if probe.ok:
            return proc
        time.sleep(0.2)
    stop(proc)  # the caller never gets it: stop it here
    raise AssertionError("snmpd did not answer within 15 s:\n" + (tmp / "snmpd.log").read_text())


def start_snmptrapd(tmp: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    conf = tmp / "snmptrapd.conf"
    conf.write_text(
        f'authCommunity log {TRAP_COMMUNITY}\ncreateUser {USER} SHA "{AUTH}" AES "{PRIV}"\nauthUser log {USER} priv\n'
    )
    persist = tmp / "snmptrapd-var"
    persist.mkdir()
    log = tmp / "traps.log"
    env = {"SNMP_PERSISTENT_DIR": str(persist), "MIBS": ""}
    argv = ["snmptrapd", "-f", "-C", "-c", str(conf), "-On", "-Lf", str(log), "-p", str(tmp / "snmptrapd.pid"),
            f"udp:127.0.0.1:{port}"]  # fmt: skip
    proc = start(argv, env, tmp / "snmptrapd.out")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (log.exists() and "NET-SNMP version" in log.read_text()):
        time.sleep(0.1)
    return proc, log


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


QUICK = ("-t", "0.5", "-r", "0")  # one short try: for requests that must get no answer


def v2c(port: int, community: str, tool: str, *oids: str, opts: tuple[str, ...] = ()) -> list[str]:
    return [tool, "-m", "", "-On", "-v2c", "-c", community, *opts, f"127.0.0.1:{port}", *oids]


def v3(port: int, auth: str, tool: str, *oids: str, opts: tuple[str, ...] = ()) -> list[str]:
    return [tool, "-m", "", "-On", "-v3", "-u", USER, "-l", "authPriv", "-a", "SHA", "-A", auth,
            "-x", "AES", "-X", PRIV, *opts, f"127.0.0.1:{port}", *oids]  # fmt: skip


def values(text: str) -> dict[str, str]:
    """snmpget/snmpwalk -On output -> {numeric OID: 'TYPE: value'}."""
    out = {}
    for line in text.splitlines():
        if " = " in line:
            oid, value = line.split(" = ", 1)
            out[oid.strip()] = value.strip()
    return out


def state_with_cameras(tmp: Path, count: int) -> Path:
    data = json.loads(STATE.read_text())
    data["cameras"] = [
        {"name": f"cam{i:03d}", "state": "recording", "fps": 25.0, "bitrate_kbps": 4000.0 + i,
         "last_disconnect": "2026-11-28T21:04:05Z"}
        for i in range(1, count + 1)
    ]  # fmt: skip
    path = tmp / f"state-{count}.json"
    path.write_text(json.dumps(data))
    return path
