"""Stage 2: the Ansible roles, over the community.general.chroot connection.

The same roles configure a running appliance over SSH; here they run in
image-build mode (`ctimage_build: true`): units are enabled, never started.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image import REPO_ROOT
from image.context import Context
from image.errors import ImageError
from image.run import run

ROLES_DIR = REPO_ROOT / "roles"


@dataclass(frozen=True)
class Recap:
    ok: int
    changed: int
    failed: int
    unreachable: int


def ansible_playbook() -> str:
    """Prefer the ansible-playbook next to our interpreter (the project venv)."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.is_file():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        raise ImageError("ansible-playbook not found",
                         hint="pip install -e '.[builder]' in the project's venv")
    return found


def role_vars(ctx: Context) -> dict[str, Any]:
    config = ctx.config
    values: dict[str, Any] = {
        "ctimage_build": True,
        "base__image_version": config.image_version,
        "base__image_name": config.image_name,
        # ctsys renders identity files, sshd_config, netplan and mdadm.conf
        # from the document afterwards (packages stage); the roles' own
        # versions would contradict it (and make a second run report changes)
        "base__manage_identity": False,
        "ssh__hardening_dropin": False,
        "network__fallback_dhcp": False,
        "storage__manage_mdadm_conf": False,
    }
    if config.test_access:
        values |= {
            "base__serial_autologin": True,
            "base__device_timeout_sec": 600,
            "base__admin_sudo_nopasswd": True,
            "ssh__authorized_keys": [Path(str(ctx.test_key) + ".pub").read_text().strip()],
        }
    return values


def write_playbook(ctx: Context, rootfs: Path, directory: Path) -> tuple[Path, Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    python = ctx.profile.python
    inventory = directory / "inventory.ini"
    inventory.write_text(
        "[appliance]\n"
        f"rootfs ansible_connection=community.general.chroot ansible_host={rootfs} "
        f"ansible_python_interpreter={python}\n"
    )
    playbook = directory / "site.yml"
    play: list[dict[str, object]] = [{
        "name": "Provision the appliance image", "hosts": "appliance", "gather_facts": False,
        "roles": list(ctx.config.roles(ctx.profile)),
        # useradd & co. date their records from it: reproducible /etc/shadow
        "environment": ctx.epoch_env,
    }]
    playbook.write_text(json.dumps(play, indent=2) + "\n")  # JSON is valid YAML
    extra = directory / "vars.json"
    extra.write_text(json.dumps(role_vars(ctx), indent=2, sort_keys=True) + "\n")
    return inventory, playbook, extra


ANSIBLE_CFG = """\
[defaults]
roles_path = {roles}
nocolor = True
host_key_checking = False
retry_files_enabled = False
deprecation_warnings = False
local_tmp = {tmp}
remote_tmp = /tmp/.ansible-tmp
# the same marker in every build keeps rendered files reproducible
ansible_managed = managed by the ct-server Ansible roles
"""


def ansible_env(directory: Path) -> dict[str, str]:
    cfg = directory / "ansible.cfg"
    cfg.write_text(ANSIBLE_CFG.format(roles=ROLES_DIR, tmp=directory / "tmp"))
    return {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_FORCE_COLOR": "0"}


RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def parse_recap(output: str) -> Recap:
    matches = RECAP.findall(output)
    if not matches:
        raise ImageError("ansible-playbook printed no PLAY RECAP")
    ok, changed, unreachable, failed = (int(x) for x in matches[-1])
    return Recap(ok=ok, changed=changed, failed=failed, unreachable=unreachable)


def run_playbook(ctx: Context, rootfs: Path) -> Recap:
    directory = ctx.workspace / "ansible"
    inventory, playbook, extra = write_playbook(ctx, rootfs, directory)
    argv: list[str | Path] = [ansible_playbook(), "-i", inventory, "-e", f"@{extra}", playbook]
    result = run(argv, env=ansible_env(directory), check=False)
    with ctx.log_file.open("a") as log:
        log.write(result.stdout + result.stderr)
    if result.returncode != 0:
        from image.errors import CommandFailed
        from image.run import quote

        raise CommandFailed(quote(argv), result.returncode, result.stdout + result.stderr)
    return parse_recap(result.stdout)


def run_stage(ctx: Context) -> str:
    recap = run_playbook(ctx, ctx.rootfs)
    (ctx.workspace / "provision-recap.json").write_text(json.dumps(recap.__dict__))
    return f"ok={recap.ok} changed={recap.changed}"
