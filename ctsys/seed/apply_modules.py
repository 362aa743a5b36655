"""Apply module `seed`: ctsys-seed.service, enabled (its sysinit.target.wants symlink) in every image."""

from __future__ import annotations

from ctsys.apply.module import ApplyContext, FileSpec, Module
from ctsys.run import run

UNIT = "ctsys-seed.service"
UNIT_DIR = "/etc/systemd/system"
# Before sysinit.target: networkd, nftables and sshd start from the seed's settings.
WANTED_BY = "sysinit.target"


def activate_seed(ctx: ApplyContext) -> None:
    """Running system: systemd reads the changed unit (it runs at the next boot)."""
    if ctx.changed:
        run(["systemctl", "daemon-reload"], timeout=120)


MODULES = [
    Module(
        name="seed",
        sections=(),
        description="first-boot seed unit: host name, admin keys, network from a seed disk or the ESP",
        files=(
            FileSpec(f"{UNIT_DIR}/{UNIT}", f"etc/systemd/system/{UNIT}.j2"),
            FileSpec(
                f"{UNIT_DIR}/{WANTED_BY}.wants/{UNIT}",
                # the storage units' link template: a unit's path, rendered as the symlink's target
                "etc/systemd/system/ctsys-storage-unit.link.j2",
                symlink=True,
                params=(("unit", UNIT),),
            ),
        ),
        activate=activate_seed,
    ),
]
