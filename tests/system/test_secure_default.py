"""Secure by default, in the booted Live image (issue 13), on the shared VM.

- the one-time administrator password is on the console and logs in over SSH;
  no documented password does;
- sshd runs with the algorithms ctsys/services/sshd.py lists;
- the listening sockets are the ones docs/security.md documents, no other;
- from a camera's side of the wire (a NIC on qemu hub 2, in a namespace of the
  guest) SSH is dropped and the NTP server answers; from the management NIC
  (the user-mode NIC: host forwards) SSH and HTTPS answer.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
from pathlib import Path

import pytest

from ctsys.services import sshd
from image.qemu import one_time_password
from tests.system.conftest import SharedMachine
from tests.system.harness import Vm
from tests.system.shapes import CAMERA_NICS

pytestmark = [pytest.mark.system, pytest.mark.timeout(1800)]
SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs/security.md"
# passwords this project ever printed in its manuals
DOCUMENTED_PASSWORDS = ("ct-server",)
# its own subnet: test_net_bond leaves 10.97-10.99.0.0/24 on the shared VM
CAMERA_NET = ("10.96.0.1", "10.96.0.2", 24)


def console_password(vm: Vm) -> tuple[str, str]:
    assert vm.log_path is not None
    found = one_time_password(vm.log_path.read_text(errors="replace"))
    assert found, "no one-time password on the serial console"
    return found


def test_the_one_time_password_is_on_the_console_and_logs_in_over_ssh(shared_vm: Vm) -> None:
    user, password = console_password(shared_vm)
    assert user == "admin"
    # the login prompt shows it as well (agetty reads the issue file, root only)
    issue = shared_vm.check("cat /etc/issue.d/50-ct-admin-password.issue")
    assert password in issue and "over SSH" in issue
    assert shared_vm.check("stat -c %a /etc/issue.d/50-ct-admin-password.issue") == "600"
    status, out = shared_vm.ssh_password(user, password, "id -un")
    assert status == 0 and out.splitlines()[-1] == "admin", out


@pytest.mark.parametrize("password", DOCUMENTED_PASSWORDS)
def test_no_documented_password_logs_in(shared_vm: Vm, password: str) -> None:
    status, out = shared_vm.ssh_password("admin", password, "id -un")
    assert status == 255 and "Permission denied" in out, out


def test_sshd_runs_with_the_documented_algorithms(shared_vm: Vm) -> None:
    effective = dict(line.split(" ", 1) for line in shared_vm.check("sshd -T").splitlines() if " " in line)
    for keyword, value in sshd.policy().items():
        assert effective[keyword.lower()] == value, keyword
    assert effective["permitrootlogin"] == "no" and effective["allowusers"] == "admin"
    assert effective["allowtcpforwarding"] == "local" and effective["allowagentforwarding"] == "no"
    assert {key: effective[key.lower()] for key in sshd.SESSION_LIMITS} == sshd.SESSION_LIMITS
    # and a client that offers only something older is turned away
    for option in ("Ciphers=aes128-cbc", "KexAlgorithms=diffie-hellman-group14-sha1",
                   "Ciphers=aes128-ctr -o MACs=hmac-sha1"):
        rc, out = shared_vm.run(f"ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o {option} admin@127.0.0.1 true")
        # (ssh exits 255; the serial console's line wrapping can blur the status it echoes)
        assert rc != 0 and "no matching" in out.replace("\n", ""), (option, out)


def documented_listeners() -> list[dict[str, str]]:
    text = SECURITY_DOC.read_text()
    table = text.split("<!-- listeners: the system test reads this table -->", 1)[1].split("<!-- end", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in table.strip().splitlines()[2:]]
    keys = ("listener", "process", "proto", "port", "bound", "default", "reached")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def bound_kind(address: str) -> str:
    if "%" in address:
        return "interface"
    host = address.strip("[]")
    if host in ("127.0.0.1", "::1") or host.startswith("127."):
        return "loopback"
    if host in ("0.0.0.0", "::", "*"):
        return "any"
    return f"address {host}"


def listening(vm: Vm) -> set[tuple[str, str, str, str]]:
    """(process, proto, port, bound kind) of every listening socket in the guest."""
    found = set()
    for line in vm.check("ss -Htulpn").splitlines():
        fields = line.split()
        proto, local = fields[0], fields[4]
        process = re.search(r'users:\(\("([^"]+)"', line)
        address, _, port = local.rpartition(":")
        found.add((process.group(1) if process else "?", proto, port, bound_kind(address)))
    return found


def test_the_listening_sockets_are_the_documented_ones(shared_vm: Vm) -> None:
    rows = documented_listeners()
    assert len(rows) >= 6
    default = {(r["process"], r["proto"], r["port"], r["bound"]) for r in rows if r["default"] == "yes"}
    seen = listening(shared_vm)
    assert seen - default == set(), f"listening but not documented as on by default: {sorted(seen - default)}"
    assert default - seen == set(), f"documented as on by default but not listening: {sorted(default - seen)}"


def nic_named(vm: Vm, mac: str) -> str:
    links = json.loads(vm.check("ip -j link show"))
    return next(link["ifname"] for link in links if link.get("address") == mac)


def ntp_query(vm: Vm, namespace: str, server: str) -> str:
    """One SNTP client request from the namespace: the reply's stratum, or the error."""
    code = ("import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3); "
            f"s.sendto(b'\\x23'+47*b'\\0',('{server}',123)); d=s.recv(48); print('stratum',d[1])")
    _, out = vm.run(f"ip netns exec {namespace} python3 -c \"{code}\" 2>&1 | tail -1", timeout=60)
    return out


