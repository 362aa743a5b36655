"""`ctsys time ...`: thin commands over ctsys.time (status, actions, render) and the document."""

from __future__ import annotations

from typing import Any

import click

from ctsys.cli import Obj
from ctsys.commands import apply_option, change_data, current
from ctsys.output import emit, json_option, print_json, table

APPLY = apply_option()


@click.group("time")
def time_group() -> None:
    """Time: NTP sources (chrony), scheduled or continuous synchronisation, the NTP
    server offered to cameras, the time zone, and setting the clock by hand.

    Cameras stamp their video with their own clocks, so the appliance serves
    them one time. Changes go to the `time` section of the document (the zone to
    `system.timezone`) and are applied at once (/etc/chrony/chrony.conf); --no-apply
    only changes the document, for `ctsys apply` later.
    """


# -- reading -------------------------------------------------------------------
def _human_status(s: Any) -> str:
    if not s.running:
        return f"chronyd is not answering: {s.error}"
    t = s.tracking
    lines = []
    if t is not None:
        lines += [
            f"synchronised  {'yes' if s.synchronised else 'no'}   leap {t.leap_status}",
            f"reference     {t.reference} (stratum {t.stratum})",
            f"offset        {t.offset_seconds * 1000:+.3f} ms   last {t.last_offset_seconds * 1000:+.3f} ms"
            f"   rms {t.rms_offset_seconds * 1000:.3f} ms",
            f"frequency     {t.frequency_ppm:+.3f} ppm   root delay {t.root_delay_seconds * 1000:.3f} ms",
        ]
    if s.sources:
        rows = [
            (x.address, x.mode, x.state, x.stratum, f"{x.reached_of_8}/8", f"{x.offset_seconds * 1000:+.3f} ms")
            for x in s.sources
        ]
        lines += ["", table(rows, ["source", "mode", "state", "stratum", "reach", "offset"])]
    else:
        lines.append("sources       none")
    return "\n".join(lines)


@time_group.command("status")
@click.option("--socket", metavar="PATH", help="chronyd's command socket (default: chronyc's own).")
@json_option
def status(socket: str | None, as_json: bool) -> None:
    """Synchronisation state from chronyd: offset, stratum, sources and their reachability.

    JSON keys: running, synchronised, error, tracking{reference_id, reference,
    stratum, offset_seconds, last_offset_seconds, rms_offset_seconds,
    frequency_ppm, skew_ppm, root_delay_seconds, root_dispersion_seconds,
    update_interval_seconds, leap_status, reference_time}, sources[{mode, state,
    address, stratum, poll, reach, reached_of_8, last_rx_seconds,
    offset_seconds, error_seconds}]. Exit 0 even when not synchronised.
    """
    from ctsys.time.status import collect

    emit(collect(socket), as_json, _human_status)


@time_group.command("show")
@json_option
@click.pass_obj
def show(obj: Obj, as_json: bool) -> None:
    """The configured time settings: sources, schedule, NTP server, zone.

    JSON keys: timezone, servers[{host, pool, iburst, prefer}], sync{mode, times},
    serve{enabled, allow, roles, local_stratum}, served_subnets, makestep_seconds.
    """
    from ctsys.time.render import allowed_subnets

    doc = current(obj)
    data = {"timezone": doc.system.timezone, **doc.time.model_dump(mode="json")}
    data["served_subnets"] = allowed_subnets(doc) if doc.time.serve.enabled else []

    def human(d: dict[str, Any]) -> str:
        servers = ", ".join(s["host"] + (" (pool)" if s["pool"] else "") for s in d["servers"]) or "none"
        sync = d["sync"]["mode"] + (f" at {', '.join(d['sync']['times'])}" if d["sync"]["mode"] == "scheduled" else "")
        serve = d["serve"]
        served = "off"
        if serve["enabled"]:
            subnets = ", ".join(d["served_subnets"]) or "no subnet yet"
            served = f"on for {subnets} (roles: {', '.join(serve['roles']) or 'none'})"
        return "\n".join([f"zone     {d['timezone']}", f"servers  {servers}", f"sync     {sync}", f"serve    {served}"])

    emit(data, as_json, human)


