"""`ctsys snmp ...`: thin commands over ctsys.snmp and the `snmp` section of the document."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ctsys.cli import Obj
from ctsys.commands import apply_option, change_data, current
from ctsys.output import emit, json_option, table

APPLY = apply_option()
MIB = Path(__file__).parent / "mibs" / "CT-SERVER-MIB.txt"
DEFAULT_PEN = 99999


@click.group("snmp")
def snmp() -> None:
    """SNMP agent (net-snmp snmpd): v2c communities restricted to subnets, v3 users
    (authPriv, SHA and AES), contact and location, listening roles, the product
    subtree CT-SERVER-MIB served by a ctsys subagent, and notifications (v2c
    traps, v3 informs) sent to managers when an alert is raised.

    Turn the agent on with `ctsys service enable snmp` (services.snmp). Changes go
    to the `snmp` section and are applied at once (/etc/snmp/snmpd.conf); --no-apply
    only changes the document, for `ctsys apply` later.
    """


def _masked(doc: Any) -> dict[str, Any]:
    data: dict[str, Any] = doc.snmp.model_dump(mode="json")
    for c in data["communities"]:
        c["name"] = c["name"][:2] + "***"
    for u in data["users"]:
        u["auth_passphrase"] = u["priv_passphrase"] = "***"
    for m in data["managers"]:
        if m.get("community"):
            m["community"] = m["community"][:2] + "***"
    return data


@snmp.command("show")
@click.option("--secrets", is_flag=True, help="Show communities and passphrases in clear.")
@json_option
@click.pass_obj
def show(obj: Obj, secrets: bool, as_json: bool) -> None:
    """The SNMP settings, secrets masked unless --secrets.

    JSON keys: enabled, port, listen[], enterprise_number, contact, location,
    roles[], communities[{name, sources}], users[{name, auth, priv, ...}],
    managers[{host, port, version, community, user}].
    """
    from ctsys.snmp.render import listen_addresses

    doc = current(obj)
    data = doc.snmp.model_dump(mode="json") if secrets else _masked(doc)
    data = {"enabled": doc.services.snmp.enabled, "port": doc.services.snmp.port,
            "listen": listen_addresses(doc), **data}  # fmt: skip

    def human(d: dict[str, Any]) -> str:
        lines = [
            f"agent        {'on' if d['enabled'] else 'off'}, port {d['port']} on {', '.join(d['listen'])}",
            f"subtree      enterprises.{d['enterprise_number']} (CT-SERVER-MIB)",
            f"contact      {d['contact'] or '-'}",
            f"location     {d['location'] or '-'}",
        ]
        lines += [f"community    {c['name']} from {', '.join(c['sources'])}" for c in d["communities"]]
        lines += [f"v3 user      {u['name']} ({u['auth']}/{u['priv']}, authPriv)" for u in d["users"]]
        lines += [
            f"manager      {m['host']}:{m['port']} v{m['version']}"
            + (f" user {m['user']}" if m["version"] == "3" else "")
            for m in d["managers"]
        ]
        return "\n".join(lines)

    emit(data, as_json, human)


@snmp.command("set")
@click.option("--contact", help="sysContact: who to call about this appliance.")
@click.option("--location", help="sysLocation: where the appliance is.")
@click.option("--enterprise-number", type=click.IntRange(1, 2**31 - 1), help="IANA enterprise number of the subtree.")
@click.option("--role", "roles", multiple=True, help="Listen on the interfaces with this role (repeatable; replaces).")
@APPLY
@click.pass_obj
def set_cmd(
    obj: Obj, contact: str | None, location: str | None, enterprise_number: int | None, roles: tuple[str, ...],
    apply_now: bool,
) -> None:  # fmt: skip
    """Set contact, location, enterprise number or listening roles."""
    def mutate(data: dict[str, Any]) -> None:
        s = data["snmp"]
        for key, value in (("contact", contact), ("location", location), ("enterprise_number", enterprise_number)):
            if value is not None:
                s[key] = value
        if roles:
            s["roles"] = list(roles)

    change_data(obj, "snmp.set", mutate, apply_now)


# -- communities --------------------------------------------------------------------
@snmp.group("community")
def community() -> None:
    """v2c read-only communities, each restricted to source subnets."""


@community.command("add")
@click.argument("name")
@click.option(
    "--source", "sources", multiple=True, required=True, metavar="SUBNET", help="Allowed subnet (repeatable)."
)
@APPLY
@click.pass_obj
def community_add(obj: Obj, name: str, sources: tuple[str, ...], apply_now: bool) -> None:
    """Add the community NAME, usable from the --source subnets only."""
    entry = {"name": name, "sources": list(sources)}
    change_data(obj, "snmp.community.add", lambda d: d["snmp"]["communities"].append(entry), apply_now)


def _remove_command(key: str, field: str, what: str, help_text: str) -> click.Command:
    """`remove VALUE`: drop the entry of snmp.KEY whose FIELD is VALUE (an error if there is none)."""

    @click.command("remove", help=help_text)
    @click.argument("value", metavar=field.upper())
    @APPLY
    @click.pass_obj
    def remove(obj: Obj, value: str, apply_now: bool) -> None:
        from ctsys.errors import CtsysError

        def mutate(data: dict[str, Any]) -> None:
            items = data["snmp"][key]
            kept = [i for i in items if i[field] != value]
            if len(kept) == len(items):
                raise CtsysError(f"snmp.{key}: no {what} {value!r}")
            data["snmp"][key] = kept

        change_data(obj, f"snmp.{what}.remove", mutate, apply_now)

    return remove


community.add_command(_remove_command("communities", "name", "community", "Remove the community NAME."))


# -- v3 users --------------------------------------------------------------------------
@snmp.group("user")
def user() -> None:
    """v3 read-only users (authPriv: SHA authentication, AES privacy)."""


@user.command("add")
@click.argument("name")
@click.option("--auth", type=click.Choice(["SHA", "SHA-256", "SHA-512"]), default="SHA", show_default=True)
@click.option("--auth-passphrase", prompt=True, hide_input=True, confirmation_prompt=True, help="8 characters or more.")
@click.option("--priv-passphrase", prompt=True, hide_input=True, confirmation_prompt=True, help="8 characters or more.")
@APPLY
@click.pass_obj
def user_add(obj: Obj, name: str, auth: str, auth_passphrase: str, priv_passphrase: str, apply_now: bool) -> None:
    """Add the v3 user NAME (passphrases are prompted for unless given)."""
    entry = {"name": name, "auth": auth, "auth_passphrase": auth_passphrase, "priv": "AES",
             "priv_passphrase": priv_passphrase}  # fmt: skip
    change_data(obj, "snmp.user.add", lambda d: d["snmp"]["users"].append(entry), apply_now)


user.add_command(_remove_command("users", "name", "user", "Remove the v3 user NAME."))


# -- managers ----------------------------------------------------------------------------
@snmp.group("manager")
def manager() -> None:
    """Managers that receive notifications: v2c traps (--community) or v3 informs (--user)."""


@manager.command("add")
@click.argument("host")
@click.option("--port", type=click.IntRange(1, 65535), default=162, show_default=True)
@click.option("--community", help="v2c: send traps carrying this community.")
@click.option("--user", "user_name", help="v3: send informs as this user (an entry of snmp.users).")
@APPLY
@click.pass_obj
def manager_add(obj: Obj, host: str, port: int, community: str | None, user_name: str | None, apply_now: bool) -> None:
    """Send notifications to HOST: v2c traps with --community, v3 informs with --user."""
    from ctsys.errors import CtsysError

    if bool(community) == bool(user_name):
        raise CtsysError("give either --community (v2c traps) or --user (v3 informs)")
    entry = {"host": host, "port": port, "version": "2c" if community else "3", "community": community,
             "user": user_name}  # fmt: skip
    change_data(obj, "snmp.manager.add", lambda d: d["snmp"]["managers"].append(entry), apply_now)


manager.add_command(_remove_command("managers", "host", "manager", "Stop sending notifications to HOST."))


@manager.command("list")
@json_option
@click.pass_obj
def manager_list(obj: Obj, as_json: bool) -> None:
    """List the managers. JSON: [{host, port, version, community, user}] (community masked)."""
    rows = _masked(current(obj))["managers"]
    emit(rows, as_json, lambda r: table([(m["host"], m["port"], m["version"], m["user"] or m["community"]) for m in r],
                                        ["host", "port", "version", "credential"]) if r else "no manager")  # fmt: skip


# -- what snmpd and the alert hook run ------------------------------------------------------
@snmp.command("agent")
@click.option("--config", "config_path", default="/etc/snmp/ctsys-agent.json", show_default=True,
              help="The subagent's settings rendered by `ctsys apply`.")  # fmt: skip
@click.option("--state", "state_path", type=click.Path(exists=True, dir_okay=False),
              help="Serve this JSON snapshot instead of live figures (tests, demonstrations).")  # fmt: skip
@click.option("--enterprise-number", type=int, help="Override the enterprise number of the config file.")
@click.option("--ttl", type=float, default=5.0, show_default=True, help="Seconds a snapshot is reused.")
def agent(config_path: str, state_path: str | None, enterprise_number: int | None, ttl: float) -> None:
    """The pass_persist subagent serving CT-SERVER-MIB; snmpd starts it (see snmpd.conf).

    It speaks snmpd's pass_persist protocol on standard input and output.
    """
    from ctsys.snmp.agent import main

    main(config_path, state_path, enterprise_number, ttl)


@snmp.command("notify")
@click.pass_obj
def notify(obj: Obj) -> None:
    """Send the alert in the environment (CTSYS_ALERT_*) to every manager.

    Run by the alert hook /etc/ctsys/alert.d/50-snmp-notify; exit 1 when a manager
    could not be notified (the others are).
    """
    from ctsys.errors import CtsysError
    from ctsys.snmp.notify import Event, send

    event = Event.from_environment(os.environ)
    failed = send(current(obj), event)
    if failed:
        raise CtsysError(f"notification not delivered to: {', '.join(failed)}")


@snmp.command("watch")
@json_option
@click.pass_obj
def watch(obj: Obj, as_json: bool) -> None:
    """Raise service and camera alerts on state changes since the last run (ctsys-snmp-watch.timer).

    A service of the appliance that stops, or a camera that disconnects, raises
    an alert (and so an SNMP notification); its return clears it. JSON: the
    list of events.
    """
    from ctsys.snmp.watch import check

    events = check(obj.root, current(obj))
    emit(events, as_json, lambda e: "\n".join(e) if e else "no change")


@snmp.command("sync-users")
@click.option("--users", "users_file", default="/etc/snmp/ctsys-users.conf", show_default=True)
@click.option("--persistent", "persistent_file", default="/var/lib/snmp/snmpd.conf", show_default=True)
def sync_users(users_file: str, persistent_file: str) -> None:
    """Copy the v3 users into snmpd's persistent file (snmpd's ExecStartPre; snmpd must be stopped)."""
    from ctsys.snmp.users import sync

    count = sync(Path(users_file), Path(persistent_file))
    click.echo(f"{count} v3 user(s) in {persistent_file}")


@snmp.command("mib")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
@click.pass_obj
def mib(obj: Obj, output: str | None) -> None:
    """Print CT-SERVER-MIB with the configured enterprise number, for the managers to load."""
    number = current(obj).snmp.enterprise_number
    text = MIB.read_text().replace(f"::= {{ enterprises {DEFAULT_PEN} }}", f"::= {{ enterprises {number} }}")
    if output:
        Path(output).write_text(text)
        click.echo(f"CT-SERVER-MIB (enterprises.{number}) written to {output}")
    else:
        click.echo(text, nl=False)