def tcp_open(vm: Vm, namespace: str, server: str, port: int) -> str:
    code = (f"import socket; s=socket.create_connection(('{server}',{port}),3); print('open')")
    _, out = vm.run(f"ip netns exec {namespace} python3 -c \"{code}\" 2>&1 | tail -1", timeout=60)
    return out


def test_a_camera_network_reaches_ntp_but_not_ssh_or_https(shared_vm: Vm) -> None:
    here, camera, prefix = CAMERA_NET
    cam, probe = (nic_named(shared_vm, mac) for mac in CAMERA_NICS.values())
    shared_vm.check(f"ip netns add camside && ip link set {probe} netns camside && "
                    f"ip -n camside link set lo up && ip -n camside link set {probe} up && "
                    f"ip -n camside addr add {camera}/{prefix} dev {probe}")
    try:
        shared_vm.check(f"ctsys net set {cam} --role cameras --address {here}/{prefix}", timeout=600)
        shared_vm.check("ctsys net confirm")
        deadline = time.monotonic() + 120
        while "stratum" not in (answer := ntp_query(shared_vm, "camside", here)):
            assert time.monotonic() < deadline, f"no NTP answer from the camera side: {answer}"
            time.sleep(5)
        assert "timed out" in tcp_open(shared_vm, "camside", here, 22)  # dropped, not refused
        assert "timed out" in tcp_open(shared_vm, "camside", here, 443)
    finally:
        shared_vm.run("ip netns del camside")


def test_the_management_network_reaches_ssh_and_https(shared_machine: SharedMachine, shared_vm: Vm) -> None:
    assert shared_vm.ssh("true", timeout=120).returncode == 0
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", shared_machine.forwards[443]), timeout=30) as raw, \
            context.wrap_socket(raw) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        tls.sendall(b"GET / HTTP/1.1\r\nHost: ct-server\r\nConnection: close\r\n\r\n")
        reply = tls.recv(200).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 200"), reply
    with socket.create_connection(("127.0.0.1", shared_machine.forwards[80]), timeout=30) as plain:
        plain.sendall(b"GET / HTTP/1.1\r\nHost: ct-server\r\nConnection: close\r\n\r\n")
        reply = plain.recv(300).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 301") and "Location: https://" in reply, reply