# -- sources -------------------------------------------------------------------
@time_group.group("server")
def server() -> None:
    """Upstream NTP servers and pools chrony follows."""


@server.command("list")
@json_option
@click.pass_obj
def server_list(obj: Obj, as_json: bool) -> None:
    """List the NTP sources. JSON: [{host, pool, iburst, prefer}]."""
    rows = [s.model_dump(mode="json") for s in current(obj).time.servers]
    emit(
        rows,
        as_json,
        lambda r: table(
            [(s["host"], s["pool"], s["iburst"], s["prefer"]) for s in r], ["host", "pool", "iburst", "prefer"]
        )
        if r
        else "no NTP source: the clock is set by hand (`ctsys time set`)",
    )


@server.command("add")
@click.argument("host")
@click.option("--pool", is_flag=True, help="HOST is a pool name (several servers behind one name).")
@click.option("--prefer", is_flag=True, help="Prefer this source over others of equal quality.")
@click.option("--no-iburst", is_flag=True, help="No initial burst (the first sync then takes minutes).")
@APPLY
@click.pass_obj
def server_add(obj: Obj, host: str, pool: bool, prefer: bool, no_iburst: bool, apply_now: bool) -> None:
    """Add the NTP server or pool HOST (a name that does not resolve now is kept, with a warning)."""
    from ctsys.time.actions import resolves

    def mutate(data: dict[str, Any]) -> None:
        data["time"]["servers"].append({"host": host, "pool": pool, "prefer": prefer, "iburst": not no_iburst})

    change_data(obj, "time.server.add", mutate, apply_now)
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not resolves(host):
            click.echo(
                f"warning: {host} does not resolve now; it is kept and chrony will retry it "
                "(check the DNS servers of the appliance)",
                err=True,
            )


@server.command("remove")
@click.argument("host")
@APPLY
@click.pass_obj
def server_remove(obj: Obj, host: str, apply_now: bool) -> None:
    """Remove the NTP source HOST."""
    from ctsys.errors import CtsysError

    def mutate(data: dict[str, Any]) -> None:
        servers = data["time"]["servers"]
        kept = [s for s in servers if s["host"].lower() != host.lower()]
        if len(kept) == len(servers):
            known = ", ".join(s["host"] for s in servers) or "none"
            raise CtsysError(f"time.servers: no source {host!r} (sources: {known})")
        data["time"]["servers"] = kept

    change_data(obj, "time.server.remove", mutate, apply_now)


# -- schedule ------------------------------------------------------------------
@time_group.command("schedule")
@click.option("--continuous", is_flag=True, help="chronyd follows the sources all the time (default).")
@click.option("--at", "times", multiple=True, metavar="HH:MM", help="Synchronise at this local time (repeatable).")
@APPLY
@click.pass_obj
def schedule(obj: Obj, continuous: bool, times: tuple[str, ...], apply_now: bool) -> None:
    """Synchronise continuously, or only at set times through a systemd timer.

    \b
    Examples:
      ctsys time schedule --continuous
      ctsys time schedule --at 03:00 --at 15:00
    """
    from ctsys.errors import CtsysError

    if continuous == bool(times):
        raise CtsysError("give either --continuous or one or more --at HH:MM")

    def mutate(data: dict[str, Any]) -> None:
        sync = data["time"]["sync"]
        sync["mode"] = "continuous" if continuous else "scheduled"
        if times:
            sync["times"] = list(times)

    change_data(obj, "time.schedule", mutate, apply_now)


