"""`ctsys storage monitor` (ctsys-storage-hotplug.service, Type=notify) tells systemd
READY=1 once its udev monitor is receiving events; the test stands in for systemd
with its own notification socket. Before this, an apply restarting the unit
returned while Python was still starting, and a disk pulled then went unrecorded
(seen in the RAID system test)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
CTSYS = str(Path(sys.executable).parent / "ctsys")


def test_ready_is_sent_once_the_monitor_listens_and_it_keeps_running(tmp_path: Path) -> None:
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        server.settimeout(60)
        proc = subprocess.Popen([CTSYS, "storage", "monitor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={**os.environ, "NOTIFY_SOCKET": address})
        try:
            assert server.recv(256) == b"READY=1"
            assert proc.poll() is None, "the monitor exited after READY"
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, -15), err
