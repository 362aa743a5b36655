"""Apply module `time`: chrony.conf (checked by `chronyd -p`), the scheduled-sync and sync-check timers."""

from __future__ import annotations

from typing import Any

from ctsys.apply.module import ApplyContext, FileSpec, Module, StagedFiles
from ctsys.config.document import Appliance
from ctsys.run import run
from ctsys.time.render import chrony_context

CHRONY_CONF = "/etc/chrony/chrony.conf"
TIMER = "ctsys-time-sync.timer"
CHECK_TIMER = "ctsys-time-check.timer"


def _scheduled(doc: Appliance) -> bool:
    return doc.time.sync.mode == "scheduled" and bool(doc.time.servers)


def _context(doc: Appliance) -> dict[str, Any]:
    return chrony_context(doc)


def check_chrony(staged: StagedFiles) -> None:
    """`chronyd -p -f FILE` parses the configuration and exits non-zero on an error."""
    chronyd = staged.tool("chronyd", "chrony", "validate chrony.conf")
    chronyd.run("-p", "-f", chronyd.path(staged.path(CHRONY_CONF)))


def activate_time(ctx: ApplyContext) -> None:
    """Running system only: load the timer units and start or stop the scheduled sync."""
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "enable", "--now", CHECK_TIMER])
    if _scheduled(ctx.doc):
        run(["systemctl", "enable", "--now", TIMER])
    else:
        run(["systemctl", "disable", "--now", TIMER], check=False)


MODULES = [
    Module(
        name="time",
        sections=("time", "network", "services"),
        description="chrony (NTP client and server for cameras), scheduled synchronisation timer",
        files=(
            FileSpec(CHRONY_CONF, "etc/chrony/chrony.conf.j2"),
            FileSpec(
                "/etc/systemd/system/ctsys-time-sync.service",
                "etc/systemd/system/ctsys-time-sync.service.j2",
                when=_scheduled,
            ),
            FileSpec(
                "/etc/systemd/system/ctsys-time-sync.timer",
                "etc/systemd/system/ctsys-time-sync.timer.j2",
                when=_scheduled,
            ),
            FileSpec(
                "/etc/systemd/system/ctsys-time-check.service",
                "etc/systemd/system/ctsys-time-check.service.j2",
            ),
            FileSpec(
                "/etc/systemd/system/ctsys-time-check.timer",
                "etc/systemd/system/ctsys-time-check.timer.j2",
            ),
        ),
        services=("chrony.service",),
        context=_context,
        check=check_chrony,
        activate=activate_time,
        after=("system",),
    ),
]
