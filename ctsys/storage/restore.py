"""The recorder's configuration across a reinstall: the `cameras` section kept on the data volumes.

`ctsys storage replicate` writes the document's `cameras` section to
.ctdata/index/cameras.yaml on every mounted data volume, with the revision it
came from and where that system mounted each data volume (by UUID).
`ctsys storage adopt` on a fresh install (no recorder volume, no camera) puts
the newest valid copy back, with recorder volume paths moved to where the
adopted volumes are mounted now. A data volume holding segments that no
recorder volume covers gets one of its own (ctdata-N), so its recordings are
indexed and exportable even without a copy.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ctsys.config.document import Appliance, validate
from ctsys.errors import ValidationError
from ctsys.storage.marker import INDEX_DIR, RECORDINGS_DIR
from recorder.layout import parse_name

if TYPE_CHECKING:
    from ctsys.config.sections.storage import DataVolume
    from ctsys.config.store import Revision
    from ctsys.storage.adopt import Adopted, Found

CAMERAS_COPY = "cameras.yaml"
COPY_FORMAT = 1
_HEADER = (
    "# The `cameras` section of a CT-Server document, copied by `ctsys storage replicate`;\n"
    "# `ctsys storage adopt` restores it after a reinstall. It holds the cameras' credentials.\n"
)


def _under(path: str, mountpoint: str) -> bool:
    path, mountpoint = path.rstrip("/"), mountpoint.rstrip("/")
    return path == mountpoint or path.startswith(mountpoint + "/")


def has_recorder_config(doc: Appliance) -> bool:
    """True when the document says where or what to record (never overwritten by a copy)."""
    return bool(doc.cameras.volumes or doc.cameras.cameras)


# --------------------------------------------------------------------------- writing (replicate)
def copy_text(doc: Appliance, revision: Revision | None, volume: DataVolume, written: str) -> str:
    """The copy written onto `volume`: the section, its revision, and this system's data volumes."""
    data = {
        "format": COPY_FORMAT,
        "written": written,
        "appliance": doc.system.hostname,
        "revision": revision.number if revision else None,
        "revision_time": revision.time if revision else None,
        "volume": {"id": volume.id, "uuid": volume.uuid, "mountpoint": volume.mountpoint},
        # Where each data volume was mounted: recorder volume paths are moved by UUID at adoption.
        "volumes": [{"id": v.id, "uuid": v.uuid, "mountpoint": v.mountpoint} for v in doc.storage.volumes],
        "cameras": doc.cameras.model_dump(mode="json"),
    }
    return _HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


# --------------------------------------------------------------------------- reading (adopt)
class CopyError(ValueError):
    """A copy that cannot be restored; the message is the reason."""


@dataclass(frozen=True)
class CamerasCopy:
    path: str  # as the adopting system sees it: /srv/ctdata/N/.ctdata/index/cameras.yaml
    written: str
    revision: int | None
    appliance: str
    mountpoints: dict[str, str]  # filesystem UUID -> its mount point on the system that wrote the copy
    section: dict[str, Any]


