"""Statistics: periodic samples of the appliance's load, memory, disks and links, kept a year.

`ctsys stats collect` (a systemd timer, every 5 minutes) appends one sample to
an SQLite database; `ctsys stats show` reads a period back as a table, JSON or CSV.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

DATABASE = "var/lib/ctsys/stats.sqlite"
RETENTION_DAYS = 366

SCHEMA = """
CREATE TABLE IF NOT EXISTS sample (
    time INTEGER PRIMARY KEY,      -- UNIX seconds, UTC
    load1 REAL NOT NULL,
    cpu_percent REAL NOT NULL,
    memory_percent REAL NOT NULL,
    volumes TEXT NOT NULL,         -- JSON {mountpoint: used percent}
    links TEXT NOT NULL            -- JSON {name: [rx_bytes, tx_bytes]} (counters)
);
"""


@dataclass(frozen=True)
class Sample:
    time: int
    load1: float
    cpu_percent: float
    memory_percent: float
    volumes: dict[str, float]
    links: dict[str, list[int]]


def connect(root: str) -> sqlite3.Connection:
    path = Path(root) / DATABASE
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    return db


def measure() -> Sample:
    import os

    import psutil

    from ctsys.status import volumes

    counters = psutil.net_io_counters(pernic=True)
    return Sample(
        time=int(time.time()),
        load1=os.getloadavg()[0],
        cpu_percent=psutil.cpu_percent(interval=0.5),
        memory_percent=psutil.virtual_memory().percent,
        volumes={v.mountpoint: v.used_percent for v in volumes()},
        links={n: [c.bytes_recv, c.bytes_sent] for n, c in counters.items() if n != "lo"},
    )


def store(root: str, sample: Sample) -> None:
    with connect(root) as db:
        db.execute(
            "INSERT OR REPLACE INTO sample VALUES (?, ?, ?, ?, ?, ?)",
            (sample.time, sample.load1, sample.cpu_percent, sample.memory_percent,
             json.dumps(sample.volumes, sort_keys=True), json.dumps(sample.links, sort_keys=True)),
        )
        db.execute("DELETE FROM sample WHERE time < ?", (sample.time - RETENTION_DAYS * 86400,))


def read(root: str, since: int, until: int) -> list[Sample]:
    if not (Path(root) / DATABASE).exists():
        return []
    with connect(root) as db:
        rows = db.execute(
            "SELECT time, load1, cpu_percent, memory_percent, volumes, links FROM sample"
            " WHERE time BETWEEN ? AND ? ORDER BY time",
            (since, until),
        ).fetchall()
    return [Sample(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5])) for r in rows]


def link_rates(samples: list[Sample]) -> list[dict[str, list[float]]]:
    """Per link, bits per second received and sent between consecutive samples."""
    rates: list[dict[str, list[float]]] = [{}]
    for prev, cur in itertools.pairwise(samples):
        span = max(cur.time - prev.time, 1)
        rates.append(
            {
                name: [max(cur.links[name][i] - prev.links[name][i], 0) * 8 / span for i in (0, 1)]
                for name in cur.links
                if name in prev.links
            }
        )
    return rates[: len(samples)]


def to_csv(samples: list[Sample]) -> str:
    import csv
    import io

    rates = link_rates(samples)
    vols = sorted({v for s in samples for v in s.volumes})
    links = sorted({n for s in samples for n in s.links})
    buf = io.StringIO()
    writer = csv.writer(buf)
    header = ["time", "load1", "cpu_percent", "memory_percent"]
    header += [f"{v} used %" for v in vols] + [f"{n} {d} bit/s" for n in links for d in ("rx", "tx")]
    writer.writerow(header)
    for sample, rate in zip(samples, rates, strict=True):
        row: list[object] = [iso(sample.time), sample.load1, sample.cpu_percent, sample.memory_percent]
        row += [sample.volumes.get(v, "") for v in vols]
        row += [int(rate.get(n, [0.0, 0.0])[i]) for n in links for i in (0, 1)]
        writer.writerow(row)
    return buf.getvalue()


def iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
