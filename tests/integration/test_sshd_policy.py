"""The rendered sshd_config, run by the real sshd on 127.0.0.1: old algorithms are refused.

`sshd -T` is compared with ctsys/services/sshd.py in the booted image too
(tests/system/test_secure_default.py); here a real client is turned away.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctsys.apply.engine import Engine
from ctsys.apply.registry import all_modules
from ctsys.config.document import defaults
from ctsys.services import sshd as policy
from tests.system.harness import free_port
from tests.tools import require

pytestmark = pytest.mark.integration


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[int]:
    require("sshd", "ssh-keygen", "ssh")
    Engine(tmp_path, [m for m in all_modules() if m.name == "ssh"], live=False).apply(defaults())
    config = tmp_path / "etc/ssh/sshd_config"
    key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    Path("/run/sshd").mkdir(exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config), "-h", str(key),
                             "-o", f"Port={port}", "-o", "ListenAddress=127.0.0.1",
                             "-o", f"PidFile={tmp_path / 'sshd.pid'}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "sshd did not start"
                time.sleep(0.2)
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)


def client(port: int, *options: str) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", "-p", str(port), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10"]
    for option in options:
        argv += ["-o", option]
    return subprocess.run([*argv, "nobody@127.0.0.1", "true"], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("options", [
    ("Ciphers=aes128-cbc,3des-cbc",),
    ("KexAlgorithms=diffie-hellman-group14-sha1,diffie-hellman-group1-sha1,ecdh-sha2-nistp256",),
    # a MAC is only negotiated with a cipher that is not AEAD
    ("Ciphers=aes128-ctr", "MACs=hmac-sha1,hmac-md5,hmac-sha2-256"),
    ("HostKeyAlgorithms=ssh-rsa,rsa-sha2-512",),
], ids=["cipher", "key exchange", "MAC", "host key type"])
def test_an_old_client_is_turned_away(sshd: int, options: tuple[str, ...]) -> None:
    result = client(sshd, *options)
    assert result.returncode == 255 and "no matching" in result.stderr, result.stderr


def test_a_current_client_gets_to_authentication(sshd: int) -> None:
    # a modern client negotiates; the made-up user is then refused: the handshake worked
    result = client(sshd)
    assert result.returncode == 255 and "Permission denied" in result.stderr, result.stderr


def test_the_session_limits_are_what_sshd_runs_with(tmp_path: Path) -> None:
    require("sshd", "ssh-keygen")
    Engine(tmp_path, [m for m in all_modules() if m.name == "ssh"], live=False).apply(defaults())
    key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    Path("/run/sshd").mkdir(exist_ok=True)
    out = subprocess.run(["/usr/sbin/sshd", "-T", "-f", str(tmp_path / "etc/ssh/sshd_config"), "-h", str(key)],
                         capture_output=True, text=True, check=True).stdout
    effective = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert {key: effective[key.lower()] for key in policy.SESSION_LIMITS} == policy.SESSION_LIMITS
