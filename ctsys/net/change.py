"""Edit the `network` section under the configuration lock, check it, commit it, apply it."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError, ValidationError
from ctsys.net.host import NetHost

Mutation = Callable[[dict[str, Any]], None]
FORCE_ENV = "CTSYS_NET_FORCE"


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


def edited(doc: Appliance, mutate: Mutation) -> Appliance:
    """A new validated document: `mutate` changes the plain data of the `network` section."""
    data = copy.deepcopy(document.to_data(doc))
    mutate(data["network"])
    return document.validate(data)


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


def commit_change(root: Path, action: str, mutate: Mutation, force: bool) -> tuple[Appliance, Any]:
    from ctsys import journal
    from ctsys.config.store import ConfigStore
    from ctsys.identity import command_line

    store = ConfigStore(root)
    try:
        with store.transaction() as t:
            new = edited(t.doc, mutate)
            for warning in preflight(root, t.doc, new, force):
                click.echo(f"warning: {warning}", err=True)
            rev = t.commit(new, command_line())
    except CtsysError as exc:
        journal.record(str(root), action, "error: " + " ".join(str(exc).split())[:300])
        raise
    journal.record(str(root), action, "ok", {"revision": str(rev.number) if rev else "none"})
    return new, rev


def network_consumers() -> tuple[str, ...]:
    """The network modules, and every other module that renders from the network section
    (chrony's NTP server for camera networks, SNMP's listening addresses, the web site's
    certificate names, which units run): a network change is not in effect until they follow."""
    from ctsys.apply.registry import all_modules
    from ctsys.net.apply_modules import MODULES

    names = {m.name for m in MODULES}
    return tuple(m.name for m in all_modules() if m.name in names or "network" in m.sections)


def apply_network(root: Path, as_json: bool = False, force: bool = False) -> None:
    """Apply the network modules; on the running system this arms the timed rollback."""
    if force:
        # net-guard checks the SSH session again at apply time; the user already said --force.
        os.environ[FORCE_ENV] = "1"
    from ctsys.apply.cli import run_apply
    from ctsys.cli import Obj
    from ctsys.net import rollback

    obj = Obj(str(root), 0)
    run_apply(obj, dry_run=False, force=False, only=network_consumers(), as_json=as_json)
    pending = rollback.load_pending(root)
    if pending is not None and not as_json:
        click.echo(
            f"applied: it reverts in {pending.remaining():.0f} s unless you run `ctsys net confirm` "
            "from a new SSH connection"
        )


def change(obj: Any, action: str, mutate: Mutation, force: bool, apply_now: bool) -> None:
    """Commit the edited document, then apply the network modules (unless --no-apply)."""
    root = Path(obj.root)
    _, rev = commit_change(root, action, mutate, force)
    if rev is None:
        click.echo("no change: the document already says that")
        return
    click.echo(f"revision {rev.number}: {rev.summary}")
    if apply_now:
        apply_network(root, force=force)
    else:
        click.echo("run `ctsys net apply` to put it into effect")


def find(items: list[dict[str, Any]], name: str, what: str) -> dict[str, Any]:
    for item in items:
        if item.get("name") == name:
            return item
    known = ", ".join(i.get("name", "?") for i in items) or "none"
    raise CtsysError(f"no {what} named {name!r} (known: {known})")
