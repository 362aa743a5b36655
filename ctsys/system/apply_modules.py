"""Apply module `system`: /etc/hostname, hosts, time zone, locale, keyboard, admin keys."""

from __future__ import annotations

from ctsys.apply.module import ApplyContext, FileSpec, Module
from ctsys.config.document import Appliance
from ctsys.run import run


def _admin_keys(doc: Appliance) -> str:
    return f"/etc/ssh/authorized_keys/{doc.system.admin.name}"


def activate_system(ctx: ApplyContext) -> None:
    """Running system only: kernel host name and the administrator account."""
    system = ctx.doc.system
    run(["hostname", system.hostname])
    admin = system.admin.name
    if run(["getent", "passwd", admin], check=False).returncode != 0:
        run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", admin])
    if system.admin.password_hash:
        run(["chpasswd", "--encrypted"], input=f"{admin}:{system.admin.password_hash}\n")


MODULES = [
    Module(
        name="system",
        sections=("system",),
        description="host name, time zone, locale, keyboard, administrator SSH keys",
        files=(
            FileSpec("/etc/hostname", "etc/hostname.j2"),
            FileSpec("/etc/hosts", "etc/hosts.j2"),
            FileSpec("/etc/timezone", "etc/timezone.j2"),
            FileSpec("/etc/localtime", "etc/localtime.j2", symlink=True),
            FileSpec("/etc/default/locale", "etc/default/locale.j2"),
            FileSpec("/etc/default/keyboard", "etc/default/keyboard.j2"),
            FileSpec(_admin_keys, "etc/ssh/authorized_keys/admin.j2", mode=0o644),
        ),
        activate=activate_system,
    ),
]
