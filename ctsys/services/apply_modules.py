"""Apply modules `services` (which units run) and `ssh` (sshd_config, checked by `sshd -t`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ctsys.apply.module import ApplyContext, FileSpec, Module, StagedFiles
from ctsys.config.document import Appliance
from ctsys.config.sections.services import ServicesSection
from ctsys.run import run

log = logging.getLogger("ctsys.services")


def wanted(doc: Appliance) -> dict[str, bool]:
    """unit -> whether it runs. nginx (the `web` service) also serves the relays of the
    network area (forwards, camera proxy): it runs when either needs it."""
    from ctsys.web.site import nginx_wanted

    out = {unit: getattr(doc.services, name).enabled for name, unit in ServicesSection.UNITS.items()}
    out[ServicesSection.UNITS["web"]] = nginx_wanted(doc)
    return out


def _units(doc: Appliance) -> dict[str, Any]:
    return {"wanted": wanted(doc)}


def sshd_context(doc: Appliance) -> dict[str, Any]:
    from ctsys.services import sshd

    return {"crypto": sshd.policy(), "host_keys": sshd.HOST_KEYS, "session": sshd.SESSION_LIMITS}


def unit_exists(unit: str) -> bool:
    return run(["systemctl", "cat", "--", unit], check=False).returncode == 0


def activate_services(ctx: ApplyContext) -> None:
    """Enable and start, or stop and disable, each appliance service that is installed."""
    for unit, enabled in wanted(ctx.doc).items():
        if not unit_exists(unit):
            continue
        run(["systemctl", "enable" if enabled else "disable", "--now", unit], timeout=120)


def check_sshd(staged: StagedFiles) -> None:
    """`sshd -t` (the target system's) on the rendered configuration, with a throw-away host key."""
    sshd = staged.tool("sshd", "openssh-server", "validate sshd_config")
    keygen = staged.tool("ssh-keygen", "openssh-client", "make a host key to validate sshd_config")
    # sshd -t insists on its privilege separation directory, which systemd creates at start.
    os.makedirs((sshd.chroot or Path("/")) / "run/sshd", mode=0o755, exist_ok=True)
    key = staged.root / "check-host-key"
    keygen.run("-q", "-t", "ed25519", "-N", "", "-f", keygen.path(key))
    sshd.run("-t", "-f", sshd.path(staged.path("/etc/ssh/sshd_config")), "-h", sshd.path(key))


MODULES = [
    Module(
        name="services",
        # network: nginx also runs for the relays (forwards, camera proxy)
        sections=("services", "network"),
        description="systemd presets for the appliance services; enable/disable them",
        files=(FileSpec("/etc/systemd/system-preset/10-ctsys.preset", "etc/systemd/system-preset/10-ctsys.preset.j2"),),
        context=_units,
        activate=activate_services,
        # After `web`: nginx is started once its site and certificate unit are in place.
        after=("ssh", "web"),
    ),
    Module(
        name="ssh",
        sections=("services", "system"),
        description="OpenSSH server configuration",
        files=(FileSpec("/etc/ssh/sshd_config", "etc/ssh/sshd_config.j2"),),
        context=sshd_context,
        services=("ssh.service",),
        check=check_sshd,
        after=("system",),
    ),
]
