"""`ctsys install`: install the appliance from the live medium onto one disk."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from ctsys.cli import Obj
from ctsys.output import print_json


@click.command()
@click.option("--disk", help="Target disk: serial number or /dev/NAME (default: ask, or the answer file's).")
@click.option("--answer", "answer_file", type=click.Path(dir_okay=False), help="Answer file (YAML) for the install.")
@click.option("--source", type=click.Path(path_type=Path), help="System to copy: a root directory or a squashfs image "
              "(default: the running live system).")
@click.option("--unattended", is_flag=True, help="Ask nothing: answers from the answer file and kernel parameters.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation before erasing the target disk.")
@click.option("--no-bootloader", is_flag=True, help="Skip GRUB (VM images add it themselves; tests on loop devices).")
@click.option("--dry-run", is_flag=True, help="Show the target and the kept disks; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def install(
    obj: Obj,
    disk: str | None,
    answer_file: str | None,
    source: Path | None,
    unattended: bool,
    yes: bool,
    no_bootloader: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Install CT-Server from the live medium onto the system disk.

    The disk is partitioned (GPT: BIOS boot, EFI, root), the system copied,
    GRUB installed for BIOS and UEFI, and a fresh machine-id and SSH host keys
    written. The administrator's password is asked (or comes from the answer
    file as a hash, or the answer file gives SSH keys); without one, the
    installed system shows a one-time password on its console at first boot
    and refuses it over SSH until it is changed there with `passwd`.

    Data disks (ctdata volumes), RAID members, removable media and
    the live medium are never written: they are listed as kept. Unattended:
    the answer file (ct-install.yaml on the medium, or ctserver.answer=PATH),
    ctserver.disk=SERIAL and ctserver.finish=reboot|poweroff choose the disk,
    host name, keys, network and what happens at the end.
    """
    from ctsys import journal
    from ctsys.errors import CtsysError
    from ctsys.install import answer, target
    from ctsys.install.installer import default_source
    from ctsys.install.installer import install as run_install
    from ctsys.storage.inventory import list_disks

    cmdline = Path("/proc/cmdline").read_text() if Path("/proc/cmdline").exists() else ""
    answers = answer.load(answer_file, cmdline if unattended or answer_file is None else "")
    wanted = disk or answers.disk
    disks = list_disks(include_loop=wanted.removeprefix("/dev/").startswith("loop"), probe=True)
    kept = target.kept(disks)
    for k in kept:
        if k.disk.path != wanted and k.disk.serial != wanted:
            click.echo(f"kept: {target.describe(k.disk)} — {k.reason}", err=as_json)
    if wanted == "auto" and not unattended and not disk:
        found = target.candidates(disks)
        if not found:
            target.choose(disks, "auto")  # raises with every disk's reason
        for i, d in enumerate(found, 1):
            click.echo(f"  {i}) {target.describe(d)}")
        choice = click.prompt("Install to which disk", type=click.IntRange(1, len(found)), default=1)
        chosen = found[choice - 1]
    else:
        chosen = target.choose(disks, wanted)
    src = source or default_source()
    # the answers against the document schema now, not after the disk was erased
    from ctsys.config.document import defaults
    from ctsys.install.system import answers_into_document

    answers_into_document(defaults(), answers)
    click.echo(f"target: {target.describe(chosen)}", err=as_json)
    if dry_run:
        click.echo("dry run: nothing written", err=as_json)
        return
    if not unattended and not answers.admin_password_hash and not answers.admin_authorized_keys:
        from ctsys.system.password import ask_password

        answers.admin_password_hash = ask_password(
            "Administrator password (empty: a one-time password is shown on the console at first boot)",
            allow_empty=True)
    if not (yes or unattended):
        # the serial number, or the device's name for a disk that has none (a loop device, some VMs)
        what, expected = ("serial", chosen.serial) if chosen.serial else ("name", chosen.path)
        typed = click.prompt(f"Everything on {chosen.path} will be erased. Type its {what} ({expected}) to go on")
        if typed.strip() != expected:
            raise CtsysError(f"the {what} typed does not match {expected}: nothing was written")
    try:
        result = run_install(
            chosen, src, answers, lambda line: click.echo(line, err=as_json), bootloader=not no_bootloader
        )
    except CtsysError as exc:
        journal.record_error(obj.root, "install", exc, {"disk": chosen.path})
        raise
    result.kept = [(k.disk.path, k.reason) for k in kept if k.disk.path != chosen.path]
    journal.record(obj.root, "install", "ok", {"disk": chosen.path, "seconds": str(result.seconds)})
    if as_json:
        print_json(asdict(result))
    else:
        click.echo(f"installed on {chosen.path} in {result.seconds:.0f} s "
                   f"({', '.join(f'{k} {v:.0f} s' for k, v in result.steps.items())})")
    finish(answers.finish, ask=not unattended and not as_json, err=as_json)


def finish(how: str, ask: bool, err: bool) -> None:
    """The end of an install: reboot, power off (VM image builds), or say what to do."""
    from ctsys.run import run

    if how == "poweroff":
        click.echo("powering off", err=err)
        run(["systemctl", "poweroff"], check=False)
    elif how == "reboot" or (ask and click.confirm("Remove the installation medium. Reboot now?", default=True)):
        run(["systemctl", "reboot"], check=False)
    else:
        click.echo("remove the installation medium and reboot to start the installed system", err=err)
