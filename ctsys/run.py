"""The one seam through which ctsys runs every subprocess.

Unit tests replace `ctsys.run.run` (and only it); everything else calls it.
Each call logs the exact shell-quoted command so it can be pasted and rerun,
enforces a timeout, and raises CommandError with the command, exit status and
stderr when the command fails.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ctsys.errors import CommandError

log = logging.getLogger("ctsys.run")

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def quote(argv: Sequence[str]) -> str:
    return shlex.join(str(a) for a in argv)


def _execute(
    args: list[str],
    input: str | None,
    timeout: float | None,
    env: Mapping[str, str] | None,
    cwd: str | None,
) -> Result:
    """Start the process for real. Unit tests replace this one function (the seam)."""
    command = quote(args)
    try:
        proc = subprocess.run(
            args,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            check=False,
        )
    except FileNotFoundError as exc:
        raise CommandError(command, 127, f"{args[0]}: command not found ({exc.strerror})") from exc
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise CommandError(command, None, stderr, timeout=timeout) from exc
    return Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> Result:
    """Run `argv` (no shell), capture its output as text and return a Result.

    With check=True (the default) a non-zero exit raises CommandError carrying
    the shell-quoted command, the exit status and stderr. A command that does
    not exist raises CommandError with status 127; a timeout, with status None.
    """
    args = [str(a) for a in argv]
    log.info("run: %s", quote(args))
    result = _execute(args, input, timeout, env, cwd)
    if check and result.returncode != 0:
        raise CommandError(quote(args), result.returncode, result.stderr or result.stdout)
    return result
