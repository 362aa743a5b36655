"""`ctsys seed show|apply`: once per seed content at first boot, bad seeds change nothing, the unit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ctsys.cli import cli
from ctsys.config.document import defaults
from ctsys.config.store import ConfigStore
from ctsys.seed import firstboot
from tests.conftest import FakeRun

pytestmark = pytest.mark.unit
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0uAb0Hq5sOuB8xqYkX9b2yP3cG2cYtYb3VYQmZt0 tech@laptop"
SEED = (
    f"hostname: vm-gate-07\nadmin_authorized_keys: ['{KEY}']\n"
    "network:\n  interfaces:\n"
    "    - {name: eth0, role: management, addresses: [192.0.2.10/24], gateway4: 192.0.2.1}\n"
)

Ctsys = Callable[..., Result]


@pytest.fixture
def ctsys(tmp_path: Path, fake_run: FakeRun) -> Ctsys:
    """`ctsys --root TMP ...` on a machine without seed disks (stdout and stderr apart)."""
    fake_run.on("lsblk", stdout='{"blockdevices": []}')
    runner = CliRunner(mix_stderr=False)
    return lambda *args: runner.invoke(cli, ["--root", str(tmp_path), *args])


def esp_seed(root: Path, text: str) -> Path:
    path = root / "boot/efi/ct-seed.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_show_says_what_would_change_and_changes_nothing(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, SEED + "admin_password_hash: $y$j9T$abc$def\n")
    result = ctsys("seed", "show", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["source"] == {"where": "/boot/efi/ct-seed.yaml", "kind": "esp", "format": "ct-seed",
                                "files": ["ct-seed.yaml"]}
    assert [c["path"] for c in report["changes"]] == [
        "system.hostname", "system.admin.authorized_keys", "system.admin.password_hash", "network"]
    assert report["sets"]["system.admin.password_hash"] == "set"  # the hash itself is not shown
    assert not report["applied_before"]
    assert not ConfigStore(tmp_path).exists() and not (tmp_path / "var/lib/ctsys/history").exists()
    human = ctsys("seed", "show").stdout
    assert "seed: /boot/efi/ct-seed.yaml" in human and 'change system.hostname: "ct-server" -> "vm-gate-07"' in human


def test_first_boot_applies_a_seed_once_then_a_new_seed_again(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, SEED)
    first = ctsys("seed", "apply", "--first-boot")
    assert first.exit_code == 0, first.stderr
    store = ConfigStore(tmp_path)
    assert store.revisions()[-1].summary == "seed: hostname, admin keys, network from /boot/efi/ct-seed.yaml"
    assert (tmp_path / "etc/hostname").read_text() == "vm-gate-07\n"
    assert KEY in (tmp_path / "etc/ssh/authorized_keys/admin").read_text()
    assert "192.0.2.10/24" in (tmp_path / "etc/netplan/60-ctsys.yaml").read_text()
    revisions = len(store.revisions())

    again = ctsys("seed", "apply", "--first-boot")
    assert again.exit_code == 0 and "applied already" in again.stdout
    assert len(store.revisions()) == revisions

    esp_seed(tmp_path, SEED.replace("vm-gate-07", "vm-gate-08"))
    assert ctsys("seed", "apply", "--first-boot").exit_code == 0
    assert store.load().system.hostname == "vm-gate-08"
    assert [e["source"] for e in firstboot.applied(tmp_path)] == ["/boot/efi/ct-seed.yaml"] * 2


def test_a_seed_applied_once_does_not_come_back_over_a_later_one(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, "hostname: first\n")
    ctsys("seed", "apply", "--first-boot")
    esp_seed(tmp_path, "hostname: second\n")
    ctsys("seed", "apply", "--first-boot")
    esp_seed(tmp_path, "hostname: first\n")  # e.g. the newer seed disk detached, the ESP's seen again
    assert "applied already" in ctsys("seed", "apply", "--first-boot").stdout
    assert ConfigStore(tmp_path).load().system.hostname == "second"


def test_a_seed_applied_by_hand_applies_again_by_hand_but_not_at_boot(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, "hostname: gate\n")
    assert ctsys("seed", "apply").exit_code == 0
    ctsys("config", "set", "system.hostname", "renamed")
    assert "applied already" in ctsys("seed", "apply", "--first-boot").stdout  # the rename stays at reboot
    assert ConfigStore(tmp_path).load().system.hostname == "renamed"
    assert ctsys("seed", "apply").exit_code == 0
    assert ConfigStore(tmp_path).load().system.hostname == "gate"
    assert len(firstboot.applied(tmp_path)) == 1


def test_no_seed_at_first_boot_is_a_quiet_success(ctsys: Ctsys, tmp_path: Path) -> None:
    result = ctsys("seed", "apply", "--first-boot")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert not ConfigStore(tmp_path).exists() and not (tmp_path / "var/lib/ctsys/seed-applied.json").exists()
    assert "no seed found" in ctsys("seed", "apply").stdout


def test_a_bad_seed_names_the_file_and_field_and_changes_nothing(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, "hostname: good-name\nadmin_authorized_keys: [nope]\ndisk: auto\n")
    result = ctsys("seed", "apply", "--first-boot")
    assert result.exit_code == 1
    assert "/boot/efi/ct-seed.yaml: disk: a seed does not choose a disk" in result.stderr
    esp_seed(tmp_path, "hostname: good-name\nadmin_authorized_keys: [nope]\n")
    result = ctsys("seed", "apply", "--first-boot")
    assert result.exit_code == 1
    assert "/boot/efi/ct-seed.yaml: admin_authorized_keys: key 0 is not an SSH public key" in result.stderr
    assert not ConfigStore(tmp_path).exists() and firstboot.applied(tmp_path) == []
    assert not (tmp_path / "etc/hostname").exists()
    journal = (tmp_path / "var/log/ctsys/actions.jsonl").read_text()
    assert '"seed.apply"' in journal and "admin_authorized_keys" in journal


def test_dry_run_validates_and_changes_nothing(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, SEED)
    result = ctsys("seed", "apply", "--dry-run", "--first-boot")
    assert result.exit_code == 0 and "dry run: nothing changed" in result.stdout
    assert not ConfigStore(tmp_path).exists() and firstboot.applied(tmp_path) == []


def test_apply_json_is_one_document_on_stdout(ctsys: Ctsys, tmp_path: Path) -> None:
    esp_seed(tmp_path, SEED)
    result = ctsys("seed", "apply", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["applied"] and report["revision"] == 2
    assert "revision 2: seed:" in result.stderr and "system: applied" in result.stderr


def test_boot_in_progress_follows_systemd(fake_run: FakeRun) -> None:
    fake_run.on("systemctl", "is-system-running", stdout="starting\n", returncode=1)
    assert firstboot.boot_in_progress()
    fake_run.on("systemctl", "is-system-running", stdout="degraded\n", returncode=1)
    assert not firstboot.boot_in_progress()


def test_during_boot_files_are_rendered_without_touching_services(fake_run: FakeRun, tmp_path: Path) -> None:
    from ctsys.config import edit

    store = ConfigStore(tmp_path)
    with store.locked():
        doc = edit.set_value(defaults(), "system.hostname", "vm-gate-07")
        store.commit(doc, "test")
    fake_run.on("getent", "passwd", "admin", returncode=2)
    firstboot.apply_during_boot(tmp_path)
    assert (tmp_path / "etc/hostname").read_text() == "vm-gate-07\n"
    commands = fake_run.commands()
    assert "hostname vm-gate-07" in commands and "netplan generate" in commands
    assert any(c.startswith("useradd ") for c in commands)  # the system module's own activation
    # Units ordered after ctsys-seed.service would wait for it: no systemctl, no `netplan apply`, no rollback.
    assert not [c for c in commands if c.startswith(("systemctl", "netplan apply"))]
    assert not (tmp_path / "var/lib/ctsys/net/pending.json").exists()


def unit_sections(text: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            current.setdefault(key, []).extend(value.split() if key in ("After", "Before", "Wants") else [value])
    return sections


def test_the_seed_unit_runs_early_once_per_boot_and_is_enabled(tmp_path: Path) -> None:
    from ctsys.apply.engine import Engine
    from ctsys.seed.apply_modules import MODULES

    (outcome,) = Engine(tmp_path, list(MODULES), live=False).apply(defaults())
    assert outcome.status == "applied", outcome.error
    unit = unit_sections((tmp_path / "etc/systemd/system/ctsys-seed.service").read_text())
    assert unit["Service"]["Type"] == ["oneshot"]
    assert unit["Service"]["ExecStart"] == ["ctsys seed apply --first-boot"]
    assert unit["Unit"]["DefaultDependencies"] == ["no"]
    assert unit["Unit"]["ConditionVirtualization"] == ["vm"]  # not a USB stick on a field appliance
    before, after = set(unit["Unit"]["Before"]), set(unit["Unit"]["After"])
    assert {"sysinit.target", "network-pre.target", "systemd-networkd.service", "nftables.service",
            "ssh.service"} <= before
    assert "local-fs.target" in after and not before & after
    assert unit["Unit"]["Wants"] == ["network-pre.target"]
    assert unit["Install"]["WantedBy"] == ["sysinit.target"]
    link = tmp_path / "etc/systemd/system/sysinit.target.wants/ctsys-seed.service"
    assert str(link.readlink()) == "/etc/systemd/system/ctsys-seed.service"
