"""The pass_persist subagent: protocol, ordering of the subtree, unknown values left out."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ctsys.snmp.agent import Agent
from ctsys.snmp.sources import recorder_from_stats
from ctsys.snmp.state import State, from_dict
from ctsys.snmp.tree import Tree

pytestmark = pytest.mark.unit
STATE = Path(__file__).parent.parent / "fixtures/snmp-state.json"
BASE = ".1.3.6.1.4.1.99999.1"


def fixture_state() -> State:
    return from_dict(json.loads(STATE.read_text()))


def converse(agent: Agent, text: str) -> list[str]:
    out = io.StringIO()
    agent.serve(io.StringIO(text), out)
    return out.getvalue().splitlines()


def test_ping_get_getnext_and_set_follow_the_pass_persist_protocol() -> None:
    agent = Agent(99999, fixture_state)
    replies = converse(
        agent,
        f"PING\nget\n{BASE}.1.3.0\ngetnext\n{BASE}\nget\n{BASE}.1.3\n"
        f"set\n{BASE}.1.3.0\nstring x\ngetnext\n{BASE}.7.4.0\n",
    )
    assert replies == [
        "PONG",
        f"{BASE}.1.3.0", "string", "cam-srv-01",
        f"{BASE}.1.1.0", "string", "0.1.0",
        "NONE",  # not an instance
        "not-writable",
        "NONE",  # past the last object
    ]  # fmt: skip


def test_a_walk_visits_tables_column_by_column_in_oid_order() -> None:
    tree = Tree((1, 3, 6, 1, 4, 1, 99999, 1), fixture_state())
    walked, oid = [], (1, 3, 6, 1, 4, 1, 99999, 1)
    for _ in range(1000):  # bounded
        row = tree.getnext(oid)
        if row is None:
            break
        oid = tree.base + row.oid
        walked.append(oid)
    assert walked == sorted(walked) and len(walked) == 57
    cameras = [o[8:] for o in walked if o[8] == 6]
    assert cameras[:3] == [(6, 1, 2, 1), (6, 1, 2, 2), (6, 1, 3, 1)]


def test_unknown_values_are_absent_and_numbers_are_scaled() -> None:
    tree = Tree((1,), fixture_state())
    assert tree.get((1, 3, 1, 7, 2)) is None  # sdb's temperature is unknown
    fps = tree.get((1, 6, 1, 4, 1))
    assert fps is not None and (fps.type, fps.value) == ("gauge", 2500)
    size = tree.get((1, 3, 1, 4, 1))
    assert size is not None and size.value == 4000787030016 // 2**20


def test_text_is_made_printable_and_short() -> None:
    state = fixture_state()
    state.cameras[0].name = "entrée\n" + "x" * 300
    row = Tree((1,), state).get((1, 6, 1, 2, 1))
    assert row is not None and row.value == "entr?e?" + "x" * 248


def test_the_snapshot_is_reused_within_its_ttl() -> None:
    calls = []

    def snapshot() -> State:
        calls.append(1)
        return fixture_state()

    agent = Agent(99999, snapshot, ttl=60)
    converse(agent, f"get\n{BASE}.1.3.0\nget\n{BASE}.1.4.0\n")
    assert len(calls) == 1


def test_a_fixture_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        from_dict({"cameras": [{"name": "c", "colour": "red"}]})


def test_recorder_stats_become_cameras_and_totals() -> None:
    stats = {"streams": [
        {"camera": "cam1", "stream": "main", "state": "recording", "fps": 25.0, "bitrate_kbps": 4000.0, "bytes": 2**30},
        {"camera": "cam1", "stream": "sub", "state": "recording", "fps": 10.0, "bitrate_kbps": 500.0, "bytes": 2**20},
        {"camera": "cam2", "stream": "main", "state": "disconnected", "fps": 0.0, "bitrate_kbps": 0.0},
    ]}  # fmt: skip
    cameras, totals = recorder_from_stats(stats)
    assert [(c.name, c.state, c.fps, c.bitrate_kbps) for c in cameras] == [
        ("cam1", "recording", 25.0, 4500.0),
        ("cam2", "disconnected", 0.0, 0.0),
    ]
    assert (totals.cameras, totals.cameras_recording, totals.bitrate_kbps) == (2, 1, 4500.0)
    assert totals.written_bytes == 2**30 + 2**20


def test_live_collection_survives_missing_sources(fake_run) -> None:  # type: ignore[no-untyped-def]
    """No storage tools, no recorder, no systemd: the appliance figures are still served."""
    from ctsys.snmp import sources

    fake_run.on("lsblk", returncode=1, stderr="lsblk: not here")
    sources._disks_cache = None
    state = sources.collect({"services": {"recorder": "ct-recorder.service"}, "recorder_api_port": 9})
    assert state.appliance.hostname and state.appliance.memory_total_bytes > 0
    assert [s.name for s in state.services] == ["recorder"]
    assert state.disks == [] and state.cameras == []
    assert Tree((1,), state).get((1, 1, 3, 0)) is not None
