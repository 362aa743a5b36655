"""Output conventions shared by every command: `--json` on reads, tables otherwise."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """Add `--json` to a read command; the command receives `as_json: bool`."""
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON (stable keys).")(func)


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, sort_keys=False, default=str))


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """Render rows as a left-aligned text table with a header line."""
    text_rows = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in text_rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def emit(data: Any, as_json: bool, human: Callable[[Any], str]) -> None:
    """Print `data` as JSON or through the `human` formatter."""
    if as_json:
        print_json(data)
    else:
        click.echo(human(data))


class Progress(Protocol):
    """Where a workflow says what it is doing, one human line at a time (`err`: a warning)."""

    def __call__(self, line: str, *, err: bool = False) -> None: ...


def quiet(line: str, *, err: bool = False) -> None:
    """A Progress that says nothing (a workflow called from code)."""


def echo_progress(to_stderr: bool = False) -> Progress:
    """A Progress for a command: lines to stdout, or all to stderr (`--json` keeps stdout for the JSON)."""

    def progress(line: str, *, err: bool = False) -> None:
        click.echo(line, err=err or to_stderr)

    return progress


class _Lines(io.TextIOBase):
    def __init__(self, progress: Progress) -> None:
        self.progress, self.pending, self.outer = progress, "", sys.stdout

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.say(line)
        return len(text)

    def say(self, line: str) -> None:
        with contextlib.redirect_stdout(self.outer):  # a progress that prints must reach the real stdout
            self.progress(line)


@contextlib.contextmanager
def printed_to(progress: Progress) -> Iterator[None]:
    """What the code inside prints on stdout (`ctsys apply`'s lines) goes to `progress`, line by line."""
    lines = _Lines(progress)
    try:
        with contextlib.redirect_stdout(lines):  # type: ignore[type-var]
            yield
    finally:
        if lines.pending:
            lines.say(lines.pending)
