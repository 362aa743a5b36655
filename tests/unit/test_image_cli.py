"""The `ctimage` command line: every command has help, summary prints the
frozen configuration, and its JSON feeds `build --config-json` unchanged."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from image.cli import main
from image.config import SETTINGS, Config

pytestmark = pytest.mark.unit

FIXED = ["--source-date-epoch", "1700000000", "--image-version", "9.9.9"]


@pytest.mark.parametrize("command", [[], ["summary"], ["build"], ["boot"], ["provision"],
                                     ["settings"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_build_help_offers_every_setting() -> None:
    result = CliRunner().invoke(main, ["build", "--help"])
    for setting in SETTINGS:
        assert setting.option in result.output, setting.option


def test_summary_json_round_trips_into_a_config() -> None:
    result = CliRunner().invoke(main, ["summary", "--json", "--compression", "xz",
                                       "--test-access", *FIXED], env={})
    assert result.exit_code == 0, result.output
    config = Config.from_json(result.output)
    assert config.compression == "xz" and config.test_access is True
    assert Config.from_json(config.to_json()) == config


def test_summary_names_the_image_and_its_roles() -> None:
    result = CliRunner().invoke(main, ["summary", "--flavour", "desktop", *FIXED])
    assert result.exit_code == 0, result.output
    assert "ct-server-debian-12-desktop" in result.output and "desktop" in result.output


def test_bad_setting_is_refused_with_its_name() -> None:
    result = CliRunner().invoke(main, ["summary", "--compression", "lzma"])
    assert result.exit_code != 0
    assert "compression" in result.output and "lzma" in result.output


def test_unknown_profile_is_a_clear_error_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["summary", "--profile", "gentoo"])
    assert result.exit_code == 2
    assert "no profile 'gentoo'" in result.output and "debian-12" in result.output


def test_settings_lists_the_table_as_json() -> None:
    result = CliRunner().invoke(main, ["settings"])
    names = [s["name"] for s in json.loads(result.output)]
    assert names == [s.name for s in SETTINGS]


def test_the_one_time_password_is_read_from_the_console() -> None:
    from image.qemu import one_time_password

    console = (
        "[  OK  ] Started ssh.service\r\n"
        "CT-Server: one-time password for admin: 4mdz-ekww-2qtd-ft7y\r\n"
        "ct-server login: \r\n"
        # a later boot of the same log (the last one counts)
        "One-time password for operator: abcd-efgh-jkmn-pqrs\r\n"
    )
    assert one_time_password(console) == ("operator", "abcd-efgh-jkmn-pqrs")
    assert one_time_password(console.split("ct-server login")[0]) == ("admin", "4mdz-ekww-2qtd-ft7y")
    assert one_time_password("password for admin: ct-server\n") is None
