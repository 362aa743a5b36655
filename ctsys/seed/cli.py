"""`ctsys seed show|apply`: the first-boot seed of VM images (host name, admin keys, network)."""

from __future__ import annotations

import json
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
    from ctsys.seed.workflow import find_seed

    found, looked = find_seed(obj, devices)
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
    from ctsys.output import echo_progress
    from ctsys.seed.workflow import SeedApply, apply_seed

    def planned(result: SeedApply) -> None:  # before anything changes: what the seed sets
        if not dry_run:
            _human(_report(result.seed, result.plan, result.looked, result.applied_before), err=as_json)

    result = apply_seed(obj, devices=devices, dry_run=dry_run, first_boot=first_boot,
                        progress=echo_progress(to_stderr=as_json), planned=planned)
    found = result.seed
    if found is None:
        if as_json:
            print_json({"found": False, "looked": result.looked, "applied": False})
        elif not first_boot:
            click.echo("no seed found: " + "; ".join(result.looked))
        return
    if result.status == "applied-before":
        if as_json:
            source = {"where": found.where, "kind": found.kind, "format": found.format, "files": found.files}
            print_json({"found": True, "source": source, "sha256": found.sha256, "applied_before": True,
                        "applied": False})
        else:
            click.echo(f"seed from {found.where} applied already (sha256 {found.sha256[:16]}...): nothing to do")
        return
    report = _report(found, result.plan, result.looked, result.applied_before)
    if result.status == "dry-run":
        if as_json:
            print_json({**report, "applied": False})
        else:
            _human(report)
            click.echo("dry run: nothing changed")
    elif as_json:
        print_json({**report, "revision": result.revision, "applied": True})
