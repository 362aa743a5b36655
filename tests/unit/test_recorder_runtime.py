"""Pure parts of the daemon's runtime: routing, alarms, backoff, sd_notify, time parsing."""

from __future__ import annotations

import datetime as dt
import socket
from fractions import Fraction
from pathlib import Path

import av
import pytest

from ctsys.errors import CtsysError
from ctsys.record.timeparse import parse_duration, parse_size, parse_time
from recorder import sdnotify
from recorder.alarm import AlarmState
from recorder.config import parse
from recorder.prealarm import PreAlarmBuffer
from recorder.segment import Sample
from recorder.source import StreamWorker, backoff_delay


class FakeSink:
    def __init__(self) -> None:
        self.fed: list[Sample] = []
        self.recording = False
        self.stops = 0

    def feed(self, sample: Sample) -> None:
        self.fed.append(sample)
        self.recording = True

    def stop(self) -> None:
        self.recording = False
        self.stops += 1


def sample(wall: float, key: bool = True) -> Sample:
    return Sample(0, av.Packet(b"frame"), int(wall * 1000), int(wall * 1000), Fraction(1, 1000), key, True, wall, 5)


def worker(clock_hour: int, schedule: object) -> tuple[StreamWorker, FakeSink, FakeSink, AlarmState]:
    config = parse(
        {
            "volumes": [{"name": "v", "path": "/v"}],
            "cameras": [
                {
                    "name": "c",
                    "volume": "v",
                    "streams": {"main": {"url": "rtsp://x/"}},
                    "continuous": {"schedule": schedule},
                    "alarm": {"post_alarm_seconds": 5},
                }
            ],
        }
    )
    cont, alarm = FakeSink(), FakeSink()
    state = AlarmState(5)
    w = StreamWorker(
        camera=config.cameras["c"],
        stream=config.cameras["c"].streams["main"],
        index=None,
        continuous=cont,
        alarm=alarm,
        alarm_state=state,  # type: ignore[arg-type]
        prealarm=PreAlarmBuffer(2**20),
        read_timeout=1,
        backoff_max=1,
        clock=lambda: dt.datetime(2026, 11, 23, clock_hour),
    )  # a Monday
    return w, cont, alarm, state


@pytest.mark.unit
def test_continuous_follows_its_schedule() -> None:
    w, cont, _, _ = worker(9, {"mon": ["08:00-10:00"]})
    w._dispatch(sample(1000.0))
    assert len(cont.fed) == 1
    w, cont, _, _ = worker(11, {"mon": ["08:00-10:00"]})
    w._dispatch(sample(1000.0))
    assert cont.fed == []


@pytest.mark.unit
def test_an_alarm_writes_the_pre_alarm_buffer_first_then_stops_after_post_alarm() -> None:
    w, cont, alarm, state = worker(9, "always")
    for t in range(10):
        w._dispatch(sample(1000.0 + t))
    assert alarm.fed == [] and len(cont.fed) == 10
    state.trigger(now=1010.0)
    w._dispatch(sample(1010.0))
    assert [s.wall for s in alarm.fed] == [1000.0 + t for t in range(11)]
    # Each sink got its own packet: muxing consumes a packet's buffer.
    assert alarm.fed[-1].packet is not cont.fed[-1].packet
    w._dispatch(sample(1016.0))  # past the 5 s post-alarm
    assert alarm.stops == 1 and len(alarm.fed) == 11


@pytest.mark.unit
def test_alarm_triggers_extend_the_alarm() -> None:
    state = AlarmState(10)
    assert state.trigger(now=100) == 110
    assert state.trigger(now=105) == 115
    assert state.trigger(now=106, seconds=2) == 115  # never shortens
    assert state.active(114.9) and not state.active(115.1)


@pytest.mark.unit
def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_delay(n, 30) for n in range(0, 8)] == [0, 1, 2, 4, 8, 16, 30, 30]
    assert backoff_delay(10_000, 30) == 30


@pytest.mark.unit
def test_sd_notify_sends_datagrams_to_the_notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.setenv("WATCHDOG_USEC", "30000000")
        assert sdnotify.notify("WATCHDOG=1")
        assert server.recv(64) == b"WATCHDOG=1"
    assert sdnotify.watchdog_interval() == 15.0
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sdnotify.notify("READY=1")


@pytest.mark.unit
def test_times_durations_and_sizes_on_the_command_line() -> None:
    now = 1_800_000_000.0
    assert parse_time("now", now) == now
    assert parse_time("-15m", now) == now - 900
    assert parse_time("2027-01-15T08:00:00Z", now) == 1_800_000_000.0
    assert parse_time("2027-01-15T09:00:00+01:00", now) == 1_800_000_000.0
    assert parse_time("1800000000.5", now) == 1_800_000_000.5
    with pytest.raises(CtsysError, match="is not a time"):
        parse_time("yesterday-ish", now)
    assert parse_duration("10m") == 600 and parse_duration("90") == 90
    assert parse_size("700M") == 700 * 2**20 and parse_size("1500") == 1500
    with pytest.raises(CtsysError):
        parse_size("lots")


@pytest.mark.unit
def test_the_watchdog_is_withheld_only_when_a_connected_stream_stops_reading() -> None:
    import time
    from types import SimpleNamespace

    from recorder.daemon import CameraRuntime, Recorder

    config = parse({"volumes": [{"name": "v", "path": "/v"}], "cameras": [], "read_timeout_seconds": 5})
    recorder = Recorder(config)
    worker = SimpleNamespace(stats=SimpleNamespace(state="connected"), heartbeat=time.monotonic(), name="w")
    recorder.cameras["c"] = CameraRuntime(None, [worker], {}, None, None)  # type: ignore[arg-type, list-item]
    assert recorder._workers_alive()
    worker.heartbeat -= 61  # no packet for longer than every timeout allows: a hang
    assert not recorder._workers_alive()
    worker.stats.state = "reconnecting"  # waiting in backoff is not a hang
    assert recorder._workers_alive()
