"""`ctsys time` commands change the document, refuse bad input, warn on unresolved names."""

from __future__ import annotations

import json

import pytest
import yaml

pytestmark = pytest.mark.unit


def document(tmp_path) -> dict:  # type: ignore[no-untyped-def]
    return yaml.safe_load((tmp_path / "etc/ctsys/appliance.yaml").read_text())


def test_adding_a_server_that_does_not_resolve_keeps_it_with_a_warning(fake_run, cli_root, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fake_run.on("getent", "ahosts", returncode=2)
    result = cli_root("time", "server", "add", "ntp.site.example", "--prefer")
    assert result.exit_code == 0
    assert "warning: ntp.site.example does not resolve now" in result.output
    hosts = [s["host"] for s in document(tmp_path)["time"]["servers"]]
    assert hosts == ["pool.ntp.org", "ntp.site.example"]


def test_adding_an_address_needs_no_resolution(fake_run, cli_root) -> None:  # type: ignore[no-untyped-def]
    result = cli_root("time", "server", "add", "192.0.2.1", "--no-apply")
    assert result.exit_code == 0 and "warning" not in result.output
    assert not [c for c in fake_run.commands() if c.startswith("getent")]


def test_an_unknown_zone_changes_nothing(cli_root, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from ctsys.cli import cli

    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "time", "zone", "Mars/Olympus"])
    assert result.exit_code == 1
    assert "system.timezone: 'Mars/Olympus' is not a time zone" in result.output
    assert not (tmp_path / "etc/ctsys/appliance.yaml").exists()


def test_setting_the_zone_edits_the_system_section(cli_root, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli_root("time", "zone", "America/New_York").exit_code == 0
    assert document(tmp_path)["system"]["timezone"] == "America/New_York"
    assert json.loads(cli_root("time", "zone", "--json").output) == {"timezone": "America/New_York"}


def test_every_tz_database_zone_is_listed(cli_root) -> None:  # type: ignore[no-untyped-def]
    zones = json.loads(cli_root("time", "zone", "--list", "--json").output)
    assert "Europe/Paris" in zones and "Australia/Lord_Howe" in zones and len(zones) > 300


def test_schedule_and_serve_commands_write_their_fields(cli_root, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert cli_root("time", "schedule", "--at", "03:00", "--at", "15:00").exit_code == 0
    assert cli_root("time", "serve", "on", "--allow", "10.20.0.0/16", "--stratum", "9").exit_code == 0
    t = document(tmp_path)["time"]
    assert t["sync"] == {"mode": "scheduled", "times": ["03:00", "15:00"]}
    assert t["serve"]["enabled"] and t["serve"]["allow"] == ["10.20.0.0/16"] and t["serve"]["local_stratum"] == 9
    shown = json.loads(cli_root("time", "show", "--json").output)
    assert shown["served_subnets"] == ["10.20.0.0/16"]


def test_an_invalid_subnet_for_the_server_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from ctsys.cli import cli

    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "time", "serve", "on", "--allow", "10.1.2.0/33"])
    assert result.exit_code == 1
    assert "time.serve.allow[0]: '10.1.2.0/33' is not an IP subnet" in result.output


def test_removing_an_unknown_server_names_the_known_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from ctsys.cli import cli

    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "time", "server", "remove", "nope.example"])
    assert result.exit_code == 1
    assert "no source 'nope.example' (sources: pool.ntp.org)" in result.output
