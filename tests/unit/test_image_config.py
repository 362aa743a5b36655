"""ctimage's settings table, frozen config, profiles and roles as data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from image import REPO_ROOT
from image.config import SETTINGS, Config, make_config, summary_lines
from image.errors import ImageError
from image.profile import available_profiles, load_profile

pytestmark = pytest.mark.unit

ROLES = REPO_ROOT / "roles"
FIXED = {"source_date_epoch": 1700000000, "image_version": "1.2.3+test"}


def test_config_fields_are_exactly_the_settings_table() -> None:
    assert [f.name for f in dataclasses.fields(Config)] == [s.name for s in SETTINGS]


def test_config_survives_a_json_round_trip() -> None:
    config = make_config({**FIXED, "extra_packages": ("htop", "vim"), "test_access": True,
                          "cache_dir": Path("/tmp/c")}, environ={})
    again = Config.from_json(config.to_json())
    assert again == config
    assert isinstance(again.cache_dir, Path) and isinstance(again.extra_packages, tuple)


def test_defaults_come_from_the_table() -> None:
    config = make_config(FIXED, environ={})
    for setting in SETTINGS:
        if setting.name not in FIXED:
            assert getattr(config, setting.name) == setting.default, setting.name


def test_environment_overrides_defaults_and_options_override_environment() -> None:
    env = {"CTIMAGE_COMPRESSION": "xz", "CTIMAGE_FLAVOUR": "desktop"}
    assert make_config(FIXED, environ=env).compression == "xz"
    assert make_config({**FIXED, "flavour": "server"}, environ=env).flavour == "server"


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ImageError, match="CTIMAGE_COMPRESSION"):
        make_config(FIXED, environ={"CTIMAGE_COMPRESSION": "lzma"})


def test_unknown_flavour_lists_the_known_ones() -> None:
    with pytest.raises(ImageError) as info:
        make_config({**FIXED, "flavour": "kiosk"}, environ={})
    assert "server" in str(info.value) and "desktop" in str(info.value)


def test_source_date_epoch_comes_from_the_environment() -> None:
    config = make_config({"image_version": "x"}, environ={"SOURCE_DATE_EPOCH": "1234"})
    assert config.source_date_epoch == 1234


def test_summary_shows_every_setting_and_the_resolved_roles() -> None:
    text = "\n".join(summary_lines(make_config(FIXED, environ={})))
    for setting in SETTINGS:
        assert setting.name in text
    assert "roles" in text and "hardening" in text


def test_desktop_flavour_adds_xfce_and_the_desktop_role() -> None:
    profile = load_profile("debian-12")
    server = make_config(FIXED, environ={})
    desktop = make_config({**FIXED, "flavour": "desktop"}, environ={})
    assert "xfce4" in desktop.packages(profile) and "xfce4" not in server.packages(profile)
    assert "desktop" in desktop.roles(profile) and "desktop" not in server.roles(profile)


@pytest.mark.parametrize("name", ["debian-12", "ubuntu-22.04"])
def test_profiles_load_and_name_only_existing_roles(name: str) -> None:
    profile = load_profile(name)
    assert profile.mirror.startswith("http")
    for flavour in profile.flavours.values():
        for role in flavour.roles:
            assert (ROLES / role / "tasks" / "main.yml").is_file(), f"{name}: no role {role}"


def test_both_profiles_are_available() -> None:
    assert {"debian-12", "ubuntu-22.04"} <= set(available_profiles())


def test_apt_sources_use_the_chosen_mirror_and_security() -> None:
    profile = load_profile("debian-12")
    sources = profile.apt_sources("http://mirror.example/debian")
    assert sources[0] == "deb http://mirror.example/debian bookworm main"
    assert any("bookworm-security" in s for s in sources)


ALL_ROLES = sorted(p.name for p in ROLES.iterdir() if (p / "tasks").is_dir())


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_variables_are_prefixed_and_documented(role: str) -> None:
    path = ROLES / role / "defaults" / "main.yml"
    text = path.read_text()
    defaults = yaml.safe_load(text) or {}
    for name in defaults:
        assert name.startswith(f"{role}__"), f"{path}: {name} lacks the {role}__ prefix"
        # a comment on the line just above documents each default
        before = text.split(f"\n{name}:")[0].splitlines()
        assert before[-1].startswith("#"), f"{path}: {name} is not documented"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_templates_mirror_their_target_paths(role: str) -> None:
    for template in (ROLES / role / "templates").rglob("*.j2"):
        relative = template.relative_to(ROLES / role / "templates")
        assert relative.parts[0] in ("etc", "usr", "var", "lib"), relative


def test_diagnostics_tools_are_in_the_profile_bootstrap() -> None:
    tools = yaml.safe_load((ROLES / "diagnostics/defaults/main.yml").read_text())
    packages = set(load_profile("debian-12").packages)
    assert set(tools["diagnostics__tools"]) <= packages
