"""The copy of the `cameras` section kept on every data volume: its format, writing and reading.

`ctsys storage replicate` writes the document's `cameras` section to
.ctdata/index/cameras.yaml on every mounted data volume, with the revision it
came from and where that system mounted each data volume (by UUID), so that
`ctsys storage adopt` can put it back after a reinstall (ctsys/storage/cameras_plan.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from ctsys.config.document import Appliance, validate
from ctsys.errors import ValidationError

if TYPE_CHECKING:
    from ctsys.config.sections.storage import DataVolume
    from ctsys.config.store import Revision

CAMERAS_COPY = "cameras.yaml"
COPY_FORMAT = 1
_HEADER = (
    "# The `cameras` section of a CT-Server document, copied by `ctsys storage replicate`;\n"
    "# `ctsys storage adopt` restores it after a reinstall. It holds the cameras' credentials.\n"
)


def has_recorder_config(doc: Appliance) -> bool:
    """True when the document says where or what to record (never overwritten by a copy)."""
    return bool(doc.cameras.volumes or doc.cameras.cameras)


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
        raise CopyError(reasons(exc)) from None
    return CamerasCopy(
        path=path,
        written=written,
        revision=revision,
        appliance=str(data.get("appliance") or "?"),
        mountpoints={v["uuid"].lower(): v["mountpoint"] for v in volumes},
        section=section,
    )


def reasons(exc: ValidationError) -> str:
    return "; ".join(f"{p}: {r}" if p else r for p, r in exc.problems)
