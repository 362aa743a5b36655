"""`ctsys log ...`: the action journal."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict

import click

from ctsys.cli import Obj
from ctsys.output import emit, json_option, table


@click.group()
def log() -> None:
    """Logs: the action journal (who changed what, from where), alerts, the system log, export."""


def _iso(value: str | None, end: bool) -> str | None:
    if value is None:
        return None
    if len(value) == 10:  # a bare date covers the whole day
        return value + ("T23:59:59Z" if end else "T00:00:00Z")
    return value if value.endswith("Z") else value + "Z"


@log.command("actions")
@click.option("--user", help="Only actions by this user.")
@click.option("--origin", help="Only actions from this address ('local' for the console).")
@click.option("--action", "action_type", help="Only this action type or its sub-actions (e.g. 'config', 'apply').")
@click.option("--since", help="From this UTC time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.")
@click.option("--until", help="Up to this UTC time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (time,user,origin,action,result,command).")
@json_option
@click.pass_obj
def actions_cmd(
    obj: Obj,
    user: str | None,
    origin: str | None,
    action_type: str | None,
    since: str | None,
    until: str | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """List recorded actions, oldest first.

    JSON keys: time, user, origin, action, command, result, details.
    """
    from ctsys.journal.query import Filter, actions

    found = actions(
        obj.root,
        Filter(user, origin, action_type, _iso(since, False), _iso(until, True)),
    )
    if as_csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["time", "user", "origin", "action", "result", "command"])
        for a in found:
            writer.writerow([a.time, a.user, a.origin, a.action, a.result, a.command])
        click.echo(buf.getvalue(), nl=False)
        return
    emit(
        [asdict(a) for a in found],
        as_json,
        lambda rows: table(
            [(r["time"], r["user"], r["origin"], r["action"], r["result"]) for r in rows],
            ["time", "user", "origin", "action", "result"],
        )
        if rows
        else "no recorded action matches",
    )


@log.command("show")
@click.option("--unit", help="Only this systemd unit (e.g. ct-recorder.service).")
@click.option("--grep", help="Only lines containing this text (case-insensitive).")
@click.option("--since", help="From this time (journalctl syntax: '2026-11-01', '1 hour ago').")
@click.option("--until", help="Up to this time.")
@click.option("-n", "--lines", type=click.IntRange(min=1), default=200, show_default=True, help="Last N lines.")
@json_option
@click.pass_obj
def show_cmd(
    obj: Obj, unit: str | None, grep: str | None, since: str | None, until: str | None, lines: int, as_json: bool
) -> None:
    """The system log (systemd journal), filtered by unit, text and time.

    JSON keys: time, unit, priority, message.
    """
    from ctsys.journal.system_log import system_log

    found = system_log(obj.root, unit, grep, since, until, lines)
    emit(
        [asdict(x) for x in found],
        as_json,
        lambda rows: "\n".join(f"{r['time']} {r['unit']}: {r['message']}" for r in rows) or "no matching line",
    )


@log.command("alerts")
@click.option("--kind", help="Only this kind of alert (smart, raid, disk-fill, camera, ...).")
@json_option
@click.pass_obj
def alerts_cmd(obj: Obj, kind: str | None, as_json: bool) -> None:
    """Alerts raised on this appliance, oldest first.

    JSON keys: time, kind, state, severity, subject, message.
    """
    from ctsys.alerts import recorded

    rows = [asdict(a) for a in recorded(obj.root)]
    if kind:
        rows = [r for r in rows if r["kind"] == kind]
    emit(
        rows,
        as_json,
        lambda rs: table([(r["time"], r["severity"], r["subject"], r["message"]) for r in rs],
                         ["time", "severity", "subject", "message"]) if rs else "no alert",
    )


@log.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--since", required=True, help="Start, UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS.")
@click.option("--until", help="End, UTC (default: now). At most one year after --since.")
@click.pass_obj
def export_cmd(obj: Obj, file: str, since: str, until: str | None) -> None:
    """Export actions, alerts and the system log of a period (up to a year) as FILE (.tar.gz of CSV files)."""
    import time as _time
    from pathlib import Path

    from ctsys import journal
    from ctsys.errors import CtsysError
    from ctsys.journal.system_log import export

    start = _iso(since, False)
    end = _iso(until, True) if until else _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime())
    assert start is not None and end is not None
    from datetime import datetime, timedelta

    def parse(stamp: str) -> datetime:
        try:
            return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise CtsysError(f"{stamp!r} is not a UTC time such as 2026-11-01 or 2026-11-01T08:30:00") from None

    if parse(end) - parse(start) > timedelta(days=366):
        raise CtsysError("the period is longer than a year: export it in several parts")
    if end < start:
        raise CtsysError(f"--until {end} is before --since {start}")
    members = export(obj.root, start, end, Path(file))
    journal.record(obj.root, "log.export", "ok", {"file": file, "since": start, "until": end})
    click.echo(f"exported {', '.join(members)} ({start} .. {end}) to {file}")
