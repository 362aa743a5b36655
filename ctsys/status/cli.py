"""`ctsys status`."""

from __future__ import annotations

import click

from ctsys.output import json_option
from ctsys.status import Status


def _human(s: Status) -> str:
    days, rest = divmod(s.uptime_seconds, 86400)
    hours, rest = divmod(rest, 3600)
    lines = [
        f"host      {s.hostname}   ctsys {s.version}   image {s.image_version}",
        f"uptime    {days} d {hours} h {rest // 60} min   "
        f"load {s.load[0]:.2f} {s.load[1]:.2f} {s.load[2]:.2f} ({s.cpus} CPUs)",
        f"memory    {s.memory.used_percent:.0f} % used of {s.memory.total_bytes / 2**30:.1f} GiB"
        f"   swap {s.memory.swap_used_percent:.0f} %",
        "services  " + "  ".join(f"{u.removesuffix('.service')}={st}" for u, st in s.services.items()),
    ]
    for v in s.volumes:
        lines.append(f"disk      {v.mountpoint} {v.used_percent:.0f} % of {v.total_bytes / 2**30:.1f} GiB ({v.device})")
    for link in s.links:
        state = "up" if link.up else "down"
        speed = f" {link.speed_mbps} Mb/s" if link.speed_mbps else ""
        lines.append(f"link      {link.name} {state}{speed} {' '.join(link.addresses)}")
    return "\n".join(lines)


@click.command()
@json_option
def status(as_json: bool) -> None:
    """Summarise the appliance: host, version, uptime, load, memory, services, disks, links.

    JSON keys: hostname, version, image_version, uptime_seconds, load[3], cpus,
    memory{total_bytes, available_bytes, used_percent, swap_used_percent},
    services{unit: state}, volumes[{mountpoint, device, fstype, total_bytes,
    used_bytes, used_percent}], links[{name, up, speed_mbps, mtu, addresses}].
    """
    from ctsys.output import emit
    from ctsys.status import collect

    emit(collect(), as_json, _human)
