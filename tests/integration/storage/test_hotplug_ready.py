"""`ctsys storage monitor` (ctsys-storage-hotplug.service) says when it starts
receiving disk events: a journal line after its udev monitor is started. A disk
pulled before that line would go unrecorded (the RAID system test waits for it
after `ctsys raid create` restarted the unit)."""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path

import pytest

from ctsys.storage.hotplug import WATCHING

pytestmark = pytest.mark.integration
CTSYS = str(Path(sys.executable).parent / "ctsys")


def test_the_monitor_says_when_it_listens_and_keeps_running() -> None:
    proc = subprocess.Popen([CTSYS, "storage", "monitor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "nothing printed within 60 s"
        assert proc.stdout.readline().rstrip("\n") == WATCHING
        assert proc.poll() is None, "the monitor exited after starting"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -15), err
