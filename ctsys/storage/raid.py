"""RAID with mdadm: create 1/5/6/10, status, spare, replace, remove, monitor events.

Arrays are built on whole disks (metadata 1.2, internal bitmap so a member that
comes back resyncs only what changed). Each array is recorded in the document
by UUID; the `mdadm` apply module renders mdadm.conf from it and refreshes the
initramfs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from ctsys.errors import CtsysError
from ctsys.run import run
from ctsys.storage import human_size
from ctsys.storage.inventory import Disk
from ctsys.storage.mdstat import MdArray, read_mdstat

MIN_DEVICES = {1: 2, 5: 3, 6: 4, 10: 4}
SIZE_TOLERANCE = 0.10  # members may differ by 10 %: the array uses the smallest
# mdadm --monitor events -> (severity, alert state)
EVENTS = {
    "Fail": ("critical", "raised"),
    "FailSpare": ("warning", "raised"),
    "DegradedArray": ("critical", "raised"),
    "DeviceDisappeared": ("critical", "raised"),
    "SparesMissing": ("warning", "raised"),
    "TestMessage": ("info", "raised"),
    "RebuildStarted": ("info", "raised"),
    "RebuildFinished": ("info", "cleared"),
    "SpareActive": ("info", "cleared"),
    "NewArray": ("info", "raised"),
    "MoveSpare": ("info", "raised"),
}
_REBUILD_PROGRESS = re.compile(r"^Rebuild(\d+)$")


def check_level(level: int, count: int) -> None:
    if level not in MIN_DEVICES:
        raise CtsysError(f"RAID level {level} is not offered (levels: 1, 5, 6, 10)")
    if count < MIN_DEVICES[level]:
        raise CtsysError(
            f"RAID {level} needs at least {MIN_DEVICES[level]} disks, {count} given", hint="nothing was changed"
        )
    if level == 10 and count % 2:
        raise CtsysError(f"RAID 10 needs an even number of disks, {count} given", hint="nothing was changed")


def check_sizes(disks: list[Disk], force: bool) -> None:
    """Refuse members whose sizes differ by more than 10 % (the array would waste the difference)."""
    smallest = min(disks, key=lambda d: d.size)
    largest = max(disks, key=lambda d: d.size)
    if largest.size > smallest.size * (1 + SIZE_TOLERANCE) and not force:
        raise CtsysError(
            f"disk sizes differ by more than 10 %: {smallest.path} is {human_size(smallest.size)}, "
            f"{largest.path} is {human_size(largest.size)}; the array would use only "
            f"{human_size(smallest.size)} of each",
            hint="use disks of the same size, or --force to accept the loss; nothing was changed",
        )


def next_array_name(taken: set[str]) -> str:
    for arrays in (read_mdstat(),):
        taken |= {a.name for a in arrays}
    return next(f"md{n}" for n in range(0, 1000) if f"md{n}" not in taken)


def parse_detail_export(text: str) -> dict[str, str]:
    """`mdadm --detail --export /dev/mdN`: MD_LEVEL, MD_DEVICES, MD_UUID, MD_DEVICE_dev_sdb_ROLE..."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip().strip("'")
    return out


def array_uuid(name: str) -> str:
    detail = parse_detail_export(run(["mdadm", "--detail", "--export", f"/dev/{name}"]).stdout)
    uuid = detail.get("MD_UUID")
    if not uuid:
        raise CtsysError(f"mdadm gives no UUID for /dev/{name}")
    return uuid.lower()


Progress = Callable[[str], None]


def create_argv(name: str, level: int, members: list[str], spares: list[str]) -> list[str]:
    argv = [
        "mdadm",
        "--create",
        f"/dev/{name}",
        "--run",
        "--metadata=1.2",
        f"--level={level}",
        f"--raid-devices={len(members)}",
        "--bitmap=internal",
        "--homehost=<none>",
        f"--name={name}",
    ]
    if spares:
        argv.append(f"--spare-devices={len(spares)}")
    return [*argv, *members, *spares]


