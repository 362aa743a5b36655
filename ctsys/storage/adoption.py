"""`ctsys storage adopt` as a function: take back the data volumes after a reinstall, with what they hold.

The steps (docs/storage.md, "Re-adoption after a reinstall"): find every
filesystem with a ctdata marker (ctsys/storage/adopt.py), add it to the
document and mount it; restore the newest copy of the recordings index when
the system has none; restore the cameras section, or give segments a recorder
volume of their own (ctsys/storage/cameras_plan.py); index the recordings from
their files (ctsys/storage/reindex.py). A dry run reads the same and changes
nothing. The command (ctsys/storage/cli_volumes.py) only prints the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ctsys.output import Progress, printed_to, quiet
from ctsys.storage.adopt import STAMP, Adopted, merge, restore_index, scan, start_degraded, wait_for_arrays
from ctsys.storage.cameras_plan import CamerasPlan, plan_cameras, volumes_of
from ctsys.storage.changes import change_storage, load
from ctsys.storage.marker import INDEX_DIR
from ctsys.storage.reindex import Reindex, reindex_in_background, reindex_targets, reindex_volumes
from ctsys.storage.volume_contents import look_inside

if TYPE_CHECKING:
    from ctsys.cli import Obj


@dataclass
class Adoption:
    """What adoption did, or would do (dry_run). The JSON of `storage adopt` is these fields."""

    adopted: list[Adopted]
    index_restored_from: str | None
    cameras: CamerasPlan
    reindex: Reindex | None
    dry_run: bool
    degraded: list[str] = field(default_factory=list)  # md arrays started degraded first (not in the JSON)


def adopt(
    obj: Obj,
    *,
    dry_run: bool = False,
    first_boot: bool = False,
    include_loop: bool = False,
    only: tuple[str, ...] = (),
    progress: Progress = quiet,
) -> Adoption:
    """Adopt every data volume found (on the devices in `only`, if given); see the module's docstring.

    `first_boot`: wait for md arrays, hand a long reindex to a unit that runs
    after the recorder, and leave the stamp that keeps the unit from running again.
    """
    from ctsys.commands import run_change
    from ctsys.storage.mounts import mount_volume, systemd_running

    def rooted(path: str) -> Path:
        return Path(obj.root) / path.lstrip("/")

    if first_boot:
        wait_for_arrays()
    degraded = start_degraded() if not dry_run and obj.live else []
    for name in degraded:
        progress(f"/dev/{name}: RAID array started degraded (members missing): `ctsys raid status`", err=True)
    doc = load(obj)
    index_name = Path(doc.storage.replication.database).name
    found = scan(include_loop=include_loop, only=only, index_name=index_name)
    new, adopted = merge(doc, found)
    database = rooted(new.storage.replication.database)
    restored: str | None = None
    reindex: Reindex | None = None
    if dry_run or not found:
        volumes = volumes_of(adopted, found)
        copies = [v for v in volumes if v.contents.index_mtime is not None]
        if copies and not database.exists():
            newest = max(copies, key=lambda v: v.contents.index_mtime or 0.0)
            restored = str(rooted(newest.mountpoint) / INDEX_DIR / index_name)
        planned, plan = plan_cameras(new, volumes)
        targets = reindex_targets(plan, planned or new, restored is not None)
        reindex = Reindex(targets) if targets else None
    else:
        # What the change service prints goes to `progress` (stderr under --json).
        with printed_to(progress):
            change_storage(
                obj,
                "storage.adopt",
                lambda current: merge(current, found)[0],
                details={"volumes": ",".join(str(a.volume_id) for a in adopted)},
            )
        for volume in new.storage.volumes:
            if volume.enabled and any(a.volume_id == volume.id for a in adopted):
                mount_volume(volume, obj.root)
                progress(f"{volume.label} mounted at {volume.mountpoint}")
        # The scan looked without replaying journals: read again what the mounted volumes hold.
        mounted = {a.uuid: look_inside(rooted(f"/srv/ctdata/{a.volume_id}"), index_name) for a in adopted}
        for f in found:
            f.contents = mounted.get(f.uuid, f.contents)
        source = restore_index(database, [str(rooted(v.mountpoint)) for v in new.storage.volumes])
        restored = str(source) if source else None
        volumes = volumes_of(adopted, found)
        _, plan = plan_cameras(load(obj), volumes)
        if plan.changes:
            with printed_to(progress):
                run_change(
                    obj,
                    "storage.adopt.cameras",
                    lambda current: plan_cameras(current, volumes)[0] or current,
                    ("recorder",),
                    summary=plan.summary(),
                )
            current = load(obj)
            targets = reindex_targets(plan, current, source is not None)
            if targets and first_boot and obj.live and systemd_running():
                reindex = reindex_in_background(targets)
            elif targets:
                reindex = reindex_volumes(current, obj.root, targets)
    if first_boot and not dry_run:
        stamp = Path(obj.root) / STAMP
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    return Adoption(adopted, restored, plan, reindex, dry_run, degraded)
