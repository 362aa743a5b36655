"""`ctsys config ...`: read, change, compare, roll back, export and import the document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import yaml

from ctsys.cli import Obj
from ctsys.commands import CHANGE_JSON_KEYS, apply_option, run_change
from ctsys.output import emit, json_option, print_json, table


def _store(obj: Obj) -> Any:
    from ctsys.config.store import ConfigStore

    return ConfigStore(obj.root)


@click.group()
def config() -> None:
    """The appliance document /etc/ctsys/appliance.yaml and its history.

    Changes are validated as a whole before anything is written; each accepted
    change becomes a numbered revision (time, user, origin, command), then is
    applied at once, as in every group; --no-apply only changes the document
    (put it into effect later with `ctsys apply`).
    """


@config.command("show")
@click.argument("section", required=False)
@json_option
@click.pass_obj
def show(obj: Obj, section: str | None, as_json: bool) -> None:
    """Print the whole document, or one SECTION (system, services, network, ...)."""
    from ctsys.config import document, edit

    doc = _store(obj).load()
    data = edit.get(doc, section) if section else document.to_data(doc)
    if as_json:
        print_json(data)
    else:
        click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


@config.command("get")
@click.argument("path")
@json_option
@click.pass_obj
def get(obj: Obj, path: str, as_json: bool) -> None:
    """Print the value at PATH, e.g. `system.hostname` or `network.interfaces[0].address`."""
    from ctsys.config import edit

    value = edit.get(_store(obj).load(), path)
    if as_json:
        print_json(value)
    elif isinstance(value, dict | list):
        click.echo(yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip())
    else:
        click.echo("" if value is None else value)


@config.command("set")
@click.argument("path")
@click.argument("value")
@click.option("--string", "as_string", is_flag=True, help="Take VALUE literally as a string (no YAML parsing).")
@apply_option()
@json_option
@click.pass_obj
def set_cmd(obj: Obj, path: str, value: str, as_string: bool, apply_now: bool, as_json: bool) -> None:
    """Set PATH to VALUE (parsed as YAML: 22, true, [a, b], {k: v}).

    \b
    Examples:
      ctsys config set system.hostname cam-srv-1
      ctsys config set services.ssh.port 2222
      ctsys config set system.admin.authorized_keys '["ssh-ed25519 AAAA... me"]'

    {keys}
    """
    from ctsys.config import edit

    parsed = value if as_string else edit.parse_value(value)
    run_change(obj, "config.set", lambda doc: edit.set_value(doc, path, parsed), apply_now, as_json=as_json)


@config.command("unset")
@click.argument("path")
@apply_option()
@json_option
@click.pass_obj
def unset(obj: Obj, path: str, apply_now: bool, as_json: bool) -> None:
    """Remove PATH: a key goes back to its default, a list element is deleted.

    {keys}
    """
    from ctsys.config import edit

    run_change(obj, "config.unset", lambda doc: edit.unset_value(doc, path), apply_now, as_json=as_json)


@config.command("history")
@click.option("-n", "--limit", type=click.IntRange(min=1), help="Only the last N revisions.")
@json_option
@click.pass_obj
def history(obj: Obj, limit: int | None, as_json: bool) -> None:
    """List the revisions of the document, oldest first.

    JSON keys: number, time, user, origin, command, summary.
    """
    revs = _store(obj).revisions()
    if limit:
        revs = revs[-limit:]
    emit(
        [r.to_json() for r in revs],
        as_json,
        lambda rows: table(
            [(r["number"], r["time"], r["user"], r["origin"], r["summary"]) for r in rows],
            ["rev", "time", "user", "origin", "change"],
        )
        if rows
        else "no revision yet: the document has never been changed",
    )


@config.command("diff")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.pass_obj
def diff(obj: Obj, a: int | None, b: int | None) -> None:
    """Unified diff from revision A to revision B.

    Without B: A against the current document. Without A: the last change.
    """
    text = _store(obj).diff(a, b)
    click.echo(text.rstrip() if text else "no difference")


@config.command("rollback")
@click.argument("number", type=int)
@apply_option()
@json_option
@click.pass_obj
def rollback(obj: Obj, number: int, apply_now: bool, as_json: bool) -> None:
    """Make revision NUMBER the current document again (recorded as a new revision).

    {keys}
    """
    from ctsys.config import document

    store = _store(obj)
    run_change(obj, "config.rollback", lambda _doc: document.parse(store.revision_text(number)), apply_now,
               summary=f"rollback to revision {number}", as_json=as_json)


@config.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_obj
def export(obj: Obj, file: str) -> None:
    """Write the current document to FILE ('-' for standard output)."""
    from ctsys.fsutil import write_atomic

    text = _store(obj).read_text()
    if file == "-":
        sys.stdout.write(text)
    else:
        write_atomic(Path(file), text, 0o600)
        click.echo(f"exported to {file}")


@config.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@apply_option()
@json_option
@click.pass_obj
def import_cmd(obj: Obj, file: str, apply_now: bool, as_json: bool) -> None:
    """Replace the document with FILE, after validating all of it (nothing changes if invalid).

    {keys}
    """
    from ctsys.config import document

    text = sys.stdin.read() if file == "-" else Path(file).read_text()
    run_change(obj, "config.import", lambda _doc: document.parse(text), apply_now, as_json=as_json)


@config.command("schema")
def schema() -> None:
    """Print the document's JSON schema (every field, type, default and description)."""
    from ctsys.config.document import Appliance

    print_json(Appliance.model_json_schema())


for _command in (set_cmd, unset, rollback, import_cmd):
    _command.help = (_command.help or "").replace("{keys}", CHANGE_JSON_KEYS)
