"""Indexing the recordings of adopted data volumes from their files (the recorder's full reindex)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctsys.config.document import Appliance
    from ctsys.storage.cameras_plan import CamerasPlan


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
    from recorder.config import from_section
    from recorder.index import Index
    from recorder.reindex import reindex

    result = Reindex(names)
    config = under_root(from_section(doc.cameras), root)
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
