"""The recordings index: SQLite in WAL mode, one row per segment.

Readers (`ctsys record ...`, export) and the daemon's writer threads share the
file; WAL lets them read while the daemon writes. The daemon uses one
connection guarded by a lock: index writes are rare (one per segment per
flush) next to packet muxing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    volume TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    start REAL NOT NULL,
    end REAL NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    keyframes TEXT NOT NULL DEFAULT '[]',
    complete INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS segments_camera_start ON segments (camera, start);
CREATE INDEX IF NOT EXISTS segments_volume_start ON segments (volume, start);
CREATE TABLE IF NOT EXISTS protected (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS outages (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    stream TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL,
    reason TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Segment:
    id: int
    camera: str
    stream: str
    kind: str
    volume: str
    path: str
    start: float
    end: float
    bytes: int
    keyframes: list[float]
    complete: bool

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Protected:
    id: int
    camera: str
    start: float
    end: float
    note: str

    def covers(self, camera: str, start: float, end: float) -> bool:
        return camera == self.camera and start < self.end and end > self.start


@dataclass(frozen=True)
class Outage:
    id: int
    camera: str
    stream: str
    start: float
    end: float | None
    reason: str


def _segment(row: sqlite3.Row) -> Segment:
    return Segment(
        row["id"],
        row["camera"],
        row["stream"],
        row["kind"],
        row["volume"],
        row["path"],
        row["start"],
        row["end"],
        row["bytes"],
        json.loads(row["keyframes"]),
        bool(row["complete"]),
    )


class Index:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill; a power cut may lose the last
        # transactions, which `reindex` recovers from the files.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # segments -------------------------------------------------------------

    def upsert_segment(
        self,
        *,
        camera: str,
        stream: str,
        kind: str,
        volume: str,
        path: str,
        start: float,
        end: float,
        size: int,
        keyframes: list[float],
        complete: bool,
    ) -> int:
        """Insert or update the row of `path` (the path is the identity of a segment)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO segments (camera, stream, kind, volume, path, start, end, bytes,"
                " keyframes, complete) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(path) DO UPDATE SET end=excluded.end, bytes=excluded.bytes,"
                " keyframes=excluded.keyframes, complete=excluded.complete,"
                " start=excluded.start",
                (
                    camera,
                    stream,
                    kind,
                    volume,
                    path,
                    start,
                    end,
                    size,
                    json.dumps([round(k, 3) for k in keyframes]),
                    int(complete),
                ),
            )
            row = db.execute("SELECT id FROM segments WHERE path=?", (path,)).fetchone()
            return int(row[0])

    def update_progress(
        self, segment_id: int, end: float, size: int, keyframes: list[float], complete: bool = False
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE segments SET end=?, bytes=?, keyframes=?, complete=? WHERE id=?",
                (
                    end,
                    size,
                    json.dumps([round(k, 3) for k in keyframes]),
                    int(complete),
                    segment_id,
                ),
            )

    def segments(
        self,
        camera: str | None = None,
        start: float | None = None,
        end: float | None = None,
        kind: str | None = None,
        stream: str | None = None,
        volume: str | None = None,
    ) -> list[Segment]:
        """Segments overlapping [start, end), oldest first."""
        where: list[str] = []
        args: list[object] = []
        for column, value in (
            ("camera", camera),
            ("kind", kind),
            ("stream", stream),
            ("volume", volume),
        ):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if start is not None:
            where.append("end>?")
            args.append(start)
        if end is not None:
            where.append("start<?")
            args.append(end)
        sql = "SELECT * FROM segments"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start, id", args).fetchall()
        return [_segment(r) for r in rows]

    def incomplete(self) -> list[Segment]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM segments WHERE complete=0").fetchall()
        return [_segment(r) for r in rows]

    def delete_segment(self, segment_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM segments WHERE id=?", (segment_id,))

    def paths(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT path FROM segments")}

    # protected ranges -----------------------------------------------------

    def protect(self, camera: str, start: float, end: float, note: str = "") -> int:
        if end <= start:
            raise ValueError("the end of a protected range must be after its start")
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO protected (camera, start, end, note) VALUES (?,?,?,?)",
                (camera, start, end, note),
            )
            return int(cur.lastrowid or 0)

    def unprotect(self, range_id: int) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM protected WHERE id=?", (range_id,)).rowcount > 0

    def protected(self) -> list[Protected]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM protected ORDER BY camera, start").fetchall()
        return [Protected(r["id"], r["camera"], r["start"], r["end"], r["note"]) for r in rows]

    # disconnection journal ------------------------------------------------

    def outage_start(self, camera: str, stream: str, reason: str, when: float | None = None) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO outages (camera, stream, start, reason) VALUES (?,?,?,?)",
                (camera, stream, time.time() if when is None else when, reason),
            )
            return int(cur.lastrowid or 0)

    def outage_end(self, outage_id: int, when: float | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outages SET end=? WHERE id=? AND end IS NULL",
                (time.time() if when is None else when, outage_id),
            )

    def close_open_outages(self, when: float) -> None:
        """Outages left open by a killed daemon end when it comes back."""
        with self._tx() as db:
            db.execute("UPDATE outages SET end=? WHERE end IS NULL", (when,))

    def outages(self, camera: str | None = None, limit: int = 100) -> list[Outage]:
        sql, args = "SELECT * FROM outages", []
        if camera:
            sql += " WHERE camera=?"
            args.append(camera)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start DESC LIMIT ?", [*args, limit]).fetchall()
        return [Outage(r["id"], r["camera"], r["stream"], r["start"], r["end"], r["reason"]) for r in rows]
