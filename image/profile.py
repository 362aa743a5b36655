"""Profiles are data: one YAML file per base distribution, with flavours.

A profile names the distribution, its mirror and the packages the bootstrap
installs; each flavour adds packages and chooses the Ansible roles;
`test_packages` go only into images built with test access.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from image.errors import ImageError

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"


@dataclass(frozen=True)
class Flavour:
    name: str
    description: str
    packages: tuple[str, ...]
    roles: tuple[str, ...]
    strip: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    distribution: str
    release: str
    mirror: str
    security_mirror: str
    suites: tuple[str, ...]
    security_suite: str
    components: tuple[str, ...]
    python: str
    packages: tuple[str, ...]
    flavours: dict[str, Flavour]
    # only in images built with test access (audit tools), never in the product
    test_packages: tuple[str, ...] = ()

    def flavour(self, name: str) -> Flavour:
        try:
            return self.flavours[name]
        except KeyError:
            raise ImageError(
                f"profile {self.name} has no flavour {name!r}",
                hint="choose one of: " + ", ".join(sorted(self.flavours)),
            ) from None

    def apt_sources(self, mirror: str | None = None) -> list[str]:
        """One-line apt sources: the main suites from `mirror` plus security."""
        components = " ".join(self.components)
        lines = [f"deb {mirror or self.mirror} {suite} {components}" for suite in self.suites]
        lines.append(f"deb {self.security_mirror} {self.security_suite} {components}")
        return lines


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str) -> Profile:
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ImageError(
            f"no profile {name_or_path!r}",
            hint="known profiles: " + ", ".join(available_profiles()),
        )
    data = yaml.safe_load(path.read_text())
    try:
        return _parse(data)
    except (KeyError, TypeError) as exc:
        raise ImageError(f"profile {path} is malformed: missing or wrong field {exc}") from exc


def _parse(data: dict[str, Any]) -> Profile:
    release = data["release"]
    flavours = {
        name: Flavour(
            name=name,
            description=f.get("description", ""),
            packages=tuple(f.get("packages") or ()),
            roles=tuple(f["roles"]),
            strip=tuple(f.get("strip") or ()),
        )
        for name, f in data["flavours"].items()
    }
    return Profile(
        name=data["name"],
        description=data.get("description", ""),
        distribution=data["distribution"],
        release=release,
        mirror=data["mirror"],
        security_mirror=data["security_mirror"],
        suites=tuple(s.format(release=release) for s in data["suites"]),
        security_suite=data["security_suite"].format(release=release),
        components=tuple(data["components"]),
        python=data.get("python", "/usr/bin/python3"),
        packages=tuple(data["packages"]),
        flavours=flavours,
        test_packages=tuple(data.get("test_packages") or ()),
    )
