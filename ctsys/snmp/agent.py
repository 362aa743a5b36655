"""The pass_persist subagent: snmpd hands it GET and GETNEXT under ctObjects.

Protocol (snmpd.conf(5), pass_persist): "PING" -> "PONG"; "get"/"getnext"
then an OID -> the OID, its type and its value on three lines, or "NONE";
"set" -> "not-writable" (the subtree is read-only).

The snapshot is rebuilt when older than `ttl` seconds, so a walk sees one
consistent state and a burst of requests costs one collection.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ctsys.snmp.state import State, from_dict
from ctsys.snmp.tree import Tree, parse_oid

PRODUCT_ARC = (1, 3, 6, 1, 4, 1)


class Agent:
    def __init__(self, enterprise: int, snapshot: Callable[[], State], ttl: float = 5.0) -> None:
        self.base = (*PRODUCT_ARC, enterprise, 1)
        self.snapshot = snapshot
        self.ttl = ttl
        self._tree: Tree | None = None
        self._built = 0.0

    def tree(self) -> Tree:
        now = time.monotonic()
        if self._tree is None or now - self._built > self.ttl:
            self._tree = Tree(self.base, self.snapshot())
            self._built = now
        return self._tree

    def answer(self, command: str, oid_text: str) -> list[str]:
        tree = self.tree()
        try:
            oid = parse_oid(oid_text)
        except ValueError:
            return ["NONE"]
        row = tree.get(oid) if command == "get" else tree.getnext(oid)
        if row is None:
            return ["NONE"]
        return [tree.absolute(row), row.type, str(row.value)]

    def serve(self, stdin: IO[str], stdout: IO[str]) -> None:
        """The request loop; ends when snmpd closes our stdin."""
        while True:
            line = stdin.readline()
            if not line:
                return
            command = line.strip().lower()
            if command == "ping":
                out = ["PONG"]
            elif command in ("get", "getnext"):
                out = self.answer(command, stdin.readline())
            elif command == "set":
                stdin.readline()
                stdin.readline()
                out = ["not-writable"]
            elif command == "":
                continue
            else:
                out = ["NONE"]
            stdout.write("\n".join(out) + "\n")
            stdout.flush()


def load_config(path: str | None) -> dict[str, Any]:
    if path is None or not Path(path).exists():
        return {}
    data = json.loads(Path(path).read_text())
    return data if isinstance(data, dict) else {}


def main(config_path: str | None, state_path: str | None, enterprise: int | None, ttl: float) -> None:
    config = load_config(config_path)
    number = enterprise or int(config.get("enterprise_number", 99999))
    if state_path is not None:
        fixed = Path(state_path)

        def snapshot() -> State:
            return from_dict(json.loads(fixed.read_text()))
    else:
        from ctsys.snmp import sources

        def snapshot() -> State:
            return sources.collect(config)

    Agent(number, snapshot, ttl).serve(sys.stdin, sys.stdout)
