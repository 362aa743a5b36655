"""Adoption's plan for the recorder's configuration: restore a copy of the cameras section, move paths.

On a fresh install (no recorder volume, no camera), the newest valid copy
(ctsys/storage/cameras_copy.py) is put back, with recorder volume paths moved
to where the adopted volumes are mounted now. A data volume holding segments
that no recorder volume covers gets one of its own (ctdata-N), so its
recordings are indexed and exportable even without a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ctsys.config.document import Appliance, validate
from ctsys.errors import ValidationError
from ctsys.storage.cameras_copy import CAMERAS_COPY, CamerasCopy, CopyError, has_recorder_config, parse_copy, reasons
from ctsys.storage.marker import INDEX_DIR
from ctsys.storage.volume_contents import VolumeContents

if TYPE_CHECKING:
    from ctsys.storage.adopt import Adopted, Found


def _under(path: str, mountpoint: str) -> bool:
    path, mountpoint = path.rstrip("/"), mountpoint.rstrip("/")
    return path == mountpoint or path.startswith(mountpoint + "/")


@dataclass(frozen=True)
class Volume:
    """An adopted data volume: its number now, its number in its marker, what it holds."""

    volume_id: int
    uuid: str
    marker_id: int
    contents: VolumeContents

    @property
    def mountpoint(self) -> str:
        return f"/srv/ctdata/{self.volume_id}"


def volumes_of(adopted: list[Adopted], found: list[Found]) -> list[Volume]:
    contents = {f.uuid: f.contents for f in found}
    return [Volume(a.volume_id, a.uuid, a.marker_id, contents[a.uuid]) for a in adopted]


@dataclass(frozen=True)
class Rejected:
    path: str
    reason: str


@dataclass(frozen=True)
class Moved:
    volume: str  # recorder volume name
    old: str
    new: str


@dataclass(frozen=True)
class AddedVolume:
    name: str
    path: str


@dataclass
class CamerasPlan:
    # restored: a copy is put back; volumes-added: no copy, recorder volumes for the segments found;
    # kept: the document already has cameras or recorder volumes; nothing: no copy, no segment.
    status: str = "nothing"
    source: str | None = None
    revision: int | None = None
    written: str | None = None
    appliance: str | None = None
    moved: list[Moved] = field(default_factory=list)
    added: list[AddedVolume] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return self.status in ("restored", "volumes-added")

    def summary(self) -> str:
        """The revision's summary in the document history."""
        parts = []
        if self.status == "restored":
            parts.append(f"cameras section restored from {self.source}")
        if self.added:
            where = ", ".join(f"{a.name} ({a.path})" for a in self.added)
            parts.append(f"recorder volume{'s' if len(self.added) > 1 else ''} {where} added for the recordings found")
        return "storage adopt: " + "; ".join(parts)


def _copies(volumes: list[Volume]) -> tuple[list[CamerasCopy], list[Rejected]]:
    copies, rejected = [], []
    for v in volumes:
        path = f"{v.mountpoint}/{INDEX_DIR}/{CAMERAS_COPY}"
        if v.contents.copy_error:
            rejected.append(Rejected(path, v.contents.copy_error))
        elif v.contents.cameras_copy is not None:
            try:
                copies.append(parse_copy(v.contents.cameras_copy, path))
            except CopyError as exc:
                rejected.append(Rejected(path, str(exc)))
    copies.sort(key=lambda c: (c.written, c.revision or 0), reverse=True)
    return copies, rejected


def _relocations(copy: CamerasCopy, volumes: list[Volume]) -> dict[str, str]:
    """Old mount point -> new one, for each adopted volume that moved.

    By UUID from the copy's volume list; a copy without one falls back on the
    marker's number (the volume's number on the system that formatted it).
    """
    moves = {}
    for v in volumes:
        old = copy.mountpoints.get(v.uuid) if copy.mountpoints else f"/srv/ctdata/{v.marker_id}"
        if old is not None and old.rstrip("/") != v.mountpoint:
            moves[old.rstrip("/")] = v.mountpoint
    return moves


