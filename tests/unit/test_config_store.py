"""Storage of the document: atomic writes, history, diff, rollback, lock."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from ctsys.config import document, edit
from ctsys.config.store import ConfigStore
from ctsys.errors import CtsysError, ValidationError
from ctsys.identity import Actor

pytestmark = pytest.mark.unit
ME = Actor("tester", "192.0.2.10")


def change(store: ConfigStore, path: str, value: object, command: str = "test") -> object:
    with store.locked():
        return store.commit(edit.set_value(store.load(), path, value), command, actor=ME)


def test_missing_document_reads_as_defaults(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    assert not store.exists()
    assert store.load() == document.defaults()
    assert store.revisions() == []


def test_first_change_keeps_the_previous_document_as_revision_1(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    rev = change(store, "system.hostname", "cam1", "ctsys config set system.hostname cam1")
    revs = store.revisions()
    assert [r.number for r in revs] == [1, 2]
    assert rev == revs[1]
    assert revs[1].user == "tester" and revs[1].origin == "192.0.2.10"
    assert revs[1].command == "ctsys config set system.hostname cam1"
    assert revs[1].summary == "system.hostname"
    assert document.parse(store.revision_text(1)).system.hostname == "ct-server"
    assert store.load().system.hostname == "cam1"


def test_unchanged_document_records_no_revision(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    assert change(store, "system.hostname", "cam1") is None
    assert len(store.revisions()) == 2


def test_diff_between_revisions(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    change(store, "services.ssh.port", 2222)
    text = store.diff(2, 3)
    assert "-    port: 22\n" in text and "+    port: 2222\n" in text
    assert "hostname" not in text.replace("hostname: cam1", "")  # only context lines mention it
    assert store.diff(None, None) == store.diff(2, None)


def test_rollback_restores_an_earlier_document_as_a_new_revision(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    change(store, "system.hostname", "cam2")
    with store.locked():
        store.commit(document.parse(store.revision_text(2)), "rollback 2", actor=ME, summary="rollback to revision 2")
    assert store.load().system.hostname == "cam1"
    assert [r.summary for r in store.revisions()][-1] == "rollback to revision 2"


def test_unknown_revision_names_the_known_range(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    with pytest.raises(CtsysError, match=r"no revision 9 .*1\.\.2"):
        store.revision_text(9)


def test_invalid_set_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    before = store.path.read_bytes()
    with pytest.raises(ValidationError):
        edit.set_value(store.load(), "system.hostname", "not valid!")
    assert store.path.read_bytes() == before
    assert len(store.revisions()) == 2


def test_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["appliance.yaml"]


def test_corrupt_document_on_disk_is_reported_with_a_hint(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.path.parent.mkdir(parents=True)
    store.path.write_text("system: {hostname: 'a b'}\n")
    with pytest.raises(CtsysError) as info:
        store.load()
    assert "system.hostname" in str(info.value) and "rollback" in str(info.value)


def _hold_lock(root: str, ready: object, seconds: float) -> None:
    store = ConfigStore(root)
    with store.locked():
        ready.set()  # type: ignore[attr-defined]
        time.sleep(seconds)


def test_a_second_writer_waits_for_the_lock(tmp_path: Path) -> None:
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(tmp_path), ready, 0.6))
    holder.start()
    try:
        assert ready.wait(10)
        started = time.monotonic()
        with ConfigStore(tmp_path).locked(timeout=10):
            waited = time.monotonic() - started
        assert waited > 0.3
    finally:
        holder.join(10)


def test_lock_timeout_names_the_holder(tmp_path: Path) -> None:
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(str(tmp_path), ready, 3))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(CtsysError, match=rf"pid {holder.pid}"), ConfigStore(tmp_path).locked(timeout=0.2):
            pass
    finally:
        holder.join(10)


def test_history_time_honours_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    store = ConfigStore(tmp_path)
    change(store, "system.hostname", "cam1")
    assert {r.time for r in store.revisions()} == {"2023-11-14T22:13:20Z"}
