"""The action journal: native journald payload and the file fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys import journal
from ctsys.identity import Actor
from ctsys.journal.query import Filter, actions

pytestmark = pytest.mark.unit


def test_fallback_file_records_and_filters(tmp_path: Path) -> None:
    journal.record(str(tmp_path), "config.set", "ok", actor=Actor("alice", "192.0.2.1"))
    journal.record(str(tmp_path), "net.forward.add", "error: port in use", actor=Actor("bob", "local"))
    assert [a.user for a in actions(str(tmp_path), Filter())] == ["alice", "bob"]
    assert [a.user for a in actions(str(tmp_path), Filter(action="net"))] == ["bob"]
    assert [a.user for a in actions(str(tmp_path), Filter(origin="192.0.2.1"))] == ["alice"]
    assert actions(str(tmp_path), Filter(action="net.forward.add.x")) == []


def test_torn_last_line_is_ignored(tmp_path: Path) -> None:
    journal.record(str(tmp_path), "apply", "ok", actor=Actor("a", "local"))
    with open(tmp_path / journal.FALLBACK, "a") as f:
        f.write('{"time": "2026-')
    assert len(actions(str(tmp_path), Filter())) == 1


def test_journald_payload_uses_binary_form_for_multiline_values() -> None:
    entry = journal.Action("2026-01-01T00:00:00Z", "u", "local", "apply", "ctsys apply", "error: a\nb", {})
    payload = journal._journal_payload(entry)
    assert b"SYSLOG_IDENTIFIER=ctsys-action\n" in payload
    value = b"error: a\nb"
    assert b"CTSYS_RESULT\n" + len(value).to_bytes(8, "little") + value + b"\n" in payload


def test_origin_comes_from_the_ssh_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from ctsys.identity import current_actor

    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.7 50000 198.51.100.1 22")
    monkeypatch.setenv("SUDO_USER", "installer")
    assert current_actor() == Actor("installer", "198.51.100.7")
