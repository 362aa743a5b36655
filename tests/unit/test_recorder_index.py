from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from recorder.index import Index


def add(index: Index, path: str, start: float, end: float, complete: bool = True) -> int:
    return index.upsert_segment(
        camera="c",
        stream="main",
        kind="continuous",
        volume="v",
        path=path,
        start=start,
        end=end,
        size=10,
        keyframes=[0.0, 1.0],
        complete=complete,
    )


@pytest.mark.unit
def test_the_index_is_wal_and_a_path_is_one_row(tmp_path: Path) -> None:
    index = Index(tmp_path / "i.sqlite")
    first = add(index, "/v/a.mkv", 0, 1, complete=False)
    again = add(index, "/v/a.mkv", 0, 5)
    assert first == again
    rows = index.segments()
    assert len(rows) == 1 and rows[0].end == 5 and rows[0].complete
    assert rows[0].keyframes == [0.0, 1.0]
    mode = sqlite3.connect(tmp_path / "i.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


@pytest.mark.unit
def test_range_queries_return_overlapping_segments_oldest_first(tmp_path: Path) -> None:
    index = Index(tmp_path / "i.sqlite")
    for i in range(5):
        add(index, f"/v/{i}.mkv", i * 10, i * 10 + 10)
    assert [s.start for s in index.segments(start=15, end=31)] == [10, 20, 30]
    assert index.incomplete() == []


@pytest.mark.unit
def test_outages_and_protection(tmp_path: Path) -> None:
    index = Index(tmp_path / "i.sqlite")
    outage = index.outage_start("c", "main", "connect failed", when=100)
    index.close_open_outages(150)
    index.outage_end(outage, 200)  # already closed: stays at 150
    assert index.outages()[0].end == 150
    range_id = index.protect("c", 10, 20, "incident")
    assert index.protected()[0].covers("c", 15, 25)
    assert not index.protected()[0].covers("other", 15, 25)
    assert index.unprotect(range_id) and not index.unprotect(range_id)
    with pytest.raises(ValueError):
        index.protect("c", 20, 10)
