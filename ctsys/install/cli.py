"""`ctsys install`: install the appliance from the live medium onto one disk."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ctsys.cli import Obj
from ctsys.output import print_json

if TYPE_CHECKING:
    from ctsys.storage.inventory import Disk


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
    from ctsys.install import target
    from ctsys.install.workflow import Questions, finish, install_system
    from ctsys.output import echo_progress

    def choose_disk(found: list[Disk]) -> Disk:
        for i, d in enumerate(found, 1):
            click.echo(f"  {i}) {target.describe(d)}")
        choice = click.prompt("Install to which disk", type=click.IntRange(1, len(found)), default=1)
        return found[choice - 1]

    def password() -> str | None:
        from ctsys.system.password import ask_password

        return ask_password(
            "Administrator password (empty: a one-time password is shown on the console at first boot)",
            allow_empty=True)

    def confirm_erase(chosen: Disk, what: str, expected: str) -> str:
        return str(click.prompt(f"Everything on {chosen.path} will be erased. Type its {what} ({expected}) to go on"))

    def reboot() -> bool:
        return click.confirm("Remove the installation medium. Reboot now?", default=True)

    progress = echo_progress(to_stderr=as_json)
    done = install_system(obj.root, disk=disk, answer_file=answer_file, source=source, unattended=unattended,
                          yes=yes, bootloader=not no_bootloader, dry_run=dry_run,
                          questions=Questions(choose_disk, password, confirm_erase, reboot), progress=progress)
    result = done.result
    if result is None:
        return  # dry run
    if as_json:
        print_json(asdict(result))
    else:
        click.echo(f"installed on {result.disk} in {result.seconds:.0f} s "
                   f"({', '.join(f'{k} {v:.0f} s' for k, v in result.steps.items())})")
    finish(done.answers.finish, reboot=reboot if not unattended and not as_json else None, progress=progress)
