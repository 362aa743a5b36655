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
    """Read the action journal: who changed what, from where, when, with which result."""


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
