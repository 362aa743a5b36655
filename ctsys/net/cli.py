"""`ctsys net ...`: thin Click commands over ctsys.net's logic modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ctsys.cli import Obj
from ctsys.net.cli_change import change_options, network_change
from ctsys.output import emit, json_option, table

ROLE = click.Choice(["management", "cameras", "corporate", "unused"])


@click.group()
def net() -> None:
    """Network: NICs, bonds, VLANs, bandwidth caps, firewall, port forwards, camera proxy.

    Every change edits the `network` section of the document, is validated as a
    whole (nothing changes on error), then applied: netplan (networkd), nftables,
    tc and nginx. On the running system an apply that touches the network reverts
    by itself after `network.rollback_seconds` (120 s by default) unless
    `ctsys net confirm` is run from a new SSH connection. A change that would cut
    your own SSH session is refused unless --force.
    """


# -- reading ----------------------------------------------------------------
def _nics_human(nics: list[Any]) -> str:
    rows = [
        (n.name, n.role, n.kind, n.state, f"{n.speed_mbit}/{n.duplex}" if n.speed_mbit else "-", n.mtu,
         n.mac or "-", n.driver or "-", ",".join(n.addresses) or "-")
        for n in nics
    ]
    return table(rows, ["nic", "role", "kind", "state", "speed", "mtu", "mac", "driver", "addresses"])


@net.command("show")
@json_option
@click.pass_obj
def show(obj: Obj, as_json: bool) -> None:
    """Every NIC: name, role, kind, link state, speed/duplex, MTU, MAC, driver, addresses.

    Read from netlink and sysfs; the role comes from the document (`unused` when
    the document does not mention the NIC).
    JSON: a list of {name, mac, kind, driver, state, carrier, speed_mbit, duplex,
    mtu, addresses, master, role, configured}.
    """
    from ctsys.config.store import ConfigStore
    from ctsys.net.inventory import inventory

    emit(inventory(ConfigStore(obj.root).load()), as_json, _nics_human)


@net.command("identify")
@click.argument("nic")
@click.option("--seconds", default=15, show_default=True, type=click.IntRange(1, 600), help="How long to blink.")
def identify(nic: str, seconds: int) -> None:
    """Blink the LED of NIC's port (ethtool -p) so a technician can find it in the rack."""
    from ctsys.errors import CtsysError
    from ctsys.net.host import NetHost
    from ctsys.run import run

    if not Path(f"/sys/class/net/{nic}").exists() and NetHost.current().netns is None:
        raise CtsysError(f"no NIC named {nic!r}", hint="list them with `ctsys net show`")
    click.echo(f"blinking {nic} for {seconds} s")
    run(NetHost.current().argv("ethtool", "--identify", nic, str(seconds)), timeout=seconds + 10)


@net.command("status")
@json_option
@click.pass_obj
def status(obj: Obj, as_json: bool) -> None:
    """Is a network change waiting for confirmation, and how long until it reverts?

    JSON keys: pending (bool), remaining_seconds, session.
    """
    from ctsys.net import rollback

    pending = rollback.load_pending(Path(obj.root))
    data = {
        "pending": pending is not None,
        "remaining_seconds": round(pending.remaining(), 1) if pending else None,
        "session": pending.session if pending else None,
    }
    emit(data, as_json, lambda d: (
        f"a change reverts in {d['remaining_seconds']:.0f} s unless confirmed (ctsys net confirm)"
        if d["pending"] else "no network change waiting for confirmation"))


# -- interfaces -------------------------------------------------------------
@net.command("set")
@click.argument("name")
@click.option("--role", type=ROLE, help="Firewall zone of the interface.")
@click.option("--dhcp4/--no-dhcp4", default=None, help="IPv4 address from DHCP.")
@click.option("--dhcp6/--no-dhcp6", default=None, help="IPv6 address from DHCPv6/RA.")
@click.option("--address", "addresses", multiple=True, metavar="ADDR/PREFIX",
              help="Static address (repeatable); replaces the interface's addresses.")
