"""`ctsys service ...`: which appliance services run."""

from __future__ import annotations

import click

from ctsys.cli import Obj
from ctsys.commands import apply_option, run_change
from ctsys.config.sections.services import ServicesSection
from ctsys.output import emit, json_option, table

NAMES = click.Choice(sorted(ServicesSection.UNITS))


@click.group()
def service() -> None:
    """The appliance services (ssh, web, recorder, snmp, ntp, smart, gui): list, enable, disable, restart.

    `web` is nginx's HTTPS server (services.web.https_port, 443; plain HTTP on
    http_port, 80, only redirects to it) with the appliance certificate
    (`ctsys cert`). nginx also carries the port forwards and camera proxies of
    `ctsys net`: disabling web removes the site, and nginx keeps running while
    the network has relays.
    """


@service.command("list")
@json_option
@click.pass_obj
def list_cmd(obj: Obj, as_json: bool) -> None:
    """List the services: wanted state (document), unit, actual state (systemd).

    JSON keys: name, unit, enabled, ports{field: port}, state.
    """
    from ctsys.config.store import ConfigStore
    from ctsys.status import service_states

    doc = ConfigStore(obj.root).load()
    units = ServicesSection.UNITS
    states = service_states(tuple(units.values())) if obj.live else {u: "unknown" for u in units.values()}
    rows = []
    for name, unit in units.items():
        svc = getattr(doc.services, name)
        ports = {f: getattr(svc, f) for f in type(svc).model_fields if f == "port" or f.endswith("_port")}
        rows.append({"name": name, "unit": unit, "enabled": svc.enabled, "ports": ports, "state": states[unit]})
    emit(
        rows,
        as_json,
        lambda rs: table(
            [
                (r["name"], r["unit"], "yes" if r["enabled"] else "no", r["state"],
                 " ".join(f"{k}={v}" for k, v in r["ports"].items()))
                for r in rs
            ],
            ["service", "unit", "enabled", "state", "ports"],
        ),
    )


def _toggle(obj: Obj, name: str, enabled: bool, apply_now: bool) -> None:
    from ctsys.config import edit

    run_change(obj, f"service.{'enable' if enabled else 'disable'}",
               lambda doc: edit.set_value(doc, f"services.{name}.enabled", enabled), apply_now)


def _toggle_command(verb: str, enabled: bool, help_text: str) -> click.Command:
    @click.command(verb, help=help_text)
    @click.argument("name", type=NAMES)
    @apply_option()
    @click.pass_obj
    def command(obj: Obj, name: str, apply_now: bool) -> None:
        _toggle(obj, name, enabled, apply_now)

    return command


service.add_command(_toggle_command("enable", True, "Enable service NAME and start it (now, unless --no-apply)."))
service.add_command(_toggle_command("disable", False, "Stop service NAME and keep it from starting at boot."))


@service.command("restart")
@click.argument("name", type=NAMES)
@click.pass_obj
def restart(obj: Obj, name: str) -> None:
    """Restart service NAME now (running system only)."""
    from ctsys import journal
    from ctsys.errors import CtsysError
    from ctsys.run import run

    if not obj.live:
        raise CtsysError("restart acts on the running system; it has no meaning with --root")
    unit = ServicesSection.UNITS[name]
    try:
        run(["systemctl", "restart", unit], timeout=120)
    except CtsysError as exc:
        journal.record_error(obj.root, "service.restart", exc, {"unit": unit})
        raise
    journal.record(obj.root, "service.restart", "ok", {"unit": unit})
    click.echo(f"restarted {unit}")
