"""User-facing errors of ctimage: a message and a hint, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence


class ImageError(Exception):
    """A build cannot go on; `hint` tells the user what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\n  hint: {self.hint}" if self.hint else "")


class CommandFailed(ImageError):
    """A subprocess failed: carries the shell-quoted command so it can be rerun."""

    def __init__(self, command: str, returncode: int | None, stderr: str, timeout: float | None = None) -> None:
        tail = "\n".join(stderr.strip().splitlines()[-25:])
        what = f"timed out after {timeout:g} s" if timeout is not None else f"exit {returncode}"
        super().__init__(f"command failed ({what}): {command}\n{tail}".rstrip())
        self.command = command
        self.returncode = returncode
        self.stderr = stderr


class PreflightFailed(ImageError):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(
            "cannot build:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="fix the items above (scripts/build-and-boot.sh installs every tool)",
        )
        self.problems = list(problems)
