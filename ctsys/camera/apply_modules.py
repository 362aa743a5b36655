"""Apply module `recorder`: the daemon reads the `cameras` section itself; a change reloads it.

No file is rendered: the recorder parses /etc/ctsys/appliance.yaml at start and
on SIGHUP, restarting only the cameras whose settings changed.
"""

from __future__ import annotations

from ctsys.apply.module import ApplyContext, Module
from ctsys.run import run

UNIT = "ct-recorder.service"


def reload_recorder(ctx: ApplyContext) -> None:
    # try-reload-or-restart: a stopped recorder stays stopped (the services section decides).
    run(["systemctl", "try-reload-or-restart", UNIT], timeout=60)


MODULES = [
    Module(
        name="recorder",
        sections=("cameras",),
        description="recorder daemon: reload on camera, volume or schedule changes",
        activate=reload_recorder,
    ),
]
