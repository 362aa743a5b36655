"""The `time` section: bad input names the field; good input round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.config import document
from ctsys.errors import ValidationError

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"


def problems(data: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        document.validate(data)
    return info.value.problems


def test_defaults_follow_a_pool_continuously_and_serve_the_camera_networks() -> None:
    t = document.defaults().time
    assert [s.host for s in t.servers] == ["pool.ntp.org"] and t.servers[0].pool
    assert t.sync.mode == "continuous"
    assert t.serve.enabled and t.serve.roles == ["cameras"] and t.serve.allow == []


@pytest.mark.parametrize("name", ["time-camera-server.yaml", "time-isolated.yaml"])
def test_fixture_documents_parse_and_round_trip(name: str) -> None:
    doc = document.parse((FIXTURES / name).read_text())
    assert document.parse(document.dump(doc)) == doc


def test_an_unknown_time_zone_is_refused_with_a_suggestion() -> None:
    [(path, reason)] = problems({"system": {"timezone": "Europe/Pari"}})
    assert path == "system.timezone"
    assert "'Europe/Pari' is not a time zone" in reason and "Europe/Paris" in reason


def test_an_invalid_allowed_subnet_names_its_index() -> None:
    [(path, reason)] = problems({"time": {"serve": {"enabled": True, "allow": ["10.0.0.0/8", "10.0.0.300/24"]}}})
    assert path == "time.serve.allow[1]"
    assert "'10.0.0.300/24' is not an IP subnet" in reason


def test_a_malformed_server_name_is_refused() -> None:
    [(path, reason)] = problems({"time": {"servers": [{"host": "ntp server.example"}]}})
    assert path == "time.servers[0].host"
    assert "not a host name" in reason


def test_a_server_listed_twice_is_blamed_on_the_second() -> None:
    [(path, reason)] = problems({"time": {"servers": [{"host": "ntp.example"}, {"host": "NTP.example"}]}})
    assert path == "time.servers[1].host"
    assert "listed twice" in reason


def test_schedule_times_must_be_times_of_day() -> None:
    [(path, reason)] = problems({"time": {"sync": {"mode": "scheduled", "times": ["03:00", "25:00"]}}})
    assert path == "time.sync.times"
    assert "'25:00' is not a time of day" in reason


def test_scheduled_mode_needs_a_time() -> None:
    [(path, reason)] = problems({"time": {"sync": {"mode": "scheduled", "times": []}}})
    assert path == "time.sync.times"
    assert "needs at least one time" in reason


def test_a_server_with_nobody_allowed_is_refused() -> None:
    [(path, reason)] = problems({"time": {"serve": {"enabled": True, "allow": [], "roles": []}}})
    assert path == "time.serve.allow"
    assert "no subnet nor role" in reason
