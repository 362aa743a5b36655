"""`ctsys system ...`: settings, factory reset, power commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ctsys.cli import cli
from ctsys.config.store import ConfigStore

pytestmark = pytest.mark.unit
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0 tech"


@pytest.fixture
def ctsys(tmp_path: Path, fake_run):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(cli, ["--root", str(tmp_path), *args], input=input)


def test_settings_commands_change_the_document_and_apply(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert ctsys("system", "hostname", "cam-srv-2").exit_code == 0
    assert ctsys("system", "timezone", "America/Montreal").exit_code == 0
    assert (tmp_path / "etc/hostname").read_text() == "cam-srv-2\n"
    assert str((tmp_path / "etc/localtime").readlink()).endswith("America/Montreal")
    bad = ctsys("system", "locale", "klingon")
    assert bad.exit_code == 1 and "system.locale" in bad.output


def test_admin_keys_are_added_listed_and_removed(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctsys("system", "admin-key", "add", KEY)
    ctsys("system", "admin-key", "add", KEY)  # the same key twice is one key
    assert ctsys("system", "admin-key", "list").output.strip() == f"0  {KEY}"
    assert KEY in (tmp_path / "etc/ssh/authorized_keys/admin").read_text()
    ctsys("system", "admin-key", "remove", "0")
    assert KEY not in (tmp_path / "etc/ssh/authorized_keys/admin").read_text()
    assert ctsys("system", "admin-key", "add", "not-a-key").exit_code == 1


def test_factory_reset_keeps_storage_network_and_keys(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctsys("system", "hostname", "cam-srv-3")
    ctsys("system", "admin-key", "add", KEY)
    ctsys("service", "enable", "snmp")
    refused = ctsys("system", "factory-reset", "--confirm", "wrong")
    assert refused.exit_code == 1 and "does not match" in refused.output
    assert ConfigStore(tmp_path).load().system.hostname == "cam-srv-3"
    assert ctsys("system", "factory-reset", input="cam-srv-3\n").exit_code == 0
    doc = ConfigStore(tmp_path).load()
    assert doc.system.hostname == "ct-server" and not doc.services.snmp.enabled
    assert doc.system.admin.authorized_keys == [KEY]
    assert ConfigStore(tmp_path).revisions()[-1].command.startswith("ctsys")


def test_power_commands_refuse_a_root_tree(ctsys) -> None:  # type: ignore[no-untyped-def]
    result = ctsys("system", "reboot", "--yes")
    assert result.exit_code == 1 and "running system" in result.output


def test_service_restart_runs_systemctl_on_the_live_system(fake_run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import ctsys.journal

    # The live system's action log, redirected into the test's directory.
    monkeypatch.setattr(ctsys.journal, "FALLBACK", str(tmp_path / "actions.jsonl").lstrip("/"))
    result = CliRunner().invoke(cli, ["service", "restart", "ntp"])
    assert result.exit_code == 0, result.output
    assert fake_run.commands() == ["systemctl restart chrony.service"]
    assert "service.restart" in (tmp_path / "actions.jsonl").read_text()


def test_ssh_password_login_goes_off_only_when_the_admin_has_a_key(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sshd_config = tmp_path / "etc/ssh/sshd_config"
    refused = ctsys("system", "ssh-password", "off")
    assert refused.exit_code == 1 and "no SSH key" in refused.output
    assert ConfigStore(tmp_path).load().services.ssh.password_authentication
    added = ctsys("system", "admin-key", "add", KEY)
    # no terminal here: a hint, not a question
    assert added.exit_code == 0 and "ssh-password off" in added.output
    assert ctsys("system", "ssh-password", "off").exit_code == 0
    assert not ConfigStore(tmp_path).load().services.ssh.password_authentication
    assert "PasswordAuthentication no\n" in sshd_config.read_text()
    assert ctsys("system", "ssh-password", "on").exit_code == 0
    assert "PasswordAuthentication yes\n" in sshd_config.read_text()


def test_sshd_config_names_only_current_algorithms_and_the_admin(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ctsys.services import sshd

    assert ctsys("system", "hostname", "cam-srv-4").exit_code == 0
    text = (tmp_path / "etc/ssh/sshd_config").read_text()
    lines = dict(line.split(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    for keyword, value in sshd.policy().items():
        assert lines[keyword] == value
        assert not any(weak in value for weak in ("sha1", "cbc", "md5", "nistp256-sha", "ssh-rsa,"))
    assert lines["AllowUsers"] == "admin" and lines["PermitRootLogin"] == "no"
    assert [line for line in text.splitlines() if line.startswith("HostKey ")] == [
        f"HostKey {key}" for key in sshd.HOST_KEYS]


def test_a_locale_the_image_does_not_carry_is_refused_naming_the_field(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = ctsys("system", "locale", "pt_BR.UTF-8")
    assert bad.exit_code == 1 and "system.locale" in bad.output and "fr_FR.UTF-8" in bad.output
    assert ctsys("system", "locale", "fr_FR.UTF-8").exit_code == 0
    assert (tmp_path / "etc/default/locale").read_text().strip().endswith("LANG=fr_FR.UTF-8")


def test_the_image_compiles_every_locale_the_document_accepts() -> None:
    import yaml

    from ctsys.config.sections.system import LOCALES

    defaults = yaml.safe_load((Path(__file__).parents[2] / "roles/base/defaults/main.yml").read_text())
    assert {"C.UTF-8", *defaults["base__locales"]} == set(LOCALES)
