"""Every command answers --help with a real description."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from ctsys.cli import COMMANDS, cli

pytestmark = pytest.mark.unit


def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"{' '.join((*prefix, name))} is listed but cannot be loaded"
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(walk(command, click.Context(command, parent=ctx, info_name=name), path))
    return found


def all_commands() -> list[tuple[str, ...]]:
    return walk(cli, click.Context(cli, info_name="ctsys"), ())


def test_the_walk_finds_the_foundation_commands() -> None:
    paths = {" ".join(p) for p in all_commands()}
    assert {"config set", "config rollback", "apply", "status", "log actions", "completion"} <= paths


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p))
def test_help_explains_each_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    description = result.output.split("\n\n", 2)[1].strip()
    assert len(description) >= 20, f"`ctsys {' '.join(path)} --help` says too little: {description!r}"


def test_top_level_help_lists_only_loadable_groups() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].strip().splitlines()]
    assert listed == sorted(listed) and set(listed) <= set(COMMANDS)


def test_unknown_command_is_a_usage_error() -> None:
    assert CliRunner().invoke(cli, ["frobnicate"]).exit_code == 2


def test_bash_completion_script_is_printed() -> None:
    result = CliRunner().invoke(cli, ["completion", "bash"])
    assert result.exit_code == 0 and "_CTSYS_COMPLETE" in result.output and "complete " in result.output