def create(name: str, level: int, members: list[Disk], spares: list[Disk], progress: Progress) -> str:
    """Create the array (it is usable at once; the initial resync runs in the background). Returns its UUID."""
    for disk in [*members, *spares]:
        progress(f"wiping signatures on {disk.path}")
        for part in disk.partitions:  # old filesystems must not reappear through a stale table
            run(["wipefs", "-a", part.path], check=False)
        run(["wipefs", "-a", disk.path])
    progress(f"creating RAID {level} /dev/{name} from {', '.join(d.path for d in members)}")
    run(create_argv(name, level, [d.path for d in members], [d.path for d in spares]), timeout=120)
    return array_uuid(name)


def find_array(name: str, arrays: list[MdArray] | None = None) -> MdArray:
    arrays = read_mdstat() if arrays is None else arrays
    wanted = name.removeprefix("/dev/").removeprefix("md/")
    for array in arrays:
        if array.name == wanted:
            return array
    known = ", ".join(a.name for a in arrays) or "none"
    raise CtsysError(f"unknown RAID array {name!r} (arrays: {known})", hint="see `ctsys raid status`")


def add_spare(array: MdArray, disk: Disk) -> None:
    run(["wipefs", "-a", disk.path])
    run(["mdadm", "--manage", f"/dev/{array.name}", "--add", disk.path])


def replace(array: MdArray, old: str, new: Disk) -> str:
    """Put `new` in place of `old` (a member's name, or 'failed' for every failed one)."""
    md = f"/dev/{array.name}"
    old_name = old.removeprefix("/dev/")
    run(["wipefs", "-a", new.path])
    members = {m.device: m for m in array.members}
    if old_name in ("failed", "missing") or (old_name in members and members[old_name].failed):
        # A failed (or pulled) member: drop it, add the new disk, the kernel rebuilds onto it.
        run(["mdadm", "--manage", md, "--remove", "failed"], check=False)
        run(["mdadm", "--manage", md, "--remove", "detached"], check=False)
        run(["mdadm", "--manage", md, "--add", new.path])
        return "recovery"
    if old_name not in members:
        raise CtsysError(f"{old} is not a member of {array.name} (members: {', '.join(members) or 'none'})")
    # A working member: copy it onto the new disk while it stays in service, then fail it out.
    run(["mdadm", "--manage", md, "--add-spare", new.path])
    run(["mdadm", "--manage", md, "--replace", f"/dev/{old_name}", "--with", new.path])
    return "replace"


def remove(array: MdArray) -> list[str]:
    """Stop the array and erase the md superblock of each member; returns the members."""
    members = [f"/dev/{m.device}" for m in array.members]
    run(["mdadm", "--stop", f"/dev/{array.name}"], timeout=120)
    for member in members:
        run(["mdadm", "--zero-superblock", member], check=False)
    return members


def wait_for_sync(name: str, progress: Progress, poll: float = 5.0, timeout: float = 7 * 86400) -> MdArray:
    """Report resync/recovery progress until the array is clean (or degraded with nothing to do)."""
    deadline = time.monotonic() + timeout
    while True:
        array = find_array(name)
        if array.sync_action is None or time.monotonic() > deadline:
            return array
        finish = f", about {array.sync_finish_minutes:g} min left" if array.sync_finish_minutes is not None else ""
        percent = f"{array.sync_percent:g} %" if array.sync_percent is not None else (array.sync_waiting or "")
        progress(f"{array.name}: {array.sync_action} {percent}{finish}")
        time.sleep(poll)


def event_alert(event: str, device: str, component: str | None) -> tuple[str, str, str] | None:
    """(severity, state, message) for an mdadm --monitor event; None for those not worth an alert."""
    match = _REBUILD_PROGRESS.match(event)
    if match:
        return None  # Rebuild20/40/60/80: progress goes to the journal only
    severity, state = EVENTS.get(event, ("warning", "raised"))
    on = f" ({component})" if component else ""
    messages = {
        "Fail": f"member{on} failed; the array runs degraded",
        "DegradedArray": "the array is degraded (a member is missing)",
        "DeviceDisappeared": "the array disappeared",
        "FailSpare": f"the spare{on} failed while rebuilding",
        "SparesMissing": "fewer spares than configured",
        "RebuildStarted": "rebuild started",
        "RebuildFinished": "rebuild finished",
        "SpareActive": f"spare{on} is now an active member",
        "NewArray": "new array detected",
        "TestMessage": "test message from mdadm --monitor",
        "MoveSpare": f"spare{on} moved from another array",
    }
    return severity, state, messages.get(event, f"mdadm event {event}{on}")
