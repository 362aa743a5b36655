"""Apply modules of the network area, in order:

net-guard (refuse a cut SSH session, arm the timed rollback) -> network (netplan, sysctl) -> firewall (nftables)
-> shaping (tc) -> relay (nginx forwards and camera proxy) -> net-record (what is in effect).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ctsys.apply.module import ApplyContext, FileSpec, Module, PreflightContext, StagedFiles
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.net import activate, firewall, netplan, relay, rollback, shaping
from ctsys.net.change import session_cut
from ctsys.net.host import NetHost

NET_SECTIONS = ("network", "services")


APPLY_MARGIN_SECONDS = 300


def _live(step: Callable[[Path, Appliance, NetHost], None]) -> Callable[[ApplyContext], None]:
    def activate_step(ctx: ApplyContext) -> None:
        step(Path(ctx.root), ctx.doc, NetHost.current())

    activate_step.__name__ = step.__name__
    return activate_step


def guard(root: Path, doc: Appliance, host: NetHost, force: bool) -> list[str]:
    """Before any module writes: refuse a network change that cuts the caller's SSH session.

    `ctsys net` checked the session before committing; this catches `ctsys apply` after
    `ctsys config set network...`. `force` (the caller's --force) skips the check.
    """
    if rollback.is_reverting() or force or not os.environ.get("SSH_CONNECTION"):
        return []  # putting the snapshot back: no check
    from ctsys.net import inventory

    kernel = inventory.addresses_by_interface(inventory.inventory(doc, host))
    message = session_cut(doc, kernel)
    if message is not None:
        raise CtsysError(message, hint="apply it with `ctsys net apply --force` (it reverts unless confirmed)")
    return []


def _preflight(ctx: PreflightContext) -> list[str]:
    return guard(Path(ctx.root), ctx.doc, NetHost.current(), ctx.force)


def arm_rollback(root: Path, doc: Appliance, host: NetHost) -> None:
    """Before any network change: arm the timed rollback (`ctsys net confirm` stops it)."""
    if rollback.is_reverting():
        return  # putting the snapshot back: no new rollback
    # The countdown proper starts once the change is in effect (restart_countdown); until
    # then a margin covers a slow apply, and still reverts one that hangs.
    rollback.arm(root, doc.network.rollback_seconds + APPLY_MARGIN_SECONDS, host)


def restart_countdown(root: Path, doc: Appliance, host: NetHost) -> None:
    """The change is in effect: the administrator's N seconds to confirm start now, not
    before a netplan apply that can take longer than N (slow CPUs, many interfaces)."""
    if not rollback.is_reverting() and rollback.load_pending(root) is not None:
        rollback.arm(root, doc.network.rollback_seconds, host)


def check_netplan(staged: StagedFiles) -> None:
    """`netplan generate` on the staged tree: netplan's own parser and networkd renderer."""
    netplan_ = staged.tool("netplan", "netplan.io", "validate the netplan file")
    netplan_.run("generate", "--root-dir", netplan_.path(staged.root))


def check_nftables(staged: StagedFiles) -> None:
    """`nft -c` on the ruleset and on the boot's fallback ruleset: both must load."""
    nft = staged.tool("nft", "nftables", "validate the nftables ruleset")
    for target in (firewall.NFTABLES_FILE, firewall.FALLBACK_FILE):
        nft.run("-c", "-f", nft.path(staged.path(target)))


def check_nginx(staged: StagedFiles) -> None:
    """`nginx -t` on every nginx file ctsys renders, as they will be once this module is written.

    One nginx serves the relays and the web site: the staged files of this module (relay or
    web) are checked together with the other module's files installed in the target tree, so
    that neither can break the other. A throw-away certificate stands in for the real one.
    """
    tree = staged.system.tree
    for target in relay.NGINX_FILES:
        installed = tree / target.lstrip("/")
        if target not in staged.files and installed.is_file():
            staged.path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(installed, staged.path(target))
    if not any(staged.path(target).is_file() for target in relay.NGINX_FILES):
        return
    nginx = staged.tool("nginx", "nginx libnginx-mod-stream", "check the nginx configuration")
    from ctsys.cert.tls import request_argv

    # The target system's openssl too: the image build host needs none.
    openssl = staged.tool("openssl", "openssl", "make a throw-away certificate for the nginx check")
    cert, key = staged.path(relay.CERT_FILE), staged.path(relay.KEY_FILE)
    cert.parent.mkdir(parents=True, exist_ok=True)
    openssl.run(*request_argv(openssl.path(cert), openssl.path(key), "check.invalid", 1, [])[1:])
    run_dir = staged.root / "run"
    conf = relay.wrapper_config(staged.root, run_dir, seen=nginx.path)
    nginx.run("-t", "-q", "-e", nginx.path(run_dir / "error.log"), "-c", nginx.path(conf))


def _netplan_context(doc: Appliance) -> dict[str, object]:
    return {"netplan_yaml": netplan.render_netplan(doc)}


def _record_context(doc: Appliance) -> dict[str, object]:
    return {"snapshot": rollback.snapshot_text(doc)}


MODULES = [
    Module(
        name="net-guard",
        sections=NET_SECTIONS,
        description="arm the timed rollback before a network change (ctsys net confirm)",
        files=(
            FileSpec("/etc/systemd/system/ctsys-net-rollback.service",
                     "etc/systemd/system/ctsys-net-rollback.service.j2"),
            FileSpec("/etc/systemd/system/ctsys-net-rollback.timer",
                     "etc/systemd/system/ctsys-net-rollback.timer.j2"),
        ),
        preflight=_preflight,
        activate=_live(arm_rollback),
        after=("system",),
    ),
    Module(
        name="network",
        sections=("network",),
        description="interfaces, bonds, VLANs, DNS (netplan, networkd); IP forwarding off",
        files=(
            FileSpec(netplan.NETPLAN_FILE, "etc/netplan/60-ctsys.yaml.j2", mode=0o600),
            FileSpec(firewall.SYSCTL_FILE, "etc/sysctl.d/60-ctsys-net.conf.j2"),
            # The image's DHCP fallback (roles/network) matches every e* NIC, and networkd would
            # pick its .network file before ours (lexical order): once the document rules, it goes.
            FileSpec(netplan.IMAGE_FALLBACK, "etc/netplan/60-ctsys.yaml.j2", when=lambda doc: False),
        ),
        context=lambda doc: {**_netplan_context(doc), **firewall.context(doc)},
        check=check_netplan,
        activate=_live(activate.activate_network),
        after=("net-guard",),
    ),
    Module(
        name="firewall",
        sections=NET_SECTIONS,
        description="nftables: default drop, zones from interface roles; loaded at every boot before "
                    "the network (a fallback ruleset if it does not load)",
        files=(
            FileSpec(firewall.NFTABLES_FILE, "etc/nftables.conf.j2", mode=0o755),
            FileSpec(firewall.FALLBACK_FILE, "etc/ctsys/net/fallback.nft.j2", mode=0o755),
            FileSpec(firewall.NFTABLES_DROPIN, "etc/systemd/system/nftables.service.d/ctsys.conf.j2"),
            FileSpec(firewall.NFTABLES_ENABLED, "etc/systemd/system/nftables.service.link.j2", symlink=True),
        ),
        context=firewall.context,
        check=check_nftables,
        activate=_live(activate.activate_firewall),
        after=("network",),
    ),
    Module(
        name="shaping",
        sections=("network",),
        description="bandwidth caps (tc HTB), replayed at boot",
        files=(
            FileSpec(shaping.SHAPING_FILE, "etc/ctsys/net/shaping.tc.j2"),
            FileSpec(shaping.SHAPING_UNIT, "etc/systemd/system/ctsys-net-shaping.service.j2"),
        ),
        context=shaping.context,
        activate=_live(activate.activate_shaping),
        after=("network",),
    ),
    Module(
        name="relay",
        sections=NET_SECTIONS,
        description="port forwards and camera admin proxy (nginx)",
        files=(
            FileSpec(relay.STREAM_FILE, "etc/nginx/modules-enabled/90-ctsys-forward.conf.j2",
                     when=relay.has_forwards),
            FileSpec(relay.PROXY_FILE, "etc/nginx/conf.d/ctsys-camera-proxy.conf.j2", when=relay.has_proxies),
            # nginx workers (www-data) read it per request; FileSpec sets no group, so 0644 for now.
            FileSpec(relay.HTPASSWD_FILE, "etc/nginx/ctsys-proxy.htpasswd.j2", mode=0o644, when=relay.has_auth),
        ),
        context=relay.context,
        check=check_nginx,
        activate=_live(activate.activate_relay),
        after=("firewall",),
    ),
    Module(
        name="net-record",
        sections=NET_SECTIONS,
        description="record the network configuration in effect (the rollback snapshot)",
        files=(FileSpec(rollback.APPLIED_FILE, "var/lib/ctsys/net/applied.yaml.j2", mode=0o600),),
        context=_record_context,
        activate=_live(restart_countdown),
        after=("relay", "shaping"),
    ),
]


def network_consumers() -> tuple[str, ...]:
    """The network modules, and every other module that renders from the network section
    (chrony's NTP server for camera networks, SNMP's listening addresses, the web site's
    certificate names, which units run): a network change is not in effect until they follow."""
    from ctsys.apply.registry import all_modules

    names = {m.name for m in MODULES}
    return tuple(m.name for m in all_modules() if m.name in names or "network" in m.sections)
