"""What the last successful apply did, per module: input digests and file hashes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ctsys.fsutil import write_atomic

STATE = "var/lib/ctsys/applied.json"


def content_hash(content: str | None, symlink: bool = False) -> str | None:
    if content is None:
        return None
    prefix = b"symlink:" if symlink else b""
    return hashlib.sha256(prefix + content.encode()).hexdigest()


def disk_hash(path: Path) -> str | None:
    """Hash of what is on disk now, comparable with content_hash()."""
    if path.is_symlink():
        return content_hash(os.readlink(path), symlink=True)
    try:
        return content_hash(path.read_text())
    except FileNotFoundError:
        return None
    except (UnicodeDecodeError, IsADirectoryError):
        return "unreadable"


class ApplyState:
    def __init__(self, root: Path) -> None:
        self.path = root / STATE
        self.data: dict[str, Any] = {"modules": {}}
        if self.path.exists():
            try:
                self.data = json.loads(self.path.read_text())
            except ValueError:
                self.data = {"modules": {}}  # a damaged state only means: apply everything again

    def module(self, name: str) -> dict[str, Any] | None:
        found = self.data["modules"].get(name)
        return found if isinstance(found, dict) else None

    def set_module(self, name: str, inputs: dict[str, str], files: dict[str, str | None]) -> None:
        self.data["modules"][name] = {"inputs": inputs, "files": files}

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=True) + "\n", 0o600)
