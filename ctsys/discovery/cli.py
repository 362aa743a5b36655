"""`ctsys camera discover`: find the cameras on the camera networks."""

from __future__ import annotations

from dataclasses import asdict

import click

from ctsys.output import emit, json_option, table


@click.command("discover")
@click.option("--interface", help="Only this camera-network interface (default: every interface in the cameras role).")
@click.option("--scan", "use_scan", is_flag=True, help="Also scan the subnets for RTSP (554, 8554) and HTTP (80).")
@click.option("--timeout", type=click.FloatRange(0.5, 30), default=3.0, show_default=True,
              help="Seconds to wait for ONVIF answers on each interface.")
@json_option
@click.pass_obj
def discover(obj: object, interface: str | None, use_scan: bool, timeout: float, as_json: bool) -> None:
    """Find cameras on the camera networks: ONVIF WS-Discovery, and optionally a port scan.

    Probes leave only by interfaces whose role is `cameras` (multicast TTL 1).
    JSON keys: address, interface, method (onvif|scan), name, hardware, location,
    endpoint, xaddrs, open_ports, rtsp.
    """
    from ctsys.config.store import ConfigStore
    from ctsys.discovery.search import camera_networks
    from ctsys.discovery.search import discover as run_discovery
    from ctsys.errors import CtsysError

    doc = ConfigStore(obj.root).load()  # type: ignore[attr-defined]
    networks = camera_networks(doc, interface)
    if not networks:
        raise CtsysError(
            "no camera network is up: no interface in the cameras role has an IPv4 address",
            hint="give the camera NIC the cameras role and an address with `ctsys net`",
        )
    found = run_discovery(networks, use_scan, timeout)
    emit(
        [asdict(c) for c in found],
        as_json,
        lambda rows: table(
            [
                (r["address"], r["interface"], r["method"], r["name"], r["hardware"],
                 ",".join(str(p) for p in r["open_ports"]), "yes" if r["rtsp"] else "")
                for r in rows
            ],
            ["address", "interface", "found by", "name", "hardware", "ports", "rtsp"],
        )
        if rows
        else f"no camera answered on {', '.join(n.interface for n in networks)}",
    )
