"""`ctsys alert ...`: raise an alert by hand or from a tool's hook (mdadm PROGRAM, smartd -M exec)."""

from __future__ import annotations

import click

from ctsys.alerts import KINDS, SEVERITIES, STATES
from ctsys.cli import Obj
from ctsys.errors import CtsysError


@click.group()
def alert() -> None:
    """Raise alerts; they go to the journal and to every hook in /etc/ctsys/alert.d/."""


@alert.command("raise")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="What area the event is about.")
@click.option("--subject", required=True, help="The thing concerned: /dev/sda, md0, cam3, ...")
@click.option("--message", required=True, help="One sentence for the operator.")
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True)
@click.option(
    "--state",
    type=click.Choice(STATES),
    default="raised",
    show_default=True,
    help="raised, or cleared when it is over.",
)
@click.pass_obj
def raise_cmd(obj: Obj, kind: str, subject: str, message: str, severity: str, state: str) -> None:
    """Record an alert and run the alert hooks (exit 1 if a hook failed)."""
    from ctsys.alerts import raise_alert

    _, failed = raise_alert(obj.root, kind, subject, message, severity, state)
    if failed:
        raise CtsysError(f"alert recorded, but hook(s) failed: {', '.join(failed)}")
    click.echo(f"{kind} alert {state}: {subject}")


@alert.command("test")
@click.pass_obj
def test_cmd(obj: Obj) -> None:
    """Send a test alert through every hook, to check notifications end to end."""
    from ctsys.alerts import raise_alert

    _, failed = raise_alert(obj.root, "test", "ctsys", "test alert requested by the operator", "info")
    if failed:
        raise CtsysError(f"hook(s) failed: {', '.join(failed)}")
    click.echo("test alert sent")
