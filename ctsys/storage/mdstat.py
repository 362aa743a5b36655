"""/proc/mdstat: the kernel's view of md arrays (members, failed and spare disks, resync).

Format (drivers/md/md.c md_seq_show / status_resync):
  md0 : active raid1 vdc[2] vdb[0](F)
        2094080 blocks super 1.2 [2/1] [_U]
        [=>...................]  recovery =  8.1% (170560/2094080) finish=0.5min speed=56853K/sec
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MDSTAT = "/proc/mdstat"

_HEADER = re.compile(r"^(?P<name>md\S+)\s*:\s*(?P<state>active|inactive)(?P<rest>.*)$")
_MEMBER = re.compile(r"^(?P<dev>[^\s\[]+)\[(?P<slot>\d+)\](?P<flags>(\([A-Za-z]\))*)$")
_COUNTS = re.compile(r"\[(?P<total>\d+)/(?P<active>\d+)\]\s+\[(?P<map>[U_]+)\]")
_BLOCKS = re.compile(r"^\s*(?P<blocks>\d+) blocks")
_SYNC = re.compile(
    r"(?P<action>resync|recovery|check|reshape|repair)\s*=\s*(?P<percent>[\d.]+)%"
    r"(?:\s*\((?P<done>\d+)/(?P<total>\d+)\))?(?:\s*finish=(?P<finish>[\d.]+)min)?(?:\s*speed=(?P<speed>\d+)K/sec)?"
)
_SYNC_WAITING = re.compile(r"(?P<action>resync|recovery|check|reshape)\s*=\s*(?P<what>DELAYED|PENDING)")


@dataclass
class MdMember:
    device: str  # sdb, vdc1
    slot: int
    failed: bool = False
    spare: bool = False
    write_mostly: bool = False
    replacement: bool = False


@dataclass
class MdArray:
    name: str
    active: bool
    read_only: bool = False
    level: str | None = None  # raid1, raid5, raid6, raid10
    members: list[MdMember] = field(default_factory=list)
    blocks: int | None = None  # 1 KiB blocks
    raid_disks: int | None = None
    active_disks: int | None = None
    member_map: str | None = None  # [UU_]
    sync_action: str | None = None
    sync_percent: float | None = None
    sync_finish_minutes: float | None = None
    sync_speed_kib: int | None = None
    sync_waiting: str | None = None  # DELAYED or PENDING

    @property
    def size_bytes(self) -> int | None:
        return self.blocks * 1024 if self.blocks is not None else None

    @property
    def degraded(self) -> bool:
        return self.raid_disks is not None and self.active_disks is not None and self.active_disks < self.raid_disks

    @property
    def state(self) -> str:
        """inactive, recovering, resyncing, degraded, checking, reshaping or clean."""
        if not self.active:
            return "inactive"
        if self.sync_action == "recovery":
            return "recovering"
        if self.sync_action == "resync" or self.sync_waiting:
            return "resyncing"
        if self.degraded:
            return "degraded"
        if self.sync_action in ("check", "repair"):
            return "checking"
        if self.sync_action == "reshape":
            return "reshaping"
        return "clean"

    @property
    def failed(self) -> list[str]:
        return [m.device for m in self.members if m.failed]

    @property
    def spares(self) -> list[str]:
        return [m.device for m in self.members if m.spare and not m.failed]


def _members(words: list[str]) -> list[MdMember]:
    members = []
    for word in words:
        match = _MEMBER.match(word)
        if not match:
            continue
        flags = match["flags"]
        members.append(
            MdMember(match["dev"], int(match["slot"]), "(F)" in flags, "(S)" in flags, "(W)" in flags, "(R)" in flags)
        )
    return members


def parse_mdstat(text: str) -> list[MdArray]:
    arrays: list[MdArray] = []
    current: MdArray | None = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            words = header["rest"].split()
            current = MdArray(header["name"], header["state"] == "active")
            if words and words[0].startswith("("):  # (read-only) / (auto-read-only)
                current.read_only = True
                words = words[1:]
            if current.active and words and not _MEMBER.match(words[0]):
                current.level = words.pop(0)
            current.members = _members(words)
            arrays.append(current)
            continue
        if current is None or not line.startswith((" ", "\t")):
            current = None if not line.strip() or line.startswith(("Personalities", "unused")) else current
            continue
        blocks = _BLOCKS.match(line)
        if blocks:
            current.blocks = int(blocks["blocks"])
        counts = _COUNTS.search(line)
        if counts:
            current.raid_disks, current.active_disks = int(counts["total"]), int(counts["active"])
            current.member_map = counts["map"]
        sync = _SYNC.search(line)
        if sync:
            current.sync_action = sync["action"]
            current.sync_percent = float(sync["percent"])
            current.sync_finish_minutes = float(sync["finish"]) if sync["finish"] else None
            current.sync_speed_kib = int(sync["speed"]) if sync["speed"] else None
        waiting = _SYNC_WAITING.search(line)
        if waiting:
            current.sync_action, current.sync_waiting = waiting["action"], waiting["what"]
    return arrays


def read_mdstat(path: str = MDSTAT) -> list[MdArray]:
    """The arrays the kernel knows now; [] when md is not loaded (no /proc/mdstat)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return parse_mdstat(text)
