"""`ctsys seed show|apply`: the first-boot seed of VM images (host name, admin keys, network)."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click

from ctsys.cli import Obj
from ctsys.output import json_option, print_json

DEVICES = click.option(
    "--device", "devices", multiple=True, hidden=True, help="Look at these block devices only (tests)."
)
PASSWORD = "system.admin.password_hash"


@click.group()
def seed() -> None:
    """First-boot seed of VM images: host name, admin SSH keys and network without a console.

    Looked for, in order: a filesystem labelled CT-SEED or cidata (vfat, iso9660
    or ext4) holding ct-seed.yaml; on a cidata one without it, the NoCloud
    meta-data and user-data (local-hostname, hostname, ssh_authorized_keys);
    then /boot/efi/ct-seed.yaml. ct-seed.yaml is the install answer file
    without disk and finish.
    """


def _shown(path: str, value: Any) -> Any:
    """A value for the screen and JSON: the password hash is only said to be set."""
    if path == PASSWORD:
        return "set" if value else None
    return value


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 70 else text[:67] + "..."


def _find(obj: Obj, devices: tuple[str, ...]) -> tuple[Any, list[str]]:
    from ctsys.seed import parse, sources

    search = sources.find(obj.root, devices)
    return (parse.load(search.seed) if search.seed else None), search.looked


def _report(seed: Any, result: Any, looked: list[str], before: bool) -> dict[str, Any]:
    from ctsys.config import edit

    return {
        "found": True,
        "source": {"where": seed.where, "kind": seed.kind, "format": seed.format, "files": seed.files},
        "sha256": seed.sha256,
        "applied_before": before,
        "sets": {f.path: _shown(f.path, edit.get(result.doc, f.path)) for f in result.fields},
        "changes": [
            {"path": c.path, "old": _shown(c.path, c.old), "new": _shown(c.path, c.new)} for c in result.changes
        ],
        "ignored": seed.ignored,
        "looked": looked,
    }


def _human(report: dict[str, Any], err: bool = False) -> None:
    source = report["source"]
    on = "" if source["kind"] == "esp" else f"{', '.join(source['files'])} on "
    click.echo(f"seed: {on}{source['where']}, sha256 {report['sha256'][:16]}...", err=err)
    click.echo(f"  applied before: {'yes' if report['applied_before'] else 'no'}", err=err)
    click.echo(f"  sets: {', '.join(report['sets']) or 'nothing'}", err=err)
    for change in report["changes"]:
        click.echo(f"  change {change['path']}: {_short(change['old'])} -> {_short(change['new'])}", err=err)
    if not report["changes"]:
        click.echo("  no change: the document already says what the seed says", err=err)
    for name in report["ignored"]:
        click.echo(f"  ignored: {name}", err=err)


@seed.command("show")
@json_option
@DEVICES
@click.pass_obj
def show(obj: Obj, as_json: bool, devices: tuple[str, ...]) -> None:
    """Show which seed is found and what it would change in the document; change nothing.

    A bad seed is an error naming its file and field. JSON keys: found, source{where,
    kind, format, files}, sha256, applied_before, sets{path: value}, changes[{path,
    old, new}], ignored[], looked[] (what was passed over, and why).
    """
    from ctsys.config.store import ConfigStore
    from ctsys.seed.firstboot import applied_before
    from ctsys.seed.plan import plan

    found, looked = _find(obj, devices)
    if found is None:
        if as_json:
            print_json({"found": False, "looked": looked})
        else:
            click.echo("no seed found: " + "; ".join(looked))
        return
    report = _report(found, plan(ConfigStore(obj.root).load(), found), looked, applied_before(obj.root, found.sha256))
    if as_json:
        print_json(report)
    else:
        _human(report)


@seed.command("apply")
@click.option("--dry-run", is_flag=True, help="Validate the seed and show what would change; change nothing.")
@click.option("--first-boot", is_flag=True,
              help="Run by ctsys-seed.service: once per seed content; no seed is a quiet success.")
@json_option
@DEVICES
@click.pass_obj
def apply_cmd(obj: Obj, dry_run: bool, first_boot: bool, as_json: bool, devices: tuple[str, ...]) -> None:
    """Set the host name, admin SSH keys and network from the seed, then apply them.

    The whole seed is validated first: an error names its file and field, and
    nothing is changed. The change is recorded in the history as "seed: ...
    from SOURCE", and the seed's sha256 in /var/lib/ctsys/seed-applied.json.
    With --first-boot a seed applied before (same sha256) is skipped, and
    during boot the files are rendered for the services that start afterwards
    (networkd, sshd) instead of reloading services.

    JSON keys: as `ctsys seed show`, and revision, applied.
    """
    from ctsys import journal
    from ctsys.change import change
    from ctsys.config.store import ConfigStore
    from ctsys.errors import CtsysError
    from ctsys.seed import firstboot
    from ctsys.seed.plan import plan, summary

    if first_boot and obj.live:
        from ctsys.storage.inventory import settle_udev

        settle_udev()  # a seed disk udev has not seen yet
    found, looked = _find(obj, devices)
    if found is None:
        if as_json:
            print_json({"found": False, "looked": looked, "applied": False})
        elif not first_boot:
            click.echo("no seed found: " + "; ".join(looked))
        return
    before = firstboot.applied_before(obj.root, found.sha256)
    if first_boot and before:
        if as_json:
            source = {"where": found.where, "kind": found.kind, "format": found.format, "files": found.files}
            print_json({"found": True, "source": source, "sha256": found.sha256, "applied_before": True,
                        "applied": False})
        else:
            click.echo(f"seed from {found.where} applied already (sha256 {found.sha256[:16]}...): nothing to do")
        return
    try:
        result = plan(ConfigStore(obj.root).load(), found)  # every field checked before anything changes
    except CtsysError as exc:
        journal.record_error(obj.root, "seed.apply", exc, {"source": found.where})
        raise
    report = _report(found, result, looked, before)
    if dry_run:
        if as_json:
            print_json({**report, "applied": False})
        else:
            _human(report)
            click.echo("dry run: nothing changed")
        return
    _human(report, err=as_json)
    # The document only: the apply comes just below, at boot or as `ctsys apply`.
    rev = change(obj.root, "seed.apply", lambda doc: plan(doc, found).doc, apply=False,
                 summary=summary(found, result)).revision
    if rev is not None:
        click.echo(f"revision {rev.number}: {rev.summary}", err=as_json)
    if first_boot and obj.live and firstboot.boot_in_progress():
        try:
            outcomes = firstboot.apply_during_boot(obj.root)
        except CtsysError as exc:
            journal.record_error(obj.root, "apply", exc, {"during": "boot"})
            raise
        rendered = [o.module for o in outcomes if o.status == "applied"]
        journal.record(obj.root, "apply", "ok", {"applied": ",".join(rendered), "during": "boot"})
        click.echo(f"rendered for this boot: {', '.join(rendered) or 'nothing changed'}", err=as_json)
    else:
        from ctsys.commands import run_apply

        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            run_apply(obj)
    # Remembered by every apply: a seed applied by hand is not applied again at the next boot.
    firstboot.remember(obj.root, found.sha256, found.where, rev.number if rev else None)
    if as_json:
        print_json({**report, "revision": rev.number if rev else None, "applied": True})
