"""User-facing errors: each one names what is wrong and, where possible, what to do."""

from __future__ import annotations

from typing import IO, Any

import click


class CtsysError(click.ClickException):
    """An error reported to the user as `error: MESSAGE` with exit status 1.

    A ClickException, so every command, in-process test runners included,
    turns it into the message and exit status 1 without a traceback.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format_message(self) -> str:
        return str(self)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self}", err=True, file=file)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nhint: {self.hint}"
        return self.message


class ValidationError(CtsysError):
    """One or more fields of the configuration document are invalid.

    `problems` is a list of (yaml_path, reason) pairs, e.g.
    ("network.interfaces[2].address", "'10.0.0.300/24' is not an IPv4 address/prefix").
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"{path}: {reason}" if path else reason for path, reason in problems]
        super().__init__("invalid configuration:\n  " + "\n  ".join(lines))


class CommandError(CtsysError):
    """A subprocess failed: carries the exact command, its exit status and its stderr."""

    def __init__(self, command: str, returncode: int | None, stderr: str, timeout: float | None = None):
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        what = f"timed out after {timeout:g} s" if timeout is not None else f"exited with status {returncode}"
        detail = stderr.strip()
        message = f"command {what}: {command}"
        if detail:
            message += "\n" + "\n".join("  " + line for line in detail.splitlines()[-20:])
        super().__init__(message)


def error_text(error: BaseException | str, limit: int = 300) -> str:
    """An error as one line for the action journal: whitespace folded, at most `limit` characters."""
    return " ".join(str(error).split())[:limit]
