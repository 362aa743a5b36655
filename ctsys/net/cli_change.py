"""What every `ctsys net` command that changes the network shares: --force, --apply/--no-apply, the call.

The change service (ctsys.change) gets the network edit, the network preflight
(ctsys.net.change.preflight) and --force as an argument; the apply covers the
network modules and every module that renders from the network section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ctsys.cli import Obj
from ctsys.commands import apply_option, run_change

F = TypeVar("F", bound=Callable[..., Any])
LATER = "ctsys net apply"


def change_options(func: F) -> F:
    """--force and --apply/--no-apply, shared by every command that changes the network."""
    func = apply_option(LATER)(func)
    return click.option(
        "--force", is_flag=True,
        help="Apply even if it would cut your current SSH session (it still reverts unless confirmed).",
    )(func)


def network_change(
    obj: Obj, action: str, mutate: Callable[[dict[str, Any]], None], force: bool, apply_now: bool
) -> None:
    """Edit the `network` section through the change service, then say how long until it reverts."""
    from ctsys.net.apply_modules import network_consumers
    from ctsys.net.change import edit_network, preflight

    outcome = run_change(obj, action, edit_network(mutate), network_consumers() if apply_now else False,
                         later=LATER, preflight=preflight, force=force)
    if outcome.applied is not None:
        say_countdown(obj)


def say_countdown(obj: Obj) -> None:
    """On the running system an apply arms the timed rollback: say so."""
    from ctsys.net import rollback

    pending = rollback.load_pending(Path(obj.root))
    if pending is not None:
        click.echo(
            f"applied: it reverts in {pending.remaining():.0f} s unless you run `ctsys net confirm` "
            "from a new SSH connection"
        )
