"""The Install boot entry (live/install-entry): unattended when the boot says what to
do, otherwise `ctsys install` asks on the console the boot entry chose."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ENTRY = Path(__file__).resolve().parents[2] / "live/install-entry"
# stand-ins that record how they were called (and what their stdin was)
RECORDER = """#!/bin/sh
echo "$(basename "$0") $*" >>"$CALLS"
exit "${FAKE_RC:-0}"
"""


def run_entry(tmp: Path, cmdline: str, active: str = "tty0 ttyS0", answer_file: bool = False,
              rc: int = 0) -> tuple[list[str], Path]:
    bin_dir, ttys, medium = tmp / "bin", tmp / "dev", tmp / "medium"
    for d in (bin_dir, ttys, medium):
        d.mkdir(exist_ok=True)
    for name in ("ctsys", "setsid"):
        (bin_dir / name).write_text(RECORDER)
        (bin_dir / name).chmod(0o755)
    for name in ("tty1", "ttyS0"):
        (ttys / name).write_text("")
    if answer_file:
        (medium / "ct-install.yaml").write_text("disk: auto\n")
    (tmp / "cmdline").write_text(cmdline + "\n")
    (tmp / "active").write_text(active + "\n")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(tmp / "calls"), "FAKE_RC": str(rc),
           "CT_CMDLINE_FILE": str(tmp / "cmdline"), "CT_MEDIUM": str(medium),
           "CT_CONSOLE_ACTIVE": str(tmp / "active"), "CT_TTY_DIR": str(ttys)}
    result = subprocess.run(["sh", str(ENTRY)], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    calls = tmp / "calls"
    return (calls.read_text().splitlines() if calls.exists() else []), ttys


@pytest.mark.parametrize("cmdline", [
    "boot=live ctserver.mode=install ctserver.disk=CTATT0000 ctserver.finish=poweroff",
    "boot=live ctserver.mode=install ctserver.answer=/answers/site-a.yaml",
])
def test_the_kernel_command_line_makes_it_unattended(tmp_path: Path, cmdline: str) -> None:
    calls, _ = run_entry(tmp_path, cmdline)
    assert calls == ["ctsys install --unattended"]


def test_an_answer_file_on_the_medium_makes_it_unattended(tmp_path: Path) -> None:
    calls, _ = run_entry(tmp_path, "boot=live ctserver.mode=install", answer_file=True)
    assert calls == ["ctsys install --unattended"]


@pytest.mark.parametrize("active, tty", [("tty0 ttyS0", "ttyS0"), ("ttyS0 tty0", "tty1"), ("tty0", "tty1")])
def test_otherwise_it_asks_on_the_primary_console(tmp_path: Path, active: str, tty: str) -> None:
    # a near miss on the command line is not an answer
    calls, ttys = run_entry(tmp_path, "boot=live ctserver.mode=install xctserver.disk=x", active=active)
    assert calls == ["setsid --ctty --wait ctsys install"]
    assert (ttys / tty).read_text() == ""  # nothing said: the installer did the talking


def test_an_install_that_did_not_finish_says_so_on_the_console(tmp_path: Path) -> None:
    calls, ttys = run_entry(tmp_path, "boot=live ctserver.mode=install", rc=1)
    assert calls == ["setsid --ctty --wait ctsys install"]
    assert "The install did not finish" in (ttys / "ttyS0").read_text()
