"""Edits of the document's `cameras` section: add, remove, enable, disable a camera."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError


def _edit(doc: Appliance, change: Callable[[list[dict[str, Any]]], None]) -> Appliance:
    data = copy.deepcopy(document.to_data(doc))
    cameras = data.setdefault("cameras", {}).setdefault("cameras", [])
    change(cameras)
    return document.validate(data)


def _find(cameras: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for camera in cameras:
        if camera.get("name") == name:
            return camera
    known = ", ".join(c.get("name", "?") for c in cameras) or "none"
    raise CtsysError(f"no camera named {name!r} (cameras: {known})")


def add_camera(doc: Appliance, camera: dict[str, Any]) -> Appliance:
    def change(cameras: list[dict[str, Any]]) -> None:
        if any(c.get("name") == camera["name"] for c in cameras):
            raise CtsysError(
                f"a camera named {camera['name']!r} exists already",
                hint="remove it first, or change it with `ctsys config set`",
            )
        cameras.append(camera)

    return _edit(doc, change)


def remove_camera(doc: Appliance, name: str) -> Appliance:
    def change(cameras: list[dict[str, Any]]) -> None:
        cameras.remove(_find(cameras, name))

    return _edit(doc, change)


def set_enabled(doc: Appliance, name: str, enabled: bool) -> Appliance:
    def change(cameras: list[dict[str, Any]]) -> None:
        _find(cameras, name)["enabled"] = enabled

    return _edit(doc, change)
