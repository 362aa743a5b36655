"""Where the recorder writes, in terms of data volumes: moving cameras off a volume.

The recorder's volumes and cameras live in the document's `cameras` section; a
recorder volume belongs to a data volume when its path is the data volume's
mount point or below it (/srv/ctdata/N/recordings).
"""

from __future__ import annotations

from dataclasses import dataclass

from ctsys.config.document import Appliance, validate
from ctsys.errors import CtsysError


def _under(path: str, mountpoint: str) -> bool:
    path, mountpoint = path.rstrip("/"), mountpoint.rstrip("/")
    return path == mountpoint or path.startswith(mountpoint + "/")


@dataclass(frozen=True)
class Move:
    cameras: list[str]
    source_volumes: list[str]
    target_volume: str | None


def plan_move(doc: Appliance, mountpoint: str, target_mountpoint: str | None = None) -> Move:
    """Which cameras record onto `mountpoint`, and which recorder volume takes them."""
    volumes = doc.cameras.volumes
    leaving = [v.name for v in volumes if _under(v.path, mountpoint)]
    cameras = [c.name for c in doc.cameras.cameras if c.volume in leaving]
    if not cameras:
        return Move([], leaving, None)
    candidates = [v for v in volumes if v.name not in leaving]
    if target_mountpoint is not None:
        candidates = [v for v in candidates if _under(v.path, target_mountpoint)]
    if not candidates:
        where = f" on {target_mountpoint}" if target_mountpoint else ""
        raise CtsysError(
            f"cameras {', '.join(cameras)} record on {mountpoint} and no other recorder volume{where} can take them",
            hint="add a recorder volume on another data volume (cameras.volumes), or stop the recorder",
        )
    return Move(cameras, leaving, candidates[0].name)


def apply_move(doc: Appliance, move: Move) -> Appliance:
    data = doc.model_dump(mode="json")
    for camera in data["cameras"]["cameras"]:
        if camera["name"] in move.cameras:
            camera["volume"] = move.target_volume
    return validate(data)