def parse_copy(text: str, path: str) -> CamerasCopy:
    """Read and check one copy; CopyError names what is wrong with it."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CopyError(f"YAML syntax error{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise CopyError("not a copy of the cameras section (not a mapping)")
    fmt = data.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or not 1 <= fmt <= COPY_FORMAT:
        raise CopyError(f"format {fmt!r} is not one this ctsys reads (1..{COPY_FORMAT})")
    section, written, revision = data.get("cameras"), data.get("written"), data.get("revision")
    if not isinstance(section, dict):
        raise CopyError("it has no cameras section")
    if not isinstance(written, str):
        raise CopyError("it does not say when it was written")
    if revision is not None and (not isinstance(revision, int) or isinstance(revision, bool)):
        raise CopyError(f"revision {revision!r} is not a number")
    volumes = data.get("volumes") or []
    if not isinstance(volumes, list) or not all(
        isinstance(v, dict) and isinstance(v.get("uuid"), str) and isinstance(v.get("mountpoint"), str) for v in volumes
    ):
        raise CopyError("its data volume list is damaged")
    try:
        validate({"cameras": section})
    except ValidationError as exc:
        raise CopyError(_reasons(exc)) from None
    return CamerasCopy(
        path=path,
        written=written,
        revision=revision,
        appliance=str(data.get("appliance") or "?"),
        mountpoints={v["uuid"].lower(): v["mountpoint"] for v in volumes},
        section=section,
    )


def _reasons(exc: ValidationError) -> str:
    return "; ".join(f"{p}: {r}" if p else r for p, r in exc.problems)


@dataclass
class VolumeContents:
    """What adoption needs to know of a data volume, read while scanning (before it is mounted)."""

    cameras_copy: str | None = field(default=None, repr=False)  # the copy's text: it holds credentials
    copy_error: str | None = None  # the copy exists but could not be read
    index_mtime: float | None = None  # when the replicated recordings index there was written
    segments_in: str | None = None  # "recordings", "" (the volume's top) or None: no segment


def _dirs(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted((e for e in entries if e.is_dir(follow_symlinks=False)), key=lambda e: e.name)
    except OSError:
        return []


def _holds_segment(directory: Path, skip: tuple[str, ...] = ()) -> bool:
    """True at the first file named like a segment in <dir>/<camera>/<day>/ (never walks it all)."""
    for camera in _dirs(str(directory)):
        if camera.name in skip or camera.name.startswith("."):
            continue
        for day in _dirs(camera.path):
            try:
                with os.scandir(day.path) as files:
                    if any(f.is_file() and parse_name(Path(f.name)) is not None for f in files):
                        return True
            except OSError:
                continue
    return False


def look_inside(directory: str | Path, index_name: str) -> VolumeContents:
    root = Path(directory)
    contents = VolumeContents()
    copy = root / INDEX_DIR / CAMERAS_COPY
    try:
        contents.cameras_copy = copy.read_text()
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        contents.copy_error = f"unreadable: {exc}"
    with contextlib.suppress(OSError):
        contents.index_mtime = (root / INDEX_DIR / index_name).stat().st_mtime
    if _holds_segment(root / RECORDINGS_DIR):
        contents.segments_in = RECORDINGS_DIR
    elif _holds_segment(root, skip=(RECORDINGS_DIR, "lost+found")):
        contents.segments_in = ""  # an older system recorded at the volume's top
    return contents


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
            plan.rejected.append(Rejected(copy.path, "after moving its volume paths: " + _reasons(exc)))
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


def reindex_targets(plan: CamerasPlan, doc: Appliance, index_restored: bool) -> list[str]:
    """Recorder volumes whose segments must be indexed from the files.

    Without an index copy, all of them (the recorder's own crash recovery only
    looks at the last two days); with one, only the volumes added for segments
    that the copy cannot know.
    """
    if not plan.changes:
        return []
    if index_restored:
        return [a.name for a in plan.added]
    return [v.name for v in doc.cameras.volumes]


REINDEX_UNIT = "ctsys-storage-reindex.service"


@dataclass
class Reindex:
    volumes: list[str]
    done: bool = False
    background: str | None = None  # the unit doing it once the recorder runs (first boot)
    scanned: int = 0
    indexed: int = 0
    removed: int = 0
    unreadable: list[str] = field(default_factory=list)
    error: str | None = None


def reindex_volumes(doc: Appliance, root: str, names: list[str]) -> Reindex:
    """The recorder's full reindex of the named recorder volumes, into its index (under `root`)."""
    from ctsys.record.daemon import under_root
    from recorder.config import parse
    from recorder.index import Index
    from recorder.reindex import reindex

    result = Reindex(names)
    config = under_root(parse(doc.cameras.model_dump(mode="json", exclude_none=True)), root)
    config = replace(config, volumes={n: v for n, v in config.volumes.items() if n in names})
    try:
        index = Index(config.index_path)
        try:
            report = reindex(index, config)
        finally:
            index.close()
    except (OSError, sqlite3.Error) as exc:
        result.error = f"{config.index_path}: {exc}"
        return result
    result.done, result.scanned, result.removed = True, report.scanned, report.removed
    result.indexed, result.unreadable = report.added + report.updated, report.unreadable
    return result


def reindex_in_background(names: list[str]) -> Reindex:
    """At first boot: `ctsys record reindex` in a transient unit that starts after the recorder.

    A full reindex reads every segment: hours on a full disk, past the adopt
    unit's start timeout, and the cameras must not wait for it to record.
    """
    from ctsys.errors import CtsysError
    from ctsys.run import run

    result = Reindex(names, background=REINDEX_UNIT)
    argv = ["systemd-run", "--no-block", "--collect", f"--unit={REINDEX_UNIT}"]
    argv += ["--description=Index the recordings of adopted data volumes from their files"]
    argv += ["--property=After=ct-recorder.service", "--property=Nice=10", "--property=IOSchedulingClass=idle"]
    try:
        run([*argv, "ctsys", "record", "reindex"], timeout=60)
    except CtsysError as exc:
        result.error = str(exc)
    return result
