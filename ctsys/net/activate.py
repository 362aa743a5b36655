"""Put rendered network files into effect, on the running system or in a namespace."""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.fsutil import under_root
from ctsys.net import firewall, relay, shaping
from ctsys.net.host import NetHost
from ctsys.run import run

log = logging.getLogger("ctsys.net")


def program_addresses(doc: Appliance, host: NetHost) -> None:
    """Set links, MTU, static addresses and default routes with `ip` (namespaces: no networkd).

    Only physical interfaces are programmed: bonds and VLANs need networkd (system tier).
    """
    for iface in doc.network.interfaces:
        if iface.kind != "ethernet":
            continue
        dev = iface.name
        if iface.role == "unused":
            run(host.argv("ip", "addr", "flush", "dev", dev, "scope", "global"))
            run(host.argv("ip", "link", "set", "dev", dev, "down"))
            continue
        if iface.mtu:
            run(host.argv("ip", "link", "set", "dev", dev, "mtu", str(iface.mtu)))
        run(host.argv("ip", "link", "set", "dev", dev, "up"))
        if not (iface.dhcp4 or iface.dhcp6):
            run(host.argv("ip", "addr", "flush", "dev", dev, "scope", "global"))
        for address in iface.addresses:
            family = "-6" if ipaddress.ip_interface(address).version == 6 else "-4"
            run(host.argv("ip", family, "addr", "replace", address, "dev", dev, *(["nodad"] if family == "-6" else [])))
    for family, field in (("-4", "gateway4"), ("-6", "gateway6")):
        owner = next((i for i in doc.network.interfaces if getattr(i, field)), None)
        if owner is None:
            run(host.argv("ip", family, "route", "del", "default"), check=False)
        else:
            run(host.argv("ip", family, "route", "replace", "default", "via", getattr(owner, field), "dev", owner.name))


def bonds_to_recreate(doc: Appliance, sysfs: Path = Path("/sys")) -> list[str]:
    """Bonds whose mode differs from the kernel's: networkd cannot change the mode of a live bond."""
    stale = []
    for iface in doc.network.interfaces:
        mode_file = sysfs / "class/net" / iface.name / "bonding/mode"
        if iface.bond is not None and mode_file.exists():
            current = mode_file.read_text().split()[0]  # e.g. "802.3ad 4"
            if current != iface.bond.mode:
                stale.append(iface.name)
    return stale


def activate_network(root: Path, doc: Appliance, host: NetHost) -> None:
    if host.systemd:
        for bond in bonds_to_recreate(doc):
            run(["ip", "link", "del", "dev", bond])
        # netplan renders for networkd and reconfigures only links whose config changed.
        run(["netplan", "apply"], timeout=120)
    else:
        program_addresses(doc, host)
    run(host.argv("sysctl", "-q", "-p", str(under_root(root, firewall.SYSCTL_FILE))))
    check_forwarding_off(host)


def check_forwarding_off(host: NetHost) -> None:
    """Forwarding must be off after every apply: isolation relies on it."""
    for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"):
        value = run(host.argv("sysctl", "-n", key)).stdout.strip()
        if value != "0":
            raise CtsysError(
                f"{key} is {value} after the apply: IP forwarding must stay off",
                hint="find what turns it on (grep -r forward /etc/sysctl.d /etc/sysctl.conf)",
            )


def activate_firewall(root: Path, doc: Appliance, host: NetHost) -> None:
    if host.systemd:
        # the boot unit's drop-in may have changed: systemd rereads it for the next boot
        run(["systemctl", "daemon-reload"])
    run(host.argv("nft", "-f", str(under_root(root, firewall.NFTABLES_FILE))))


def activate_shaping(root: Path, doc: Appliance, host: NetHost) -> None:
    if host.systemd:
        # The unit replays the caps at boot; starting it now would wait for network-online.target.
        run(["systemctl", "daemon-reload"])
        run(["systemctl", "enable", "ctsys-net-shaping.service"])
    # Same steps as the unit: reset every interface, then replay the batch file.
    for name in shaping.shaped_interfaces(doc):
        run(host.argv("tc", "qdisc", "del", "dev", name, "root"), check=False)
    if shaping.batch(doc):
        run(host.argv("tc", "-batch", str(under_root(root, shaping.SHAPING_FILE))))


def nginx_run_dir(root: Path) -> Path:
    return under_root(root, "run/ctsys-nginx")


def activate_relay(root: Path, doc: Appliance, host: NetHost) -> None:
    if host.systemd:
        if doc.network.uses_relay():
            run(["systemctl", "enable", "nginx.service"])
            run(["systemctl", "reload-or-restart", "nginx.service"], timeout=60)
        else:
            # Only to drop removed relays; an appliance without nginx has nothing to drop.
            # Never disabled here: the web server may need it (the services module decides).
            run(["systemctl", "try-reload-or-restart", "nginx.service"], timeout=60, check=False)
        return
    nginx_in_namespace(root, doc, host, start=doc.network.uses_relay())


def nginx_in_namespace(root: Path, doc: Appliance, host: NetHost, start: bool) -> None:
    """nginx of a namespace (tests, labs): every file ctsys rendered under `root`, one process.

    A running one reloads; otherwise it is started when `start`, with a self-signed
    certificate made first if there is none (what ctsys-cert.service does on the appliance).
    """
    from ctsys.cert import tls

    run_dir = nginx_run_dir(root)
    conf = relay.wrapper_config(root, run_dir)
    pid = run_dir / "nginx.pid"
    running = pid.exists() and Path(f"/proc/{pid.read_text().strip()}").exists()
    if running:
        run(host.argv("nginx", "-e", str(run_dir / "error.log"), "-c", str(conf), "-s", "reload"))
    elif start:
        tls.ensure(root, doc)
        run(host.argv("nginx", "-e", str(run_dir / "error.log"), "-c", str(conf)))


def activate_all(root: Path, doc: Appliance, host: NetHost) -> None:
    """Every network activation in dependency order (used by rollback and tests)."""
    activate_network(root, doc, host)
    activate_firewall(root, doc, host)
    activate_shaping(root, doc, host)
    activate_relay(root, doc, host)