@time_group.command("sync")
@click.option(
    "--wait", default=60, show_default=True, type=click.IntRange(10, 600), help="Seconds to wait for a source."
)
@click.option("--socket", metavar="PATH", help="chronyd's command socket (default: chronyc's own).")
def sync(wait: int, socket: str | None) -> None:
    """Synchronise now (what the scheduled timer runs): sources online, burst, step, offline."""
    from ctsys.time.actions import sync_now

    sync_now(wait, socket)
    click.echo("synchronised")


@time_group.command("check")
@click.pass_obj
def check(obj: Obj) -> None:
    """Raise a `time` alert when synchronisation is lost, clear it when it is back.

    Run every 5 minutes by ctsys-time-check.timer; prints raised, cleared or unchanged.
    """
    from ctsys.time.watch import check as check_sync

    click.echo(check_sync(obj.root, current(obj)))


# -- NTP server ------------------------------------------------------------------
@time_group.command("serve")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option(
    "--allow",
    "allow",
    multiple=True,
    metavar="SUBNET",
    help="Allow this client subnet (repeatable; replaces the list).",
)
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="ROLE",
    help="Serve the interfaces with this role (repeatable; replaces the list).",
)
@click.option("--stratum", type=click.IntRange(1, 15), help="Stratum announced without upstream source.")
@APPLY
@click.pass_obj
def serve(
    obj: Obj, state: str, allow: tuple[str, ...], roles: tuple[str, ...], stratum: int | None, apply_now: bool
) -> None:
    """Turn the NTP server for cameras on or off.

    Clients are allowed by subnet (--allow) or by interface role (--role cameras:
    the subnets of the interfaces with that role, served only on them).

    \b
    Example:
      ctsys time serve on --role cameras --allow 10.20.0.0/16
    """
    def mutate(data: dict[str, Any]) -> None:
        s = data["time"]["serve"]
        s["enabled"] = state == "on"
        if allow:
            s["allow"] = list(allow)
        if roles:
            s["roles"] = list(roles)
        if stratum is not None:
            s["local_stratum"] = stratum

    new = change_data(obj, "time.serve", mutate, apply_now)
    from ctsys.time.render import allowed_subnets

    if state == "on" and not allowed_subnets(new):
        click.echo(
            "warning: no client subnet yet: no interface has the roles "
            f"{', '.join(new.time.serve.roles)} and no --allow subnet is set",
            err=True,
        )


# -- zone and manual setting -------------------------------------------------------
@time_group.command("zone")
@click.argument("zone", required=False)
@click.option("--list", "list_zones", is_flag=True, help="List every zone of the tz database.")
@json_option
@APPLY
@click.pass_obj
def zone(obj: Obj, zone: str | None, list_zones: bool, as_json: bool, apply_now: bool) -> None:
    """Show or set the time zone (system.timezone); DST follows the tz database.

    \b
    Examples:
      ctsys time zone                   the current zone
      ctsys time zone Europe/Paris      set it
      ctsys time zone --list --json     every zone
    """
    from ctsys.config.types import known_timezones

    if list_zones:
        zones = sorted(known_timezones())
        print_json(zones) if as_json else click.echo("\n".join(zones))
        return
    if zone is None:
        now = current(obj).system.timezone
        print_json({"timezone": now}) if as_json else click.echo(now)
        return

    def mutate(data: dict[str, Any]) -> None:
        data["system"]["timezone"] = zone

    change_data(obj, "time.zone", mutate, apply_now)


@time_group.command("set")
@click.argument("when")
@click.option("--socket", metavar="PATH", help="chronyd's command socket (default: chronyc's own).")
def set_time(when: str, socket: str | None) -> None:
    """Set the clock by hand to WHEN ('2026-11-28 14:05:00', local time), on a site
    without NTP. Refused while chronyd follows a reachable NTP source.
    """
    from ctsys.time.actions import parse_when, set_clock

    moment = parse_when(when)
    how = set_clock(moment, socket)
    click.echo(f"clock set to {moment.isoformat(timespec='seconds')} (through {how})")
