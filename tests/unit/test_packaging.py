"""Every package of this repository that ctsys, ct-recorder and ctimage import
(ctrun under all three) is in the wheel, so in the image's venv (image/debs.py
builds it from the wheel), in what makes the package and the image new, and
under mypy."""

from __future__ import annotations

import ast
import tomllib

import pytest
from setuptools import find_packages

from image import REPO_ROOT, build, debs

pytestmark = pytest.mark.unit

COMMANDS = ("ctsys", "recorder", "image")


def imported_packages() -> set[str]:
    """Top-level packages of this repository imported by the commands' code."""
    ours = {p.parent.name for p in REPO_ROOT.glob("*/__init__.py")}
    found = set(COMMANDS)
    for top in (*COMMANDS, "ctrun"):
        for path in (REPO_ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found & ours


def test_the_commands_import_the_seam_and_no_tests() -> None:
    assert imported_packages() == {"ctrun", "ctsys", "recorder", "image"}


def test_the_wheel_and_the_image_carry_every_imported_package() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    wheel = {name.split(".")[0] for name in find_packages(str(REPO_ROOT), include=include)}
    for package in imported_packages():
        assert package in wheel, f"{package} is not in the wheel"
        assert package in debs.SOURCES, f"a change in {package} does not build a new ct-server package"
        assert package in build.INPUTS, f"a change in {package} does not make a new image"
        assert package in pyproject["tool"]["mypy"]["packages"]
