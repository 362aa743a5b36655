"""The build's preflight and the main command agree on what a fresh machine must install."""

from __future__ import annotations

import pytest

from image import REPO_ROOT, preflight
from tests.system.newcomer import listed_packages

pytestmark = pytest.mark.unit

# Priority "required" in Debian 12: on every installed system, never listed.
ESSENTIAL = {"coreutils", "mount", "dpkg"}


def test_every_tool_the_preflight_names_is_installed_by_the_main_command() -> None:
    needed = set(preflight.TOOLS.values()) | set(preflight.VM_TOOLS.values()) | set(
        preflight.GRUB_PLATFORMS.values())
    assert needed - set(listed_packages()) - ESSENTIAL == set()


def test_the_main_command_installs_its_list_and_nothing_else() -> None:
    script = (REPO_ROOT / "scripts/build-and-boot.sh").read_text()
    installs = [line for line in script.splitlines() if line.strip().startswith("apt-get install")]
    assert len(installs) == 1 and ".ci/packages/image.apt" in installs[0]
