"""Read the action journal back, with filters."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ctsys.journal import FALLBACK, IDENTIFIER, Action, _uses_journal
from ctsys.run import run


@dataclass(frozen=True)
class Filter:
    user: str | None = None
    origin: str | None = None
    action: str | None = None  # prefix: "net" matches "net.forward.add"
    since: str | None = None  # ISO 8601 UTC, inclusive
    until: str | None = None  # ISO 8601 UTC, inclusive

    def matches(self, a: Action) -> bool:
        if self.user and a.user != self.user:
            return False
        if self.origin and a.origin != self.origin:
            return False
        if self.action and not (a.action == self.action or a.action.startswith(self.action + ".")):
            return False
        if self.since and a.time < self.since:
            return False
        return not (self.until and a.time > self.until)


def _from_file(root: str) -> Iterable[Action]:
    path = Path(root) / FALLBACK
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        try:
            data = json.loads(line)
            yield Action(**data)
        except (ValueError, TypeError):
            continue  # a torn last line after a crash


def _from_journal() -> Iterable[Action]:
    out = run(["journalctl", "--no-pager", "-o", "json", f"SYSLOG_IDENTIFIER={IDENTIFIER}"], timeout=30).stdout
    for line in out.splitlines():
        try:
            e = json.loads(line)
            yield Action(
                time=e["CTSYS_TIME"],
                user=e["CTSYS_USER"],
                origin=e["CTSYS_ORIGIN"],
                action=e["CTSYS_ACTION"],
                command=e.get("CTSYS_COMMAND", ""),
                result=e["CTSYS_RESULT"],
                details=json.loads(e.get("CTSYS_DETAILS") or "{}"),
            )
        except (ValueError, KeyError, TypeError):
            continue


def actions(root: str, flt: Filter) -> list[Action]:
    source = _from_journal() if _uses_journal(root) else _from_file(root)
    return [a for a in source if flt.matches(a)]
