"""The change service (ctsys.change): one lock, validate, preflight, commit, journal, apply.

Only the run() seam is faked (`fake_run`): the document, its history, the
journal and the apply engine are the real ones, on a --root tree.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Any

import pytest

import ctrun
from ctsys import change as service
from ctsys.apply.engine import Engine
from ctsys.apply.module import FileSpec, Module, PreflightContext
from ctsys.config import document, edit
from ctsys.config.document import Appliance
from ctsys.config.store import ConfigStore
from ctsys.errors import CtsysError, ValidationError

pytestmark = pytest.mark.unit


def hostname(name: str) -> service.Mutate:
    return lambda doc: edit.set_value(doc, "system.hostname", name)


def actions(root: Path) -> list[dict[str, Any]]:
    path = root / "var/log/ctsys/actions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def lock_is_free(root: Path) -> bool:
    fd = os.open(root / "var/lib/ctsys/lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        assert exc.errno in (errno.EAGAIN, errno.EACCES)
        return False
    finally:
        os.close(fd)


def test_one_hold_of_the_lock_covers_commit_and_apply(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    holds: list[int] = []
    original = ConfigStore.locked

    def counted(self: ConfigStore, timeout: float = 30.0) -> Any:
        holds.append(1)
        return original(self, timeout)

    monkeypatch.setattr(ConfigStore, "locked", counted)
    free_during_checks: list[bool] = []

    def execute(args: list[str], **options: object) -> object:
        free_during_checks.append(lock_is_free(tmp_path))  # the checkers run while the modules apply
        return fake_run(args, **options)

    monkeypatch.setattr(ctrun, "_execute", execute)
    outcome = service.change(tmp_path, "system.hostname", hostname("cam1"))
    assert holds == [1]
    assert free_during_checks and not any(free_during_checks)
    assert outcome.revision is not None and outcome.revision.summary == "system.hostname"
    assert outcome.applied is not None and outcome.applied.ok and "system" in outcome.applied.applied
    assert (tmp_path / "etc/hostname").read_text() == "cam1\n"
    assert lock_is_free(tmp_path)
    assert [(a["action"], a["result"]) for a in actions(tmp_path)] == [("system.hostname", "ok"), ("apply", "ok")]


def test_a_validation_error_commits_nothing_and_is_journaled(tmp_path: Path, fake_run: Any) -> None:
    with pytest.raises(ValidationError) as info:
        service.change(tmp_path, "config.set", lambda doc: edit.set_value(doc, "services.ssh.port", 99999))
    assert "services.ssh.port" in str(info.value)
    store = ConfigStore(tmp_path)
    assert not store.exists() and store.revisions() == []
    assert fake_run.calls == []  # nothing applied either
    [entry] = actions(tmp_path)
    assert entry["action"] == "config.set" and entry["result"].startswith("error: invalid configuration:")
    assert "\n" not in entry["result"]


def test_a_mutation_is_validated_again_even_when_it_built_the_model_itself(tmp_path: Path, fake_run: Any) -> None:
    def unchecked(doc: Appliance) -> Appliance:  # model_copy skips pydantic's validation
        return doc.model_copy(update={"services": doc.services.model_copy(
            update={"ssh": doc.services.ssh.model_copy(update={"port": 0})})})

    with pytest.raises(ValidationError):
        service.change(tmp_path, "config.set", unchecked, apply=False)
    assert not ConfigStore(tmp_path).exists()


def test_a_preflight_refusal_leaves_the_document_byte_identical(tmp_path: Path, fake_run: Any) -> None:
    service.change(tmp_path, "system.hostname", hostname("cam1"), apply=False)
    store = ConfigStore(tmp_path)
    before, revisions = store.path.read_bytes(), store.revisions()
    seen: list[tuple[str, str]] = []

    def refuse(root: Path, old: Appliance, new: Appliance, force: bool) -> list[str]:
        seen.append((old.system.hostname, new.system.hostname))
        raise CtsysError("this change would cut your SSH session", hint="add --force")

    with pytest.raises(CtsysError, match="would cut your SSH session"):
        service.change(tmp_path, "net.set", hostname("cam2"), preflight=refuse)
    assert seen == [("cam1", "cam2")]  # the preflight sees the current and the new document
    assert store.path.read_bytes() == before and store.revisions() == revisions
    assert fake_run.calls == []
    assert actions(tmp_path)[-1]["action"] == "net.set"
    assert actions(tmp_path)[-1]["result"].startswith("error: this change would cut your SSH session")


def test_force_reaches_the_guard_as_an_argument(tmp_path: Path, fake_run: Any) -> None:
    def guard(root: Path, old: Appliance, new: Appliance, force: bool) -> list[str]:
        if not force:
            raise CtsysError("this change would cut your SSH session")
        return ["this change would cut your SSH session (--force)"]

    with pytest.raises(CtsysError):
        service.change(tmp_path, "net.set", hostname("cam1"), preflight=guard, apply=False)
    outcome = service.change(tmp_path, "net.set", hostname("cam1"), preflight=guard, force=True, apply=False)
    assert outcome.warnings == ["this change would cut your SSH session (--force)"]
    assert ConfigStore(tmp_path).load().system.hostname == "cam1"
    assert "CTSYS_NET_FORCE" not in os.environ


def test_the_engine_hands_force_to_the_modules_preflight_before_writing(tmp_path: Path, fake_run: Any) -> None:
    seen: list[bool] = []

    def guard(ctx: PreflightContext) -> list[str]:
        seen.append(ctx.force)
        if not ctx.force:
            raise CtsysError("refused")
        return ["forced"]

    module = Module(name="guarded", sections=("system",), preflight=guard,
                    files=(FileSpec("/etc/hostname", "etc/hostname.j2"),))
    doc = document.defaults()
    assert Engine(tmp_path, [module], live=False).preflight(doc) == []  # --root: no preflight
    live = Engine(tmp_path, [module], live=True)
    with pytest.raises(CtsysError, match="refused"):
        live.preflight(doc, override=False)
    assert not (tmp_path / "etc/hostname").exists()
    assert live.preflight(doc, override=True) == ["forced"]
    assert seen == [False, True]


def test_the_outcome_serialises(tmp_path: Path, fake_run: Any) -> None:
    outcome = service.change(tmp_path, "system.hostname", hostname("cam1"), details={"why": "test"})
    data = json.loads(json.dumps(outcome.to_dict()))
    assert set(data) == {"action", "changed", "revision", "warnings", "applied", "ok"}
    assert data["action"] == "system.hostname" and data["changed"] is True and data["ok"] is True
    assert data["revision"]["number"] == 2 and data["revision"]["summary"] == "system.hostname"
    assert set(data["applied"]) == {"modules", "warnings", "ok"}
    system = next(m for m in data["applied"]["modules"] if m["module"] == "system")
    assert system["status"] == "applied" and "/etc/hostname" in system["files"]
    assert actions(tmp_path)[0]["details"] == {"why": "test", "revision": "2", "summary": "system.hostname"}
    again = service.change(tmp_path, "system.hostname", hostname("cam1"))
    assert again.to_dict() == {"action": "system.hostname", "changed": False, "revision": None, "warnings": [],
                               "applied": None, "ok": True}


def test_apply_false_commits_only_and_a_tuple_applies_only_those_modules(tmp_path: Path, fake_run: Any) -> None:
    staged = service.change(tmp_path, "system.hostname", hostname("cam1"), apply=False)
    assert staged.changed and staged.applied is None and not (tmp_path / "etc/hostname").exists()
    outcome = service.change(tmp_path, "system.hostname", hostname("cam2"), apply=("system",))
    assert outcome.applied is not None and [m.module for m in outcome.applied.modules] == ["system"]
    assert (tmp_path / "etc/hostname").read_text() == "cam2\n"


def test_a_failed_module_is_reported_not_raised(tmp_path: Path, fake_run: Any) -> None:
    from ctsys.errors import CommandError

    fake_run.raise_on("sshd", exc=CommandError("sshd -t", 255, "Bad configuration option"))
    outcome = service.change(tmp_path, "system.hostname", hostname("cam1"))
    assert outcome.changed and outcome.applied is not None and not outcome.ok
    assert any(m.module == "ssh" and m.status == "failed" for m in outcome.applied.modules)
    assert ConfigStore(tmp_path).load().system.hostname == "cam1"  # the revision stays
    apply_entry = actions(tmp_path)[-1]
    assert apply_entry["action"] == "apply" and apply_entry["result"].startswith("error: ssh: ")


def test_apply_current_records_the_defaults_first(tmp_path: Path, fake_run: Any) -> None:
    outcome = service.apply_current(tmp_path)
    assert outcome.revision is not None and outcome.revision.summary == "initial document"
    assert outcome.applied is not None and outcome.applied.ok
    assert service.apply_current(tmp_path).applied.applied == []  # type: ignore[union-attr]
