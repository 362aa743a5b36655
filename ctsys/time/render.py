"""What chrony.conf and the sync timer are made of: a pure function of the document.

`chrony_context(doc, paths)` is what the templates see; tests and the image
build render through the same function, only with other paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ctsys.config.document import Appliance
from ctsys.time import roles

CTSYS_BIN = "/usr/bin/ctsys"  # where the ct-server Debian package installs the tool


@dataclass(frozen=True)
class ChronyPaths:
    """Files chronyd uses; the defaults are Debian's. Tests point them into a temp dir."""

    driftfile: str = "/var/lib/chrony/chrony.drift"
    logdir: str | None = "/var/log/chrony"
    pidfile: str | None = None  # None: chronyd's default (/run/chrony/chronyd.pid)
    cmdsocket: str | None = None  # None: chronyd's default (/run/chrony/chronyd.sock)


def serve_interfaces(doc: Appliance) -> list[roles.RoleInterface]:
    return roles.with_roles(doc, doc.time.serve.roles)


def allowed_subnets(doc: Appliance) -> list[str]:
    """Explicit subnets first, then those of the interfaces with an allowed role, each once."""
    serve = doc.time.serve
    out: list[str] = []
    for net in [*serve.allow, *(n for i in serve_interfaces(doc) for n in i.networks())]:
        if net not in out:
            out.append(net)
    return out


def chrony_context(doc: Appliance, paths: ChronyPaths | None = None) -> dict[str, Any]:
    # no client allowed (no camera interface yet): no server at all, not one that refuses everyone
    serving = doc.services.ntp.enabled and doc.time.serve.enabled and bool(allowed_subnets(doc))
    ifaces = [i.name for i in serve_interfaces(doc)] if serving else []
    return {
        "time": doc.time,
        "scheduled": doc.time.sync.mode == "scheduled" and bool(doc.time.servers),
        "serve": serving,
        "allow": allowed_subnets(doc) if serving else [],
        "serve_interfaces": ifaces,
        # chrony binds its server socket to one device at most (binddevice).
        "bind_device": ifaces[0] if len(ifaces) == 1 else None,
        "paths": paths or ChronyPaths(),
        "ctsys_bin": CTSYS_BIN,
    }


def render_chrony_conf(doc: Appliance, paths: ChronyPaths | None = None) -> str:
    from ctsys.apply.render import MANAGED, environment

    template = environment().get_template("etc/chrony/chrony.conf.j2")
    return template.render(doc=doc, managed=MANAGED, **chrony_context(doc, paths))
