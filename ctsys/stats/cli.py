"""`ctsys stats ...`: collect and read the appliance's statistics."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from ctsys.cli import Obj
from ctsys.errors import CtsysError
from ctsys.output import print_json, table


def _epoch(value: str | None, default: int) -> int:
    if value is None:
        return default
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return int(datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    raise CtsysError(f"{value!r} is not a UTC time such as 2026-11-01 or 2026-11-01T08:30:00")


@click.group()
def stats() -> None:
    """Statistics kept for a year: load, CPU, memory, disk fill, link throughput (every 5 min)."""


@stats.command("collect")
@click.pass_obj
def collect(obj: Obj) -> None:
    """Take one sample now and store it (run by ctsys-stats.timer every 5 minutes)."""
    from ctsys.stats import measure, store

    sample = measure()
    store(obj.root, sample)
    click.echo(
        f"sample stored: load {sample.load1:.2f}, cpu {sample.cpu_percent:.0f} %, memory {sample.memory_percent:.0f} %"
    )


@stats.command("show")
@click.option("--since", help="From (UTC, YYYY-MM-DD[THH:MM:SS]); default: 24 hours ago.")
@click.option("--until", help="Up to (UTC); default: now.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: time, load, cpu, memory, each volume's %, each link's bit/s.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON: [{time, load1, cpu_percent, memory_percent, volumes, links_bps}]."
)
@click.pass_obj
def show(obj: Obj, since: str | None, until: str | None, as_csv: bool, as_json: bool) -> None:
    """Samples of a period (up to a year), with link rates in bit/s."""
    from ctsys.stats import iso, link_rates, read, to_csv

    now = int(time.time())
    start, end = _epoch(since, now - 86400), _epoch(until, now)
    if end < start:
        raise CtsysError("--until is before --since")
    samples = read(obj.root, start, end)
    if as_csv:
        click.echo(to_csv(samples), nl=False)
    elif as_json:
        print_json(
            [
                {"time": iso(s.time), "load1": s.load1, "cpu_percent": s.cpu_percent,
                 "memory_percent": s.memory_percent, "volumes": s.volumes, "links_bps": r}
                for s, r in zip(samples, link_rates(samples), strict=True)
            ]
        )
    elif not samples:
        click.echo("no sample in this period (ctsys-stats.timer collects every 5 minutes)")
    else:
        rows = [(iso(s.time), f"{s.load1:.2f}", f"{s.cpu_percent:.0f}", f"{s.memory_percent:.0f}") for s in samples]
        click.echo(table(rows, ["time", "load", "cpu %", "memory %"]))
