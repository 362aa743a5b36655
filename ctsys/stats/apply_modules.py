"""Apply module `stats`: the timer that samples statistics every 5 minutes."""

from __future__ import annotations

from ctsys.apply.module import ApplyContext, FileSpec, Module
from ctsys.run import run


def activate_stats(ctx: ApplyContext) -> None:
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "enable", "--now", "ctsys-stats.timer"])


MODULES = [
    Module(
        name="stats",
        sections=(),
        description="statistics sampling timer",
        files=(
            FileSpec("/etc/systemd/system/ctsys-stats.service", "etc/systemd/system/ctsys-stats.service.j2"),
            FileSpec("/etc/systemd/system/ctsys-stats.timer", "etc/systemd/system/ctsys-stats.timer.j2"),
        ),
        activate=activate_stats,
    ),
]
