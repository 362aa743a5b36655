"""What a change of the `network` section must pass before it is committed.

`ctsys net` commands hand the change service (ctsys.change) `edit_network(mutate)`
and `preflight`: the ports are free, the NICs exist, the caller's SSH session
survives (`force` overrides the last one, with a warning). `session_cut` is
also what the net-guard module asks before an apply (net.apply_modules.guard).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ctsys.config.document import Appliance
from ctsys.errors import CtsysError, ValidationError
from ctsys.net.host import NetHost

Mutation = Callable[[dict[str, Any]], None]


def port_conflicts(doc: Appliance) -> list[tuple[str, str]]:
    """Forwards and proxies may not listen on a port of an appliance service.

    They need no web server: nginx runs for them even with services.web.enabled false.
    """
    taken = {port: where for where, port in doc.services.ports().items()}
    problems = []
    entries: list[tuple[str, int, int, str]] = [
        ("forwards", i, f.port, str(f.protocol)) for i, f in enumerate(doc.network.forwards)
    ] + [("proxies", i, p.port, "tcp") for i, p in enumerate(doc.network.proxies)]
    for kind, i, port, proto in entries:
        where = taken.get(port)
        # SNMP is the only UDP service; the others are TCP.
        if where and (proto == "udp") == where.startswith("snmp."):
            problems.append((f"network.{kind}[{i}].port", f"port {port} is used by services.{where}"))
    return problems


def edit_network(mutate: Mutation) -> Callable[[Appliance], Appliance]:
    """A document edit for the change service: `mutate` changes the plain data of the `network` section."""
    from ctsys.config.edit import edit_data

    return edit_data(lambda data: mutate(data["network"]))


def preflight(root: Path, old: Appliance, new: Appliance, force: bool) -> list[str]:
    """Checks that need the machine: NICs exist, the current SSH session survives.

    Returns warnings. Skipped for a build tree (--root), where the hardware is not known.
    """
    problems = port_conflicts(new)
    if problems:
        raise ValidationError(problems)
    host = NetHost.current()
    if str(root) != "/" and host.netns is None:
        return []
    from ctsys.net import inventory

    nics = inventory.inventory(new, host)
    missing = inventory.missing_nics(new, inventory.physical_names(nics))
    if missing:
        raise ValidationError(missing)
    warnings = []
    message = session_cut(new, inventory.addresses_by_interface(nics))
    if message is not None:
        if not force:
            raise CtsysError(message, hint="fix the change, or add --force (it reverts unless confirmed in time)")
        warnings.append(message + " (--force)")
    return warnings


def session_cut(new: Appliance, kernel: dict[str, list[str]]) -> str | None:
    """A message naming the SSH session `new` would cut, or None (no session, or it survives)."""
    from ctsys.net import session

    current = session.Session.parse(os.environ.get("SSH_CONNECTION", ""))
    if current is None:
        return None
    reason = session.cut_reason(new, current, kernel)
    return None if reason is None else f"this change would cut {current.describe()}: {reason}"


def find(items: list[dict[str, Any]], name: str, what: str) -> dict[str, Any]:
    for item in items:
        if item.get("name") == name:
            return item
    known = ", ".join(i.get("name", "?") for i in items) or "none"
    raise CtsysError(f"no {what} named {name!r} (known: {known})")