@click.option("--clear-addresses", is_flag=True, help="Remove every static address.")
@click.option("--gateway4", metavar="ADDR", help="IPv4 default gateway ('none' to remove).")
@click.option("--gateway6", metavar="ADDR", help="IPv6 default gateway ('none' to remove).")
@click.option("--mtu", type=int, help="MTU, 68-9000 ('0' for the driver's default).")
@click.option("--egress-mbit", type=int, help="Cap on all traffic sent, Mbit/s (0: no cap).")
@click.option("--gateway-egress-mbit", type=int, help="Cap on traffic sent through the gateway, Mbit/s (0: no cap).")
@change_options
@click.pass_obj
def set_cmd(obj: Obj, name: str, role: str | None, dhcp4: bool | None, dhcp6: bool | None,
            addresses: tuple[str, ...], clear_addresses: bool, gateway4: str | None, gateway6: str | None,
            mtu: int | None, egress_mbit: int | None, gateway_egress_mbit: int | None,
            force: bool, apply_now: bool) -> None:
    """Configure interface NAME (a NIC, bond or VLAN); a NIC not yet in the document is added.

    Example: ctsys net set eth1 --role cameras --address 192.168.50.1/24 --egress-mbit 500
    """

    def mutate(net: dict[str, Any]) -> None:
        iface = next((i for i in net["interfaces"] if i["name"] == name), None)
        if iface is None:
            iface = {"name": name}
            net["interfaces"].append(iface)
        for key, value in (("role", role), ("dhcp4", dhcp4), ("dhcp6", dhcp6)):
            if value is not None:
                iface[key] = value
        if clear_addresses:
            iface["addresses"] = []
        if addresses:
            iface["addresses"] = list(addresses)
        for key, text in (("gateway4", gateway4), ("gateway6", gateway6)):
            if text is not None:
                iface[key] = None if text.lower() == "none" else text
        for key, number in (("mtu", mtu), ("egress_mbit", egress_mbit), ("gateway_egress_mbit", gateway_egress_mbit)):
            if number is not None:
                iface[key] = number or None

    network_change(obj, "net.set", mutate, force, apply_now)


@net.command("remove")
@click.argument("name")
@change_options
@click.pass_obj
def remove(obj: Obj, name: str, force: bool, apply_now: bool) -> None:
    """Remove interface NAME (NIC, bond or VLAN) from the document: it is no longer configured."""
    from ctsys.net.change import find

    def mutate(net: dict[str, Any]) -> None:
        net["interfaces"].remove(find(net["interfaces"], name, "interface"))

    network_change(obj, "net.remove", mutate, force, apply_now)


@net.command("bond")
@click.argument("name")
@click.option("--member", "members", multiple=True, required=True, metavar="NIC", help="Member NIC (repeatable).")
@click.option("--mode", type=click.Choice(["active-backup", "balance-alb", "balance-rr", "802.3ad"]),
              default="active-backup", show_default=True)
@click.option("--miimon", type=int, default=100, show_default=True, help="Link check interval (ms).")
@click.option("--primary", metavar="NIC", help="Preferred member (active-backup).")
@click.option("--lacp-rate", type=click.Choice(["slow", "fast"]), default="slow", show_default=True)
@click.option("--hash-policy", type=click.Choice(["layer2", "layer2+3", "layer3+4", "encap2+3", "encap3+4"]),
              default="layer2", show_default=True, help="802.3ad transmit hash policy.")
@click.option("--role", type=ROLE, default="management", show_default=True)
@click.option("--address", "addresses", multiple=True, metavar="ADDR/PREFIX")
@change_options
@click.pass_obj
def bond(obj: Obj, name: str, members: tuple[str, ...], mode: str, miimon: int, primary: str | None,
         lacp_rate: str, hash_policy: str, role: str, addresses: tuple[str, ...], force: bool, apply_now: bool) -> None:
    """Create or redefine bond NAME over the member NICs (which may not be used elsewhere).

    Example: ctsys net bond bond0 --member eth1 --member eth2 --mode 802.3ad --role cameras
    """

    def mutate(net: dict[str, Any]) -> None:
        spec = {"members": list(members), "mode": mode, "miimon": miimon, "primary": primary,
                "lacp_rate": lacp_rate, "transmit_hash_policy": hash_policy}
        iface = next((i for i in net["interfaces"] if i["name"] == name), None)
        if iface is None:
            iface = {"name": name, "role": role}
            net["interfaces"].append(iface)
        iface["bond"] = spec
        if addresses:
            iface["addresses"] = list(addresses)

    network_change(obj, "net.bond", mutate, force, apply_now)


@net.command("vlan")
@click.argument("name")
@click.option("--id", "vlan_id", type=int, required=True, help="VLAN id, 1-4094.")
@click.option("--link", required=True, metavar="IFACE", help="NIC or bond that carries the VLAN.")
@click.option("--role", type=ROLE, default="cameras", show_default=True)
@click.option("--address", "addresses", multiple=True, metavar="ADDR/PREFIX")
@change_options
@click.pass_obj
def vlan(obj: Obj, name: str, vlan_id: int, link: str, role: str, addresses: tuple[str, ...],
         force: bool, apply_now: bool) -> None:
    """Create or redefine VLAN interface NAME with tag ID on LINK (a NIC or a bond)."""

    def mutate(net: dict[str, Any]) -> None:
        iface = next((i for i in net["interfaces"] if i["name"] == name), None)
        if iface is None:
            iface = {"name": name, "role": role}
            net["interfaces"].append(iface)
        iface["vlan"] = {"id": vlan_id, "link": link}
        if addresses:
            iface["addresses"] = list(addresses)

    network_change(obj, "net.vlan", mutate, force, apply_now)


