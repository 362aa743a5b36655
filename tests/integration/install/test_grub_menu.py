"""The installed system's grub.cfg (written by ctsys install instead of update-grub)
passes GRUB's own grub-script-check; a broken one does not (the checker is real).
That it boots is proven in the system tier (tests/system/test_install.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ctsys.install.system import grub_menu
from tests.tools import require

pytestmark = pytest.mark.integration


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["grub-script-check", str(path)], capture_output=True, text=True, timeout=30)


def test_the_menu_passes_grub_script_check_and_a_broken_one_fails(tmp_path: Path) -> None:
    require("grub-script-check")
    menu = tmp_path / "grub.cfg"
    menu.write_text(grub_menu("0a1b2c3d-0000-4000-8000-000000000001", "6.1.0-57-amd64"))
    result = check(menu)
    assert result.returncode == 0, result.stdout + result.stderr
    menu.write_text(menu.read_text().rstrip().removesuffix("}"))  # an entry left open
    assert check(menu).returncode != 0
