"""`ctsys install` as a function: choose the disk, check the answers, ask what must be asked, install.

The command (ctsys/install/cli.py) parses its options, gives the questions a
person at the console answers (Questions), and prints the result. Unattended,
nothing is asked: the answer file and the kernel parameters say it all.
The install itself, step by step, is ctsys/install/installer.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctsys.errors import CtsysError
from ctsys.install import answer, target
from ctsys.install.answer import Answers
from ctsys.install.installer import InstallResult
from ctsys.install.target import Kept
from ctsys.output import Progress, quiet
from ctsys.storage.inventory import Disk

CMDLINE = Path("/proc/cmdline")


@dataclass(frozen=True)
class Questions:
    """What the install asks the person at the console (never when unattended)."""

    choose_disk: Callable[[list[Disk]], Disk]  # the target among several candidates
    password: Callable[[], str | None]  # the administrator's password hash; None or "": a one-time one
    confirm_erase: Callable[[Disk, str, str], str]  # (disk, "serial" or "name", expected) -> what was typed
    reboot: Callable[[], bool]  # at the end: reboot now?


@dataclass
class Install:
    """The disk chosen, the disks kept, and the install's result (None after a dry run)."""

    disk: Disk
    kept: list[Kept]
    answers: Answers
    result: InstallResult | None = None


def install_system(
    root: str,
    *,
    disk: str | None = None,
    answer_file: str | None = None,
    source: Path | None = None,
    unattended: bool = False,
    yes: bool = False,
    bootloader: bool = True,
    dry_run: bool = False,
    questions: Questions | None = None,
    progress: Progress = quiet,
) -> Install:
    """Install onto the disk named (or the answer file's, or the one asked for); see the module's docstring.

    Every check (disk, answers) is done before the disk is erased; a refusal
    raises CtsysError and writes nothing. The action journal under `root` gets the outcome.
    """
    from ctsys import journal
    from ctsys.config.document import defaults
    from ctsys.install.installer import default_source
    from ctsys.install.installer import install as run_install
    from ctsys.install.system import answers_into_document
    from ctsys.storage.inventory import list_disks

    def ask() -> Questions:
        if questions is None:
            raise CtsysError("the install has to ask, and nobody can answer", hint="run it --unattended")
        return questions

    cmdline = CMDLINE.read_text() if CMDLINE.exists() else ""
    answers = answer.load(answer_file, cmdline if unattended or answer_file is None else "")
    wanted = disk or answers.disk
    disks = list_disks(include_loop=wanted.removeprefix("/dev/").startswith("loop"), probe=True)
    kept = target.kept(disks)
    for k in kept:
        if k.disk.path != wanted and k.disk.serial != wanted:
            progress(f"kept: {target.describe(k.disk)} — {k.reason}")
    if wanted == "auto" and not unattended and not disk:
        found = target.candidates(disks)
        if not found:
            target.choose(disks, "auto")  # raises with every disk's reason
        chosen = ask().choose_disk(found)
    else:
        chosen = target.choose(disks, wanted)
    src = source or default_source()
    answers_into_document(defaults(), answers)  # the answers against the schema now, not after the disk was erased
    progress(f"target: {target.describe(chosen)}")
    outcome = Install(chosen, kept, answers)
    if dry_run:
        progress("dry run: nothing written")
        return outcome
    if not unattended and not answers.admin_password_hash and not answers.admin_authorized_keys:
        answers.admin_password_hash = ask().password()
    if not (yes or unattended):
        # the serial number, or the device's name for a disk that has none (a loop device, some VMs)
        what, expected = ("serial", chosen.serial) if chosen.serial else ("name", chosen.path)
        typed = ask().confirm_erase(chosen, what, expected)
        if typed.strip() != expected:
            raise CtsysError(f"the {what} typed does not match {expected}: nothing was written")
    try:
        result = run_install(chosen, src, answers, progress, bootloader=bootloader)
    except CtsysError as exc:
        journal.record_error(root, "install", exc, {"disk": chosen.path})
        raise
    result.kept = [(k.disk.path, k.reason) for k in kept if k.disk.path != chosen.path]
    journal.record(root, "install", "ok", {"disk": chosen.path, "seconds": str(result.seconds)})
    outcome.result = result
    return outcome


def finish(how: str, reboot: Callable[[], bool] | None = None, progress: Progress = quiet) -> None:
    """The end of an install: reboot, power off (VM image builds), or say what to do.

    `reboot` asks whether to reboot now (None: nobody to ask).
    """
    from ctsys.run import run

    if how == "poweroff":
        progress("powering off")
        run(["systemctl", "poweroff"], check=False)
    elif how == "reboot" or (reboot is not None and reboot()):
        run(["systemctl", "reboot"], check=False)
    else:
        progress("remove the installation medium and reboot to start the installed system")
