"""`ct-recorder` as the appliance runs it: the recorder's own command, with its alerts raised by ctsys.

The recorder imports nothing of ctsys: its daemon reports alerts through the
hook it is given (recorder.daemon.AlertHook). This entry point (pyproject's
`ct-recorder` script, ct-recorder.service's ExecStart) gives it ctsys.alerts,
so a vanished volume or a silent camera reaches the journal and the hooks in
/etc/ctsys/alert.d like every other alert. `CT_RECORDER_ALERT_ROOT` puts
them under another root (tests).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from recorder.cli import main as recorder_main

if TYPE_CHECKING:
    from recorder.daemon import AlertEvent


def raise_recorder_alert(event: AlertEvent) -> None:
    from ctsys.alerts import raise_alert

    root = os.environ.get("CT_RECORDER_ALERT_ROOT", "/")
    raise_alert(root, event.kind, event.subject, event.message, severity=event.severity, state=event.state)


def main(argv: list[str] | None = None) -> None:
    recorder_main(argv, alert_hook=raise_recorder_alert)


if __name__ == "__main__":
    main()