@net.command("dns")
@click.option("--server", "servers", multiple=True, metavar="ADDR", help="Resolver (repeatable; replaces the list).")
@click.option("--search", "search", multiple=True, metavar="DOMAIN", help="Search domain (repeatable).")
@change_options
@click.pass_obj
def dns(obj: Obj, servers: tuple[str, ...], search: tuple[str, ...], force: bool, apply_now: bool) -> None:
    """Set the DNS resolvers and search domains."""

    def mutate(net: dict[str, Any]) -> None:
        net["dns"] = {"servers": list(servers), "search": list(search)}

    network_change(obj, "net.dns", mutate, force, apply_now)


@net.command("firewall")
@click.option("--ssh-from", multiple=True, type=ROLE, help="Roles that may reach SSH (repeatable).")
@click.option("--https-from", multiple=True, type=ROLE, help="Roles that may reach HTTPS.")
@click.option("--snmp-from", multiple=True, type=ROLE, help="Roles that may poll SNMP.")
@click.option("--ntp-on-cameras/--no-ntp-on-cameras", default=None, help="Serve NTP to camera networks.")
@change_options
@click.pass_obj
def firewall_cmd(obj: Obj, ssh_from: tuple[str, ...], https_from: tuple[str, ...], snmp_from: tuple[str, ...],
                 ntp_on_cameras: bool | None, force: bool, apply_now: bool) -> None:
    """Which roles may reach the appliance's services; everything else is dropped."""

    def mutate(net: dict[str, Any]) -> None:
        fw = net["firewall"]
        for key, roles in (("ssh", ssh_from), ("https", https_from), ("snmp", snmp_from)):
            if roles:
                fw[key] = list(roles)
        if ntp_on_cameras is not None:
            fw["ntp_on_cameras"] = ntp_on_cameras

    network_change(obj, "net.firewall", mutate, force, apply_now)


# -- apply, confirm, rollback -------------------------------------------------
@net.command("apply")
@click.option("--force", is_flag=True, help="Apply even if it would cut your current SSH session.")
@json_option
@click.pass_obj
def apply_cmd(obj: Obj, force: bool, as_json: bool) -> None:
    """Apply the network modules (netplan, nftables, tc, nginx) with the timed rollback armed.

    The modules that render from the network section follow in the same apply:
    chrony's NTP server for camera networks, SNMP, the web site, the services.
    Refused when it would cut your SSH session, unless --force.
    """
    from ctsys.commands import run_apply
    from ctsys.net.apply_modules import network_consumers
    from ctsys.net.cli_change import say_countdown

    run_apply(obj, only=network_consumers(), force=force, as_json=as_json)
    if not as_json:
        say_countdown(obj)


@net.command("confirm")
@click.pass_obj
def confirm(obj: Obj) -> None:
    """Keep the last network change. Run it from a NEW SSH connection: that proves access."""
    from ctsys import journal
    from ctsys.net import rollback
    from ctsys.net.host import NetHost

    rollback.confirm(Path(obj.root), NetHost.current())
    journal.record(obj.root, "net.confirm", "ok")
    click.echo("network change confirmed")


@net.command("rollback")
@click.option("--expired", is_flag=True,
              help="Used by the timer: wait for the end of the confirmation window, then revert unless confirmed.")
@click.pass_obj
def rollback_cmd(obj: Obj, expired: bool) -> None:
    """Revert the unconfirmed network change now: document, files and live state."""
    from ctsys import journal
    from ctsys.net import rollback
    from ctsys.net.host import NetHost
    from ctsys.net.revert import revert

    if expired and not rollback.wait_until_due(Path(obj.root)):
        click.echo("nothing to roll back (confirmed)")
        return
    reverted = revert(Path(obj.root), NetHost.current(), expired_only=expired)
    if reverted is None:
        click.echo("nothing to roll back")
        return
    journal.record(obj.root, "net.rollback", "ok", {"expired": str(expired)})
    click.echo("network change rolled back")


from ctsys.net import cli_relay  # noqa: E402  (registers `forward` and `proxy`)

net.add_command(cli_relay.forward)
net.add_command(cli_relay.proxy)
