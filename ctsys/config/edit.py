"""Read and change the document by dotted path: `network.interfaces[0].address`."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import yaml

from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """'a.b[2].c' -> ['a', 'b', 2, 'c']; raises CtsysError on a malformed path."""
    if not path or path.startswith(".") or path.endswith(".") or ".." in path:
        raise CtsysError(f"{path!r} is not a document path (like 'system.hostname' or 'x.list[0].y')")
    parts: list[str | int] = []
    pos = 0
    for match in _TOKEN.finditer(path):
        gap = path[pos : match.start()]
        if gap not in ("", "."):
            raise CtsysError(f"{path!r} is not a document path (unexpected {gap!r})")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if pos != len(path) or not parts:
        raise CtsysError(f"{path!r} is not a document path")
    return parts


def get(doc: Appliance, path: str) -> Any:
    value: Any = document.to_data(doc)
    walked = ""
    for part in split_path(path):
        if isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                raise CtsysError(f"{walked}[{part}]: no such element")
            value = value[part]
            walked += f"[{part}]"
        else:
            if not isinstance(value, dict) or part not in value:
                where = walked or "the document"
                keys = ", ".join(value) if isinstance(value, dict) else "none"
                raise CtsysError(f"{where} has no key {part!r} (keys: {keys})")
            value = value[part]
            walked += f".{part}" if walked else part
    return value


def parse_value(text: str) -> Any:
    """A command-line value as YAML (22 -> int, true -> bool, [a, b] -> list), else a string."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def set_value(doc: Appliance, path: str, value: Any) -> Appliance:
    """A new validated document with `value` at `path`; the input document is unchanged."""
    data = copy.deepcopy(document.to_data(doc))
    parts = split_path(path)
    node: Any = data
    walked = ""
    for part in parts[:-1]:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise CtsysError(f"{walked}[{part}]: no such element")
            node = node[part]
            walked += f"[{part}]"
        else:
            if not isinstance(node, dict):
                raise CtsysError(f"{walked} is not a mapping")
            node = node.setdefault(part, {})
            walked += f".{part}" if walked else part
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last > len(node):
            size = len(node) if isinstance(node, list) else 0
            raise CtsysError(f"{walked}[{last}]: no such element (append with index {size})")
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        if not isinstance(node, dict):
            raise CtsysError(f"{walked} is not a mapping")
        node[last] = value
    return document.validate(data)


def unset_value(doc: Appliance, path: str) -> Appliance:
    """Remove the key at `path` (back to its default) or the list element."""
    data = copy.deepcopy(document.to_data(doc))
    parts = split_path(path)
    node: Any = data
    for part in parts[:-1]:
        node = node[part] if isinstance(part, str) and isinstance(node, dict) and part in node else (
            node[part] if isinstance(part, int) and isinstance(node, list) and part < len(node) else None
        )
        if node is None:
            raise CtsysError(f"{path}: no such key")
    last = parts[-1]
    try:
        del node[last]
    except (KeyError, IndexError, TypeError):
        raise CtsysError(f"{path}: no such key") from None
    return document.validate(data)


def edit_data(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Appliance], Appliance]:
    """A document edit from a mutation of its plain data (dicts and lists), for the change service.

    The whole document is validated afterwards, so an error names the field
    (`time.servers[1].host: ...`) and nothing is written.
    """

    def edit(doc: Appliance) -> Appliance:
        data = document.to_data(doc)
        mutate(data)
        return document.validate(data)

    return edit
