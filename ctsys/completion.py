"""`ctsys completion SHELL`: print the completion script to source."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]), default="bash")
def completion(shell: str) -> None:
    """Print the SHELL completion script for ctsys.

    Install for bash with:  ctsys completion bash > /etc/bash_completion.d/ctsys
    """
    from ctsys.cli import cli

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "ctsys", "_CTSYS_COMPLETE").source())
