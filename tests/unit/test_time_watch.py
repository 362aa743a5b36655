"""Losing NTP synchronisation raises one `time` alert; getting it back clears it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.alerts import recorded
from ctsys.config import document
from ctsys.time.status import TimeStatus, parse_tracking
from ctsys.time.watch import check

pytestmark = pytest.mark.unit
SYNCED = TimeStatus(True, True, parse_tracking("0A000001,10.0.0.1,3,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,64.0,Normal\n"))
LOST = TimeStatus(False, False, error="506 Cannot talk to daemon")


def test_loss_raises_once_and_return_clears(tmp_path: Path) -> None:
    root, doc = str(tmp_path), document.defaults()
    assert check(root, doc, SYNCED) == "unchanged"
    assert check(root, doc, LOST) == "raised"
    assert check(root, doc, LOST) == "unchanged"
    assert check(root, doc, SYNCED) == "cleared"
    alerts = recorded(root)
    assert [(a.kind, a.state, a.subject) for a in alerts] == [
        ("time", "raised", "chrony.service"),
        ("time", "cleared", "chrony.service"),
    ]
    assert "506 Cannot talk to daemon" in alerts[0].message
    assert "10.0.0.1" in alerts[1].message


def test_a_clock_that_never_synchronised_is_reported_at_the_first_check(tmp_path: Path) -> None:
    assert check(str(tmp_path), document.defaults(), LOST) == "raised"


def test_a_site_without_ntp_sources_raises_nothing(tmp_path: Path) -> None:
    doc = document.validate({"time": {"servers": []}})
    assert check(str(tmp_path), doc, LOST) == "unchanged"
    assert recorded(str(tmp_path)) == []