def _relocate(
    copy: CamerasCopy, volumes: list[Volume], doc: Appliance
) -> tuple[dict[str, Any], list[Moved], list[str]]:
    section = {**copy.section, "volumes": [dict(rv) for rv in copy.section.get("volumes") or []]}
    moves = _relocations(copy, volumes)
    adopted = {v.uuid for v in volumes} | {v.uuid for v in doc.storage.volumes}
    moved, warnings = [], []
    for rv in section["volumes"]:
        path = str(rv.get("path", ""))
        old = max((m for m in moves if _under(path, m)), key=len, default=None)
        if old is not None:
            rv["path"] = moves[old] + path.rstrip("/")[len(old) :]
            moved.append(Moved(str(rv.get("name")), path, rv["path"]))
            continue
        lost = next((u for u, m in copy.mountpoints.items() if _under(path, m) and u not in adopted), None)
        if lost is not None:
            now = next((d for d in doc.storage.volumes if _under(path, d.mountpoint)), None)
            also = f"; {now.mountpoint} is now another disk (uuid {now.uuid}): check it" if now else ""
            warnings.append(
                f"recorder volume {rv.get('name')} ({path}) was on the data volume with uuid {lost}, "
                f"which was not found{also}"
            )
    return section, moved, warnings


def _bare_volumes(section: dict[str, Any], volumes: list[Volume]) -> list[dict[str, Any]]:
    """A recorder volume for each adopted volume whose segments no recorder volume covers."""
    added = []
    names = {str(rv.get("name")) for rv in section.get("volumes") or []}
    for v in volumes:
        where = v.contents.segments_in
        if where is None or any(_under(str(rv.get("path", "")), v.mountpoint) for rv in section.get("volumes") or []):
            continue
        name, n = f"ctdata-{v.volume_id}", 1
        while name in names:
            n += 1
            name = f"ctdata-{v.volume_id}-{n}"
        names.add(name)
        # recordings/ exists only while the volume is mounted, so it needs no mount check of its own.
        path = f"{v.mountpoint}/{where}" if where else v.mountpoint
        added.append({"name": name, "path": path, "require_mount": not where})
    return added


def with_cameras(doc: Appliance, section: dict[str, Any]) -> Appliance:
    data = doc.model_dump(mode="json")
    data["cameras"] = section
    return validate(data)


def plan_cameras(doc: Appliance, volumes: list[Volume]) -> tuple[Appliance | None, CamerasPlan]:
    """The document with its cameras section restored (or recorder volumes added), or None.

    A document that already has cameras or recorder volumes is never changed.
    Copies are tried newest first; a damaged one is reported and skipped whole.
    """
    copies, rejected = _copies(volumes)
    plan = CamerasPlan(rejected=rejected)
    if has_recorder_config(doc):
        plan.status, plan.source = "kept", copies[0].path if copies else None
        return None, plan
    section: dict[str, Any] = doc.cameras.model_dump(mode="json")
    for copy in copies:
        relocated, moved, warnings = _relocate(copy, volumes, doc)
        try:
            with_cameras(doc, relocated)
        except ValidationError as exc:
            plan.rejected.append(Rejected(copy.path, "after moving its volume paths: " + reasons(exc)))
            continue
        section = relocated
        plan.status, plan.source, plan.revision = "restored", copy.path, copy.revision
        plan.written, plan.appliance, plan.moved, plan.warnings = copy.written, copy.appliance, moved, warnings
        break
    added = _bare_volumes(section, volumes)
    if added:
        section = {**section, "volumes": [*(section.get("volumes") or []), *added]}
        plan.added = [AddedVolume(a["name"], a["path"]) for a in added]
        if plan.status == "nothing":
            plan.status = "volumes-added"
    if not plan.changes:
        return None, plan
    return with_cameras(doc, section), plan
