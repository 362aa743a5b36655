"""The one-time administrator password (roles/base: admin-password, ssh-password-gate).

The scripts run with sh against a made-up account file: `getent` and `chpasswd`
are stand-ins on PATH that read and write it, as the real ones do /etc/shadow.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import jinja2
import pytest

pytestmark = pytest.mark.unit
TEMPLATES = Path(__file__).resolve().parents[2] / "roles/base/templates/usr/lib/ct-server"
GETENT = """#!/bin/sh
[ "$1" = shadow ] || exit 2
grep "^$2:" "$FAKE_SHADOW" || exit 2
"""
# what chpasswd does to the file: a new hash in the user's line (this one is made up)
CHPASSWD = """#!/bin/sh
IFS=: read -r user password
echo "$user" >>"$FAKE_SHADOW.calls"
hash="\\$6\\$fake\\$$(printf '%s' "$password" | sha256sum | cut -c1-16)"
sed -i "s|^$user:[^:]*:|$user:$hash:|" "$FAKE_SHADOW"
"""
ONE_TIME = re.compile(r"^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$")


class Machine:
    def __init__(self, tmp: Path, live: bool) -> None:
        self.tmp = tmp
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        for name, text in (("getent", GETENT), ("chpasswd", CHPASSWD)):
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        for name in ("admin-password", "ssh-password-gate"):
            template = jinja2.Template((TEMPLATES / f"{name}.j2").read_text())
            (tmp / name).write_text(template.render(ansible_managed="test", base__admin_user="admin"))
        self.shadow = tmp / "shadow"
        self.shadow.write_text("root:*:20000:0:99999:7:::\nadmin:!:20000:0:99999:7:::\n")
        (tmp / "cmdline").write_text("BOOT_IMAGE=/live/vmlinuz boot=live quiet\n" if live else "root=UUID=x ro\n")
        self.env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "FAKE_SHADOW": str(self.shadow),
            "CT_STATE_DIR": str(tmp / "state"),
            "CT_ISSUE_DIR": str(tmp / "issue.d"),
            "CT_CONSOLE": str(tmp / "console"),
            "CT_CMDLINE_FILE": str(tmp / "cmdline"),
        }
        (tmp / "console").write_text("")
        self.issue = tmp / "issue.d/50-ct-admin-password.issue"
        self.state = tmp / "state/admin-onetime-password"

    def boot(self) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["sh", str(self.tmp / "admin-password")], env=self.env,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result

    def ssh_password_login(self, user: str = "admin") -> int:
        return subprocess.run(["sh", str(self.tmp / "ssh-password-gate")], env={**self.env, "PAM_USER": user},
                              capture_output=True, text=True, timeout=30).returncode

    def shown_password(self) -> str:
        line = self.issue.read_text().splitlines()[0]
        password = line.removeprefix("One-time password for admin: ")
        assert ONE_TIME.match(password), line
        return password

    def hash(self) -> str:
        return next(line for line in self.shadow.read_text().splitlines() if line.startswith("admin:")).split(":")[1]

    def calls(self) -> int:
        calls = Path(f"{self.shadow}.calls")
        return len(calls.read_text().splitlines()) if calls.exists() else 0


def test_an_installed_system_without_a_password_gets_one_shown_until_changed(tmp_path: Path) -> None:
    machine = Machine(tmp_path, live=False)
    machine.boot()
    password = machine.shown_password()
    assert machine.hash().startswith("$6$fake$") and machine.calls() == 1
    assert password in (tmp_path / "console").read_text()
    assert "SSH refuses it" in machine.issue.read_text()
    assert machine.issue.stat().st_mode & 0o077 == 0 and machine.state.stat().st_mode & 0o077 == 0
    assert machine.ssh_password_login() == 1  # refused: still the one-time password
    assert machine.ssh_password_login("root") == 0  # not that account's password: not this gate's business
    # the next boot shows the same password again and does not change it
    machine.boot()
    assert machine.shown_password() == password and machine.calls() == 1
    # the administrator sets their own (passwd at the console): nothing shown, SSH allowed
    machine.shadow.write_text(machine.shadow.read_text().replace(machine.hash(), "$y$j9T$own$hash"))
    machine.boot()
    assert not machine.issue.exists() and not machine.state.exists()
    assert machine.ssh_password_login() == 0


def test_a_live_boot_makes_a_new_password_that_also_works_over_ssh(tmp_path: Path) -> None:
    machine = Machine(tmp_path, live=True)
    machine.boot()
    first = machine.shown_password()
    assert "over SSH" in machine.issue.read_text() and not machine.state.exists()
    assert machine.ssh_password_login() == 0
    # the next live boot starts from the medium's account file again: another password
    machine.shadow.write_text("root:*:20000:0:99999:7:::\nadmin:!:20000:0:99999:7:::\n")
    machine.boot()
    assert machine.shown_password() != first


def test_an_administrator_with_a_password_of_their_own_sees_nothing(tmp_path: Path) -> None:
    machine = Machine(tmp_path, live=False)
    machine.shadow.write_text("admin:$y$j9T$seed$hash:20000:0:99999:7:::\n")
    machine.boot()
    assert not machine.issue.exists() and machine.calls() == 0 and machine.hash() == "$y$j9T$seed$hash"
    assert machine.ssh_password_login() == 0


def test_a_missing_account_is_not_an_error(tmp_path: Path) -> None:
    machine = Machine(tmp_path, live=False)
    machine.shadow.write_text("root:*:20000:0:99999:7:::\n")
    assert "no account 'admin'" in machine.boot().stderr
    assert not machine.issue.exists()
