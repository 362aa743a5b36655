"""`ctsys time status`, sync and manual setting: chronyc's CSV parsed, commands as expected."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ctsys.errors import CtsysError
from ctsys.time import actions
from ctsys.time.status import collect, parse_sources, parse_tracking

pytestmark = pytest.mark.unit

TRACKING = (
    "0AE70101,10.231.1.1,9,1795903867.650779352,-0.000002599,-0.000000397,0.000000937,"
    "-0.074,-0.018,0.306,0.000012452,0.000001046,1.0,Normal\n"
)
SOURCES = (
    "^,*,10.231.1.1,8,-1,377,0,0.000000486,0.000000089,0.000006285\n"
    "^,?,192.0.2.7,0,6,0,4294967295,0.000000000,0.000000000,0.000000000\n"
)
UNSYNCED = (
    "7F7F0101,,0,0.000000000,0.000000000,0.000000000,0.000000000,"
    "0.000,0.000,0.000,0.000000000,0.000000000,0.0,Not synchronised\n"
)


def test_tracking_csv_gives_offset_stratum_and_leap() -> None:
    t = parse_tracking(TRACKING)
    assert t.reference == "10.231.1.1" and t.stratum == 9
    assert t.offset_seconds == pytest.approx(-2.599e-6)
    assert t.skew_ppm == pytest.approx(0.306)
    assert t.leap_status == "Normal"


def test_sources_csv_gives_state_and_reachability() -> None:
    good, never = parse_sources(SOURCES)
    assert (good.mode, good.state, good.reach, good.reached_of_8) == ("server", "selected", 0o377, 8)
    assert never.state == "unusable" and never.reached_of_8 == 0 and never.last_rx_seconds is None


def test_status_is_synchronised_with_a_reference(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", "-c", "-n", "tracking", stdout=TRACKING)
    fake_run.on("chronyc", "-c", "-n", "sources", stdout=SOURCES)
    state = collect()
    assert state.running and state.synchronised
    assert len(state.sources) == 2


def test_status_without_a_reference_is_not_synchronised(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", "-c", "-n", "tracking", stdout=UNSYNCED)
    assert not collect().synchronised


def test_status_when_chronyd_is_down_says_so(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", returncode=1, stderr="506 Cannot talk to daemon")
    state = collect()
    assert not state.running and state.error == "506 Cannot talk to daemon"


def test_status_command_prints_json(fake_run, cli_root) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", "-c", "-n", "tracking", stdout=TRACKING)
    fake_run.on("chronyc", "-c", "-n", "sources", stdout=SOURCES)
    out = json.loads(cli_root("time", "status", "--json").output)
    assert out["synchronised"] is True
    assert out["tracking"]["stratum"] == 9
    assert out["sources"][0]["reached_of_8"] == 8


def test_scheduled_sync_brings_sources_online_then_offline_even_on_failure(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", "-n", "waitsync", returncode=1)
    with pytest.raises(CtsysError, match="no NTP source answered"):
        actions.sync_now(20)
    assert fake_run.commands() == [
        "chronyc -n online",
        "chronyc -n burst 4/4",
        "chronyc -n waitsync 20 0.1 0 1",
        "chronyc -n makestep",
        "chronyc -n offline",
    ]


def test_manual_setting_is_refused_while_ntp_drives_the_clock(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", "-c", "-n", "tracking", stdout=TRACKING)
    with pytest.raises(CtsysError, match="follows an NTP source"):
        actions.set_clock(dt.datetime(2026, 11, 28, 14, 5, tzinfo=dt.UTC))
    assert not [c for c in fake_run.commands() if "settime" in c or c.startswith("date")]


def test_manual_setting_goes_through_chronyd_when_it_runs_unsynchronised(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", "-c", "-n", "tracking", stdout=UNSYNCED)
    how = actions.set_clock(dt.datetime(2026, 11, 28, 14, 5, tzinfo=dt.UTC))
    assert how == "chronyd"
    assert fake_run.commands()[-2:] == ["chronyc manual on", "chronyc settime Nov 28, 2026 14:05:00"]


def test_manual_setting_without_chronyd_uses_date_in_utc(fake_run) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("chronyc", returncode=1, stderr="506 Cannot talk to daemon")
    when = dt.datetime(2026, 11, 28, 15, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert actions.set_clock(when) == "date"
    assert "date --utc --set 2026-11-28 14:05:00" in fake_run.commands()


def test_a_date_that_cannot_be_read_is_refused() -> None:
    with pytest.raises(CtsysError, match="is not a date and time"):
        actions.parse_when("tomorrow at noon")
