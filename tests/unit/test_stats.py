"""Statistics: samples stored, kept a year, read back with link rates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctsys import stats
from ctsys.cli import cli

pytestmark = pytest.mark.unit
T0 = 1_764_000_000


def sample(t: int, rx: int, tx: int) -> stats.Sample:
    return stats.Sample(t, 0.5, 12.0, 40.0, {"/srv/ctdata/1": 55.5}, {"eth0": [rx, tx]})


def test_samples_are_read_back_in_order_with_link_rates(tmp_path: Path) -> None:
    stats.store(str(tmp_path), sample(T0 + 300, 1_000_000 + 3_750_000, 0))
    stats.store(str(tmp_path), sample(T0, 1_000_000, 0))
    got = stats.read(str(tmp_path), T0, T0 + 300)
    assert [s.time for s in got] == [T0, T0 + 300]
    # 3,750,000 bytes in 300 s = 100,000 bit/s
    assert stats.link_rates(got) == [{}, {"eth0": [100_000.0, 0.0]}]


def test_counter_reset_after_a_reboot_gives_no_negative_rate(tmp_path: Path) -> None:
    rates = stats.link_rates([sample(T0, 5_000, 5_000), sample(T0 + 60, 100, 100)])
    assert rates[1]["eth0"] == [0.0, 0.0]


def test_samples_older_than_a_year_are_purged(tmp_path: Path) -> None:
    stats.store(str(tmp_path), sample(T0, 0, 0))
    stats.store(str(tmp_path), sample(T0 + 367 * 86400, 0, 0))
    assert [s.time for s in stats.read(str(tmp_path), 0, 2**40)] == [T0 + 367 * 86400]


def test_show_json_and_csv(tmp_path: Path) -> None:
    stats.store(str(tmp_path), sample(T0, 0, 0))
    stats.store(str(tmp_path), sample(T0 + 60, 7_500, 750))
    runner = CliRunner()
    base = ["--root", str(tmp_path), "stats", "show", "--since", "2025-11-24", "--until", "2025-11-25T23:59:59"]
    rows = json.loads(runner.invoke(cli, [*base, "--json"]).output)
    assert [r["links_bps"] for r in rows] == [{}, {"eth0": [1000.0, 100.0]}]
    assert rows[0]["volumes"] == {"/srv/ctdata/1": 55.5}
    csv_lines = runner.invoke(cli, [*base, "--csv"]).output.splitlines()
    assert csv_lines[0] == "time,load1,cpu_percent,memory_percent,/srv/ctdata/1 used %,eth0 rx bit/s,eth0 tx bit/s"
    assert csv_lines[2].endswith(",55.5,1000,100")


def test_bad_time_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "stats", "show", "--since", "yesterday"])
    assert result.exit_code == 1 and "'yesterday' is not a UTC time" in result.output


def test_collect_measures_this_machine(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "stats", "collect"])
    assert result.exit_code == 0, result.output
    [got] = stats.read(str(tmp_path), 0, 2**40)
    assert 0 <= got.memory_percent <= 100 and "/" in got.volumes
