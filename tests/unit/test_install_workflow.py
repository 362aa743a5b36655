"""The install workflow as a function (ctsys.install.workflow.install_system), with only run() faked.

Only what comes before the disk is written is exercised here (which disk, what
is kept, what is asked, refusals); the install itself runs on loop devices in
tests/integration/install/test_install_loop.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ctsys.errors import CtsysError, ValidationError
from ctsys.install.workflow import Questions, finish, install_system
from ctsys.storage.inventory import Disk
from tests.conftest import FakeRun

pytestmark = pytest.mark.unit
GB = 1000**3
WRITES = ("sgdisk", "wipefs", "mkfs", "mount", "unsquashfs")


def disk(name: str, serial: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "path": f"/dev/{name}", "type": "disk", "size": 20 * GB, "serial": serial,
            "model": "QEMU HARDDISK", "rota": True, "tran": "sata", "mountpoints": [None], **more}


@pytest.fixture
def disks(fake_run: FakeRun) -> FakeRun:
    """Two blank disks (S1, S2) and a data disk with a ctdata volume (S3)."""
    data = disk("sdd", "S3", children=[{"name": "sdd1", "path": "/dev/sdd1", "type": "part", "size": 20 * GB,
                                         "fstype": "ext4", "label": "ctdata-1", "mountpoints": [None]}])
    fake_run.on("lsblk", stdout=json.dumps({"blockdevices": [disk("sdb", "S1"), disk("sdc", "S2"), data]}))
    return fake_run


class Console:
    """A person at the console: picks the second disk, types `typed` back, sets no password."""

    def __init__(self, typed: str = "S2") -> None:
        self.typed = typed
        self.asked: list[str] = []

    def questions(self) -> Questions:
        def choose(found: list[Disk]) -> Disk:
            self.asked.append("disk: " + ",".join(d.name for d in found))
            return found[1]

        def password() -> str | None:
            self.asked.append("password")
            return None

        def confirm(chosen: Disk, what: str, expected: str) -> str:
            self.asked.append(f"erase {chosen.name}: {what} {expected}")
            return self.typed

        return Questions(choose, password, confirm, lambda: self.asked.append("reboot") is None)


def writes(fake_run: FakeRun) -> list[str]:
    return [c for c in fake_run.commands() if c.startswith(WRITES)]


def test_a_dry_run_asks_for_the_disk_among_the_candidates_and_keeps_the_data_disk(
    disks: FakeRun, tmp_path: Path
) -> None:
    console = Console()
    lines: list[str] = []
    done = install_system(str(tmp_path), source=tmp_path, dry_run=True, questions=console.questions(),
                          progress=lambda line, err=False: lines.append(line))
    assert done.result is None and done.disk.name == "sdc"
    assert console.asked == ["disk: sdb,sdc"]
    assert [(k.disk.name, k.reason) for k in done.kept] == [("sdd", "holds a ctdata volume (recordings)")]
    assert lines[0].startswith("kept: /dev/sdd") and lines[-2].startswith("target: /dev/sdc")
    assert lines[-1] == "dry run: nothing written"
    assert writes(disks) == []


def test_a_wrong_serial_typed_back_writes_nothing_and_is_not_journaled_as_an_install(
    disks: FakeRun, tmp_path: Path
) -> None:
    console = Console(typed="S1")
    with pytest.raises(CtsysError, match="the serial typed does not match S2: nothing was written"):
        install_system(str(tmp_path), source=tmp_path, questions=console.questions())
    assert console.asked == ["disk: sdb,sdc", "password", "erase sdc: serial S2"]
    assert writes(disks) == [] and not (tmp_path / "var/log/ctsys/actions.jsonl").exists()


def test_unattended_nothing_is_asked_and_bad_answers_are_refused_before_the_disk(
    disks: FakeRun, tmp_path: Path
) -> None:
    answers = tmp_path / "ct-install.yaml"
    answers.write_text("disk: S1\nhostname: gate\n")
    done = install_system(str(tmp_path), answer_file=str(answers), source=tmp_path, unattended=True, dry_run=True)
    assert done.disk.serial == "S1" and done.answers.hostname == "gate"
    answers.write_text("disk: S1\nnetwork: {interfaces: [{name: 'eth 0'}]}\n")
    with pytest.raises(ValidationError):
        install_system(str(tmp_path), answer_file=str(answers), source=tmp_path, unattended=True, yes=True)
    assert writes(disks) == []
    with pytest.raises(CtsysError, match="cannot take the system"):
        install_system(str(tmp_path), disk="S3", source=tmp_path, unattended=True, yes=True)


def test_the_end_powers_off_reboots_or_says_what_to_do(fake_run: FakeRun) -> None:
    lines: list[str] = []
    finish("poweroff", progress=lambda line, err=False: lines.append(line))
    finish("prompt", reboot=lambda: False, progress=lambda line, err=False: lines.append(line))
    finish("prompt", reboot=lambda: True)
    assert fake_run.commands() == ["systemctl poweroff", "systemctl reboot"]
    assert lines == ["powering off", "remove the installation medium and reboot to start the installed system"]
