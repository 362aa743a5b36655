"""`ctsys snmp` commands: bad input changes nothing; secrets are masked; the MIB follows the PEN."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ctsys.cli import cli

pytestmark = pytest.mark.unit


def invoke(tmp_path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["--root", str(tmp_path), *args])


def test_a_community_with_a_space_is_refused_and_nothing_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = invoke(tmp_path, "snmp", "community", "add", "my community", "--source", "10.0.0.0/24")
    assert result.exit_code == 1
    assert "snmp.communities[0].name: a community string cannot contain spaces" in result.output
    assert not (tmp_path / "etc/ctsys/appliance.yaml").exists()


def test_a_short_v3_passphrase_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = invoke(
        tmp_path, "snmp", "user", "add", "nms", "--auth-passphrase", "short", "--priv-passphrase", "long-enough"
    )
    assert result.exit_code == 1
    assert "snmp.users[0].auth_passphrase: a passphrase needs at least 8 characters (got 5)" in result.output


def test_show_masks_secrets_unless_asked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert invoke(tmp_path, "snmp", "community", "add", "n0c-read", "--source", "10.0.0.0/24").exit_code == 0
    assert invoke(tmp_path, "snmp", "user", "add", "nms", "--auth-passphrase", "auth-pass-123",
                  "--priv-passphrase", "priv-pass-456").exit_code == 0  # fmt: skip
    assert invoke(tmp_path, "snmp", "manager", "add", "192.0.2.9", "--user", "nms").exit_code == 0
    shown = json.loads(invoke(tmp_path, "snmp", "show", "--json").output)
    assert shown["communities"][0]["name"] == "n0***"
    assert shown["users"][0]["auth_passphrase"] == "***"
    assert shown["managers"][0] == {"host": "192.0.2.9", "port": 162, "version": "3", "community": None, "user": "nms"}
    clear = json.loads(invoke(tmp_path, "snmp", "show", "--json", "--secrets").output)
    assert clear["users"][0]["priv_passphrase"] == "priv-pass-456"


def test_removing_a_user_a_manager_needs_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    invoke(
        tmp_path,
        "snmp",
        "user",
        "add",
        "nms",
        "--auth-passphrase",
        "auth-pass-123",
        "--priv-passphrase",
        "priv-pass-456",
    )
    invoke(tmp_path, "snmp", "manager", "add", "192.0.2.9", "--user", "nms")
    result = invoke(tmp_path, "snmp", "user", "remove", "nms")
    assert result.exit_code == 1 and "snmp.managers[0].user: no v3 user 'nms'" in result.output


def test_the_printed_mib_carries_the_configured_enterprise_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert invoke(tmp_path, "snmp", "set", "--enterprise-number", "4242", "--contact", "noc@site").exit_code == 0
    text = invoke(tmp_path, "snmp", "mib").output
    assert "::= { enterprises 4242 }" in text and "enterprises 99999" not in text
    assert text.startswith("CT-SERVER-MIB DEFINITIONS ::= BEGIN")


def test_notify_without_an_alert_explains_itself(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner(env={"CTSYS_ALERT_KIND": None}).invoke(cli, ["--root", str(tmp_path), "snmp", "notify"])
    assert result.exit_code == 1 and "CTSYS_ALERT_KIND is not set" in result.output
