"""Apply modules `storage` (mount units, timers), `mdadm` (mdadm.conf) and `smartd` (smartd.conf).

Units are enabled by rendering their [Install] symlinks as files, so the same
render enables them in an image build (--root) and on the running system.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ctsys.apply.module import ApplyContext, FileSpec, Module
from ctsys.config.document import Appliance
from ctsys.config.sections.storage import MAX_VOLUMES
from ctsys.errors import CtsysError
from ctsys.run import run

log = logging.getLogger("ctsys.storage")

UNIT_DIR = "/etc/systemd/system"
# unit -> the target whose .wants/ enables it
STORAGE_UNITS = {
    "ctsys-storage-adopt.service": "multi-user.target",
    "ctsys-storage-shutdown-copy.service": "multi-user.target",
    "ctsys-storage-hotplug.service": "multi-user.target",
    "ctsys-storage-replicate.timer": "timers.target",
    "ctsys-storage-fill.timer": "timers.target",
}
HELPER_UNITS = ("ctsys-storage-replicate.service", "ctsys-storage-fill.service")


def _context(doc: Appliance) -> dict[str, Any]:
    return {"volumes": {v.id: v for v in doc.storage.volumes}}


def _has_volume(n: int) -> Any:
    return lambda doc: doc.storage.volume(n) is not None


def _volume_enabled(n: int) -> Any:
    def when(doc: Appliance) -> bool:
        volume = doc.storage.volume(n)
        return volume is not None and volume.enabled

    return when


def _mount_files() -> tuple[FileSpec, ...]:
    specs = []
    for n in range(1, MAX_VOLUMES + 1):
        unit = f"srv-ctdata-{n}.mount"
        params = (("volume_id", n),)
        specs.append(
            FileSpec(
                f"{UNIT_DIR}/{unit}", "etc/systemd/system/srv-ctdata-N.mount.j2", when=_has_volume(n), params=params
            )
        )
        specs.append(
            FileSpec(
                f"{UNIT_DIR}/local-fs.target.wants/{unit}",
                "etc/systemd/system/srv-ctdata-N.mount.link.j2",
                when=_volume_enabled(n),
                symlink=True,
                params=params,
            )
        )
    return tuple(specs)


def _unit_files() -> tuple[FileSpec, ...]:
    specs = []
    for unit in (*STORAGE_UNITS, *HELPER_UNITS):
        specs.append(FileSpec(f"{UNIT_DIR}/{unit}", f"etc/systemd/system/{unit}.j2"))
    for unit, target in STORAGE_UNITS.items():
        specs.append(
            FileSpec(
                f"{UNIT_DIR}/{target}.wants/{unit}",
                "etc/systemd/system/ctsys-storage-unit.link.j2",
                symlink=True,
                params=(("unit", unit),),
            )
        )
    return tuple(specs)


def activate_storage(ctx: ApplyContext) -> None:
    """Running system: load the units, start the monitors, mount every enabled volume."""
    from ctsys.storage.mounts import mount_volume, systemd_running

    if systemd_running():
        run(["systemctl", "daemon-reload"], timeout=120)
        timers = [u for u in STORAGE_UNITS if u.endswith(".timer")]
        run(["systemctl", "start", *timers, "ctsys-storage-shutdown-copy.service"], check=False, timeout=120)
        run(["systemctl", "try-restart", "ctsys-storage-hotplug.service"], check=False, timeout=120)
    for volume in ctx.doc.storage.volumes:
        if not volume.enabled:
            continue
        try:
            mount_volume(volume, str(ctx.root))
        except CtsysError as exc:
            # Like nofail at boot: a missing disk is reported, it does not fail the apply.
            log.warning("%s (%s) not mounted: %s", volume.label, volume.mountpoint, exc)


LIVE_MEDIUM = "/run/live/medium"


def activate_mdadm(ctx: ApplyContext) -> None:
    """The initramfs carries its own copy of mdadm.conf: refresh it when the file changed."""
    if "/etc/mdadm/mdadm.conf" not in ctx.changed or not os.path.exists("/usr/sbin/update-initramfs"):
        return
    if os.path.isdir(LIVE_MEDIUM):
        # Running live: the initramfs is on the read-only medium, there is nothing to update.
        log.info("live system: initramfs not updated")
        return
    run(["update-initramfs", "-u"], timeout=600)


MODULES = [
    Module(
        name="storage",
        sections=("storage",),
        description="data volume mount units (/srv/ctdata/N, nofail), adopt, fill, replication, hotplug units",
        files=(*_mount_files(), *_unit_files()),
        context=_context,
        activate=activate_storage,
    ),
    Module(
        name="mdadm",
        sections=("storage",),
        description="mdadm.conf (arrays by UUID, monitor events to the alert hooks); initramfs refresh",
        files=(
            FileSpec("/etc/mdadm/mdadm.conf", "etc/mdadm/mdadm.conf.j2"),
            FileSpec("/etc/ctsys/storage/mdadm-event", "etc/ctsys/storage/mdadm-event.j2", mode=0o755),
        ),
        services=("mdmonitor.service",),
        activate=activate_mdadm,
    ),
    Module(
        name="smartd",
        sections=("storage",),
        description="smartd.conf: scheduled self-tests, temperature limits, warnings to the alert hooks",
        files=(
            FileSpec("/etc/smartd.conf", "etc/smartd.conf.j2"),
            FileSpec("/etc/ctsys/storage/smartd-warning", "etc/ctsys/storage/smartd-warning.j2", mode=0o755),
        ),
        services=("smartmontools.service",),
    ),
]
