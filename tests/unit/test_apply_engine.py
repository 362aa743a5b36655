"""The apply engine: ordering, change detection, dry-run diffs, failures, live reloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.apply.engine import Engine
from ctsys.apply.module import FileSpec, Module, StagedFiles
from ctsys.apply.registry import all_modules, ordered
from ctsys.config import document, edit
from ctsys.errors import CommandError, CtsysError
from ctsys.run import run
from ctsys.services.apply_modules import sshd_context

pytestmark = pytest.mark.unit

HOSTNAME = FileSpec("/etc/hostname", "etc/hostname.j2")
SSHD = FileSpec("/etc/ssh/sshd_config", "etc/ssh/sshd_config.j2")


def mod(
    name: str, sections: tuple[str, ...] = ("system",), files: tuple[FileSpec, ...] = (HOSTNAME,), **kw: object
) -> Module:
    return Module(name=name, sections=sections, files=files, **kw)  # type: ignore[arg-type]


def test_order_follows_after_and_is_stable() -> None:
    mods = [mod("c", after=("a",)), mod("b"), mod("a", after=("b",)), mod("d")]
    assert [m.name for m in ordered(mods)] == ["b", "d", "a", "c"]


def test_cycle_and_unknown_dependency_are_reported() -> None:
    with pytest.raises(CtsysError, match="cycle"):
        ordered([mod("a", after=("b",)), mod("b", after=("a",))])
    with pytest.raises(CtsysError, match="unknown module"):
        ordered([mod("a", after=("nope",))])
    with pytest.raises(CtsysError, match="two apply modules"):
        ordered([mod("a"), mod("a")])


def test_real_modules_are_discovered_in_a_valid_order() -> None:
    names = [m.name for m in all_modules()]
    assert {"system", "ssh", "services"} <= set(names)
    assert names.index("system") < names.index("ssh") < names.index("services")


def test_second_apply_changes_nothing(tmp_path: Path) -> None:
    engine = Engine(tmp_path, [mod("host")], live=False)
    doc = document.defaults()
    [first] = engine.apply(doc)
    assert first.status == "applied" and first.files == ["/etc/hostname"]
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"
    [second] = engine.apply(doc)
    assert second.status == "unchanged"


def test_only_modules_consuming_a_changed_section_are_rendered(tmp_path: Path) -> None:
    host = mod("host")
    ssh = mod("ssh", sections=("services",), files=(SSHD,), context=sshd_context)
    engine = Engine(tmp_path, [host, ssh], live=False)
    doc = document.defaults()
    engine.apply(doc)
    changed = edit.set_value(doc, "services.ssh.port", 2222)
    outcomes = {o.module: o for o in engine.apply(changed)}
    assert outcomes["host"].status == "unchanged"
    assert outcomes["ssh"].status == "applied" and outcomes["ssh"].reasons == ["changed: services"]
    assert "Port 2222" in (tmp_path / "etc/ssh/sshd_config").read_text()


def test_hand_edited_file_is_detected_and_restored(tmp_path: Path) -> None:
    engine = Engine(tmp_path, [mod("host")], live=False)
    doc = document.defaults()
    engine.apply(doc)
    (tmp_path / "etc/hostname").write_text("hacked\n")
    [outcome] = engine.apply(doc)
    assert outcome.reasons == ["edited on disk: /etc/hostname"]
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    engine = Engine(tmp_path, [mod("host")], live=False)
    doc = document.defaults()
    engine.apply(doc)
    outcomes, diff = engine.diff(edit.set_value(doc, "system.hostname", "cam9"))
    assert outcomes[0].status == "would-apply"
    assert "-ct-server\n+cam9\n" in diff and diff.startswith("--- /etc/hostname\n+++ /etc/hostname\n")
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"


def test_file_whose_condition_turns_false_is_removed(tmp_path: Path) -> None:
    spec = FileSpec("/etc/hostname", "etc/hostname.j2", when=lambda d: d.services.gui.enabled)
    engine = Engine(tmp_path, [mod("gui", sections=("services",), files=(spec,))], live=False)
    doc = edit.set_value(document.defaults(), "services.gui.enabled", True)
    engine.apply(doc)
    assert (tmp_path / "etc/hostname").exists()
    engine.apply(edit.set_value(doc, "services.gui.enabled", False))
    assert not (tmp_path / "etc/hostname").exists()


def test_moved_target_removes_the_old_file(tmp_path: Path) -> None:
    spec = FileSpec(lambda d: f"/etc/ssh/authorized_keys/{d.system.admin.name}", "etc/ssh/authorized_keys/admin.j2")
    engine = Engine(tmp_path, [mod("keys", files=(spec,))], live=False)
    doc = document.defaults()
    engine.apply(doc)
    engine.apply(edit.set_value(doc, "system.admin.name", "operator"))
    assert sorted(p.name for p in (tmp_path / "etc/ssh/authorized_keys").iterdir()) == ["operator"]


def test_symlink_target_is_rendered_as_a_link(tmp_path: Path) -> None:
    spec = FileSpec("/etc/localtime", "etc/localtime.j2", symlink=True)
    engine = Engine(tmp_path, [mod("tz", files=(spec,))], live=False)
    doc = edit.set_value(document.defaults(), "system.timezone", "Europe/Paris")
    engine.apply(doc)
    link = tmp_path / "etc/localtime"
    assert link.is_symlink() and str(link.readlink()) == "/usr/share/zoneinfo/Europe/Paris"
    assert engine.apply(doc)[0].status == "unchanged"


def _failing_check(staged: StagedFiles) -> None:
    run(["checker", str(staged.path("/etc/hostname"))])


def test_failed_check_keeps_previous_files_and_skips_dependents(tmp_path: Path, fake_run) -> None:  # type: ignore[no-untyped-def]
    host = mod("host", check=_failing_check)
    after = mod("after", sections=("services",), files=(SSHD,), context=sshd_context, after=("host",))
    engine = Engine(tmp_path, [host, after], live=False)
    doc = document.defaults()
    engine.apply(doc)
    fake_run.on("checker", returncode=1, stderr="line 1: bad host name")
    outcomes = engine.apply(edit.set_value(doc, "system.hostname", "cam2"))
    assert outcomes[0].status == "failed"
    assert "checker" in (outcomes[0].error or "") and "bad host name" in (outcomes[0].error or "")
    assert outcomes[1].status == "skipped"
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"
    # The failed module stays dirty: the next apply tries it again.
    fake_run.on("checker", returncode=0)
    assert engine.apply(edit.set_value(doc, "system.hostname", "cam2"))[0].status == "applied"


def test_live_apply_reloads_services_in_order_and_restores_on_failure(tmp_path: Path, fake_run) -> None:  # type: ignore[no-untyped-def]
    host = mod("host", services=("a.service",))
    ssh = mod("ssh", sections=("services", "system"), files=(SSHD,), context=sshd_context,
              services=("b.service",), after=("host",))
    engine = Engine(tmp_path, [host, ssh], live=True)
    doc = document.defaults()
    engine.apply(doc)
    assert fake_run.commands() == [
        "systemctl try-reload-or-restart a.service",
        "systemctl try-reload-or-restart b.service",
    ]
    failure = CommandError("systemctl try-reload-or-restart b.service", 1, "Job failed")
    fake_run.raise_on("systemctl", "try-reload-or-restart", "b.service", exc=failure)
    outcomes = engine.apply(edit.set_value(doc, "services.ssh.port", 2200))
    assert outcomes[1].status == "failed" and "Job failed" in (outcomes[1].error or "")
    assert "Port 22\n" in (tmp_path / "etc/ssh/sshd_config").read_text()


def test_unknown_only_module_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CtsysError, match="unknown apply module"):
        Engine(tmp_path, [mod("host")], live=False).apply(document.defaults(), only=("nope",))


def test_files_can_depend_on_the_document(tmp_path: Path) -> None:
    """One template, one file per element: the set of files follows the document."""

    def per_key(doc: document.Appliance) -> tuple[FileSpec, ...]:
        return tuple(
            FileSpec(f"/etc/keys/{i}", "etc/hostname.j2", params=(("index", i),))
            for i in range(len(doc.system.admin.authorized_keys))
        )

    engine = Engine(tmp_path, [mod("keys", files=per_key)], live=False)
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0 me"
    doc = edit.set_value(document.defaults(), "system.admin.authorized_keys", [key, key + "2"])
    engine.apply(doc)
    assert sorted(p.name for p in (tmp_path / "etc/keys").iterdir()) == ["0", "1"]
    engine.apply(edit.set_value(doc, "system.admin.authorized_keys", [key]))
    assert sorted(p.name for p in (tmp_path / "etc/keys").iterdir()) == ["0"]
