"""Where a seed is found: a labelled filesystem on any disk, else the EFI system partition.

`lsblk -J` lists the filesystems and their labels; what it does not know (no udev
database yet, early in boot or in a container) `blkid -p` probes. A candidate is
mounted read-only on a temporary directory, its seed files read into memory, and
it is always unmounted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctsys.errors import CommandError, CtsysError
from ctsys.run import run

SEED_FILE = "ct-seed.yaml"
NOCLOUD_FILES = ("meta-data", "user-data", "network-config", "vendor-data")
# Looked at in this order; labels compare without case (FAT labels often come out upper case).
SEED_LABEL, NOCLOUD_LABEL = "CT-SEED", "cidata"
LABELS = (SEED_LABEL, NOCLOUD_LABEL)
FILESYSTEMS = ("vfat", "iso9660", "ext4")
KERNEL_MODULES = {"iso9660": "isofs"}  # the module when its name is not the filesystem's
ESP_SEED = "/boot/efi/ct-seed.yaml"
MAX_BYTES = 1 << 20  # a seed is a few lines: a larger file is not one


@dataclass(frozen=True)
class Candidate:
    """A filesystem whose label says it may hold a seed."""

    device: str
    label: str  # as found on the disk
    fstype: str | None
    mountpoint: str | None = None

    @property
    def kind(self) -> str:
        """CT-SEED or cidata, whatever the case of the label."""
        return next(name for name in LABELS if name.casefold() == self.label.casefold())

    @property
    def where(self) -> str:
        return f"{self.device} ({self.label})"


@dataclass
class RawSeed:
    """The seed files as read from their source, before any parsing."""

    where: str  # "/dev/vdb (CT-SEED)", or the ESP file's path
    kind: str  # "disk" or "esp"
    files: dict[str, bytes]  # ct-seed.yaml, or the NoCloud files present
    device: str | None = None
    label: str | None = None
    fstype: str | None = None


@dataclass
class Search:
    seed: RawSeed | None
    looked: list[str] = field(default_factory=list)  # what was looked at, and why it was passed over


def _flatten(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for node in nodes:
        found.append(node)
        found.extend(_flatten(node.get("children") or []))
    return found


def block_devices(lsblk_json: str) -> list[dict[str, Any]]:
    """Every node of `lsblk -J -o NAME,PATH,TYPE,FSTYPE,LABEL,MOUNTPOINTS`, partitions included."""
    try:
        data = json.loads(lsblk_json)
    except ValueError as exc:
        raise CtsysError(f"lsblk printed something that is not JSON: {exc}") from None
    return _flatten(data.get("blockdevices") or [])


def _mountpoint(node: dict[str, Any]) -> str | None:
    points = [p for p in node.get("mountpoints") or [node.get("mountpoint")] if p]
    return points[0] if points else None


def candidates(nodes: list[dict[str, Any]]) -> list[Candidate]:
    """Filesystems labelled CT-SEED first, then cidata; each group by device path."""
    found = []
    for node in nodes:
        label = node.get("label")
        if label and label.casefold() in (name.casefold() for name in LABELS):
            path = node.get("path") or f"/dev/{node['name']}"
            found.append(Candidate(path, label, node.get("fstype"), _mountpoint(node)))
    return sorted(found, key=lambda c: (LABELS.index(c.kind), c.device))


def _probe_unknown(nodes: list[dict[str, Any]]) -> None:
    """Fill in label and type where lsblk had none (no udev record for the device yet)."""
    from ctsys.storage.inventory import probe

    for node in nodes:
        if node.get("label") or node.get("fstype") or node.get("children"):
            continue
        path = node.get("path") or f"/dev/{node['name']}"
        info = probe(path)
        node["label"], node["fstype"] = info.get("LABEL"), info.get("TYPE")


def list_candidates(only: tuple[str, ...] = ()) -> list[Candidate]:
    """Labelled filesystems on this machine's block devices (`only`: these devices, for tests)."""
    text = run(["lsblk", "-J", "-o", "NAME,PATH,TYPE,FSTYPE,LABEL,MOUNTPOINTS"], timeout=30).stdout
    nodes = block_devices(text)
    if only:
        nodes = [n for n in nodes if (n.get("path") or f"/dev/{n['name']}") in only]
    _probe_unknown(nodes)
    return candidates(nodes)


def _read(directory: Path, names: tuple[str, ...], where: str) -> dict[str, bytes]:
    files = {}
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_BYTES:
            raise CtsysError(f"{name} on {where} is larger than {MAX_BYTES >> 10} KiB: it is not a seed")
        files[name] = path.read_bytes()
    return files


def read_candidate(candidate: Candidate) -> dict[str, bytes]:
    """The seed files on `candidate`: mounted read-only for the reading, then unmounted."""
    from ctsys.storage.mounts import temporary_mount

    names = (SEED_FILE,) if candidate.kind == SEED_LABEL else (SEED_FILE, *NOCLOUD_FILES)
    if candidate.mountpoint:  # mounted already (by hand, or a desktop's automounter): read it there
        return _read(Path(candidate.mountpoint), names, candidate.where)
    try:
        with temporary_mount(candidate.device, candidate.fstype, read_only=True) as directory:
            return _read(Path(directory), names, candidate.where)
    except CommandError as exc:
        hint = "check it with `blkid -p` and `fsck -n`, or detach it to boot without the seed"
        if "unknown filesystem type" in exc.stderr:
            module = KERNEL_MODULES.get(candidate.fstype or "", candidate.fstype)
            hint = f"this kernel has no {candidate.fstype} driver: load it (modprobe {module}) or use an ext4 seed"
        raise CtsysError(f"the seed filesystem {candidate.where} could not be read: {exc.message}", hint) from None


def find(root: str, only: tuple[str, ...] = ()) -> Search:
    """The first seed in the documented order, and what was looked at on the way."""
    search = Search(None)
    for candidate in list_candidates(only):
        if candidate.fstype not in FILESYSTEMS:
            search.looked.append(f"{candidate.where}: {candidate.fstype or 'unknown'} filesystem, "
                                 f"not {', '.join(FILESYSTEMS)}")
            continue
        files = read_candidate(candidate)
        if SEED_FILE in files:
            files = {SEED_FILE: files[SEED_FILE]}  # ct-seed.yaml wins over NoCloud files beside it
        elif not {"meta-data", "user-data"} & files.keys():
            wanted = SEED_FILE if candidate.kind == SEED_LABEL else f"{SEED_FILE}, meta-data or user-data"
            search.looked.append(f"{candidate.where}: no {wanted}")
            continue
        search.seed = RawSeed(candidate.where, "disk", files, candidate.device, candidate.label, candidate.fstype)
        return search
    if not search.looked:
        search.looked.append(f"no filesystem labelled {' or '.join(LABELS)}")
    esp = Path(root) / ESP_SEED.lstrip("/")
    if esp.is_file():
        search.seed = RawSeed(ESP_SEED, "esp", _read(esp.parent, (SEED_FILE,), "the EFI system partition"))
    else:
        search.looked.append(f"{ESP_SEED}: absent")
    return search
