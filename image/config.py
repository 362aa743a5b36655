"""The frozen build configuration, filled from one table of settings.

`SETTINGS` is the single source: it drives the CLI options of `ctimage build`
and `ctimage summary`, the defaults, the help text, the summary and the JSON
form. `Config` holds the parsed values; it never changes during a build
(mutable state lives in `image.context.Context`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image import REPO_ROOT
from image.errors import CommandFailed, ImageError
from image.profile import Profile, load_profile
from image.run import run
from image.vmformats import FORMATS as VM_FORMATS

BOOT_ENTRIES = ("live", "live-serial", "install", "install-serial", "diagnostics",
                "diagnostics-serial")
COMPRESSIONS = ("zstd", "xz")
# The ISO is always made (VM disks are installed from it); raw is the installed disk
# itself, the rest are the VM formats of image/vmformats.py's table.
VM_OUTPUTS = ("raw", *VM_FORMATS)
OUTPUT_FORMATS = ("iso", *VM_OUTPUTS)


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(x for x in (s.strip() for s in text.replace(",", " ").split()) if x)


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _optional_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
        return text

    return parse


def _choices(*choices: str) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        values = _tuple(text)
        for v in values:
            _choice(*choices)(v)
        return values

    return parse


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    is_flag: bool = False

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "CTIMAGE_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("profile", str, "debian-12", "profile name (image/profiles/*.yaml) or YAML path"),
    Setting("flavour", str, "server", "flavour of the profile: server or desktop"),
    Setting("mirror", str, None, "archive mirror URL (default: the profile's)"),
    Setting("extra_packages", _tuple, (), "more packages for the bootstrap (comma-separated)"),
    Setting("compression", _choice(*COMPRESSIONS), "zstd", "squashfs: zstd (fast, tests) or xz"),
    Setting("outputs", _choices(*OUTPUT_FORMATS), ("iso",),
            f"output formats, comma-separated: iso, and VM images {', '.join(VM_OUTPUTS)}"),
    Setting("cache_dir", Path, Path("/var/cache/ctimage"), "bootstrap and package cache"),
    Setting("output_dir", Path, Path("/var/tmp/ctimage"), "where images and logs are written"),
    Setting("boot_default", _choice(*BOOT_ENTRIES), "live", "default boot menu entry"),
    Setting("boot_timeout", int, 5, "seconds the boot menu waits"),
    Setting("test_access", _bool, False,
            "test build: root autologin on the serial console and a generated SSH key "
            "for the test harness; never for images given to users", is_flag=True),
    Setting("source_date_epoch", _optional_int, None,
            "timestamp for reproducible builds (default: $SOURCE_DATE_EPOCH, "
            "else the last commit's time)"),
    Setting("image_version", str, None, "version shown by the image (default: from git)"),
)


@dataclass(frozen=True)
class Config:
    profile: str
    flavour: str
    mirror: str | None
    extra_packages: tuple[str, ...]
    compression: str
    outputs: tuple[str, ...]
    cache_dir: Path
    output_dir: Path
    boot_default: str
    boot_timeout: int
    test_access: bool
    source_date_epoch: int | None
    image_version: str | None

    # -- derived values (functions of the settings, never stored) --------
    def load_profile(self) -> Profile:
        return load_profile(self.profile)

    def effective_mirror(self, profile: Profile) -> str:
        return self.mirror or profile.mirror

    def packages(self, profile: Profile) -> tuple[str, ...]:
        flavour = profile.flavour(self.flavour)
        test = set(profile.test_packages) if self.test_access else set()
        return tuple(sorted(set(profile.packages) | set(flavour.packages)
                            | set(self.extra_packages) | test))

    def roles(self, profile: Profile) -> tuple[str, ...]:
        return profile.flavour(self.flavour).roles

    @property
    def image_name(self) -> str:
        profile = Path(self.profile).stem
        suffix = "-test" if self.test_access else ""
        return f"ct-server-{profile}-{self.flavour}{suffix}"

    # -- JSON ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[field.name] = value
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            value = data.get(setting.name, setting.default)
            if isinstance(setting.default, Path) or setting.name.endswith("_dir"):
                value = Path(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[setting.name] = value
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls.from_dict(json.loads(text))


def make_config(given: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Fill a Config: given values (already parsed, None = unset) win over the
    CTIMAGE_* environment, which wins over the table's defaults."""
    given = given or {}
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = given.get(setting.name)
        if value is None or (setting.is_flag and value is False and setting.env in environ):
            raw = environ.get(setting.env)
            if raw is not None:
                try:
                    value = setting.parse(raw)
                except ValueError as exc:
                    raise ImageError(f"${setting.env}: {exc}") from exc
        values[setting.name] = setting.default if value is None else value
    if values["source_date_epoch"] is None:
        values["source_date_epoch"] = _default_epoch(environ)
    if values["image_version"] is None:
        values["image_version"] = _default_version()
    config = Config(**values)
    profile = config.load_profile()
    profile.flavour(config.flavour)  # fails early with the list of flavours
    return config


def _default_epoch(environ: Mapping[str, str]) -> int | None:
    if environ.get("SOURCE_DATE_EPOCH", "").strip():
        return int(environ["SOURCE_DATE_EPOCH"])
    out = _git("log", "-1", "--format=%ct")
    return int(out) if out else None


def _default_version() -> str:
    base = _pyproject_version()
    sha = _git("rev-parse", "--short=10", "HEAD")
    return f"{base}+g{sha}" if sha else base


def _pyproject_version() -> str:
    import tomllib

    try:
        data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
        return str(data["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0.0.0"


def _git(*args: str) -> str:
    try:
        proc = run(["git", "-C", REPO_ROOT, *args], timeout=10, check=False)
    except (OSError, CommandFailed):  # no git, or it hangs
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def summary_lines(config: Config) -> list[str]:
    """The human summary: every setting, then what the profile resolves to."""
    width = max(len(s.name) for s in SETTINGS)
    lines = ["Settings:"]
    for setting in SETTINGS:
        value = getattr(config, setting.name)
        if isinstance(value, tuple):
            value = ", ".join(value) or "-"
        lines.append(f"  {setting.name:<{width}}  {value if value is not None else '-'}")
    profile = config.load_profile()
    lines += [
        "Resolved:",
        f"  {'image':<{width}}  {config.image_name}",
        f"  {'distribution':<{width}}  {profile.distribution} {profile.release}",
        f"  {'mirror':<{width}}  {config.effective_mirror(profile)}",
        f"  {'roles':<{width}}  {', '.join(config.roles(profile))}",
        f"  {'packages':<{width}}  {len(config.packages(profile))}: "
        + " ".join(config.packages(profile)),
    ]
    return lines
