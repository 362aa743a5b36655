"""The one seam through which ctsys, ct-recorder and ctimage start processes.

`run()` runs a command to its end; `spawn()` starts a long-running one (qemu)
and hands back its handle. Both log the exact shell-quoted command, so it can
be pasted and rerun. run() enforces a timeout and, with check=True, raises on a
non-zero exit; a command that does not exist (status 127) or times out (status
None) raises whatever `check` says. The error carries the command, the status
and stderr, in the type the front end passes as `error`: `ctsys.run` and
`image.run` are those front ends' settings of this seam (error type, logger,
default timeout), not other implementations.

Unit tests replace `ctrun._execute`, the one place a command runs to its end
(the `fake_run` fixture of tests/conftest.py); the logging, the checks and the
errors above it stay under test.

No import from ctsys, the recorder or the image builder: all three stand on it.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# error(command, returncode, stderr, timeout): returncode None when the command timed out
ErrorType = Callable[[str, int | None, str, float | None], Exception]

# for spawn()'s streams and the handle it returns
PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
Process = subprocess.Popen

_log = logging.getLogger("ctrun")
LOG_TAIL_LINES = 30  # of a log file, as the stderr of a failed command that wrote there


class CommandFailed(Exception):
    """The default error: a command failed, timed out (returncode None) or does not exist (127)."""

    def __init__(self, command: str, returncode: int | None, stderr: str, timeout: float | None = None) -> None:
        what = f"timed out after {timeout:g} s" if timeout is not None else f"exited with status {returncode}"
        super().__init__(f"command {what}: {command}\n{stderr.strip()}".rstrip())
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        self.timeout = timeout


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def quote(argv: Sequence[str | Path]) -> str:
    return shlex.join(str(a) for a in argv)


def _execute(
    args: list[str],
    *,
    input: str | None,
    timeout: float | None,
    env: Mapping[str, str] | None,
    cwd: str | Path | None,
    capture: bool,
    log_file: Path | None,
) -> Result:
    """Run the command for real, to its end. Unit tests replace this one function.

    Raises FileNotFoundError when it cannot start, subprocess.TimeoutExpired on
    the timeout (the process is killed); run() turns both into its error.
    """
    full_env = {**os.environ, **env} if env is not None else None
    if log_file is None:
        proc = subprocess.run(
            args, input=input, capture_output=capture, text=True, errors="replace", timeout=timeout, env=full_env,
            cwd=cwd, check=False,
        )
        return Result(tuple(args), proc.returncode, proc.stdout or "", proc.stderr or "")
    with log_file.open("a") as out:
        out.write(f"\n$ {quote(args)}\n")
        out.flush()
        proc = subprocess.run(
            args, input=input, stdout=out, stderr=subprocess.STDOUT, text=True, errors="replace", timeout=timeout,
            env=full_env, cwd=cwd, check=False,
        )
    return Result(tuple(args), proc.returncode, "", _tail(log_file) if proc.returncode != 0 else "")


def run(
    argv: Sequence[str | Path],
    *,
    check: bool = True,
    timeout: float | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    capture: bool = True,
    log_file: Path | None = None,
    error: ErrorType = CommandFailed,
    log: logging.Logger = _log,
    level: int = logging.DEBUG,
) -> Result:
    """Run `argv` (no shell) and return its Result, stdout and stderr as text.

    env: variables set over this process's environment. capture=False leaves
    stdout and stderr on the caller's terminal. log_file: both are appended
    there after a `$ command` line instead of being captured, and a failure
    carries the log's last lines as its stderr. With check=True a non-zero
    exit raises `error`; a command that is not found or times out raises it
    whatever `check` says.
    """
    args = [str(a) for a in argv]
    command = quote(args)
    log.log(level, "run: %s", command)
    try:
        result = _execute(args, input=input, timeout=timeout, env=env, cwd=cwd, capture=capture, log_file=log_file)
    except FileNotFoundError as exc:
        raise error(command, 127, f"{args[0]}: command not found ({exc.strerror})", None) from exc
    except subprocess.TimeoutExpired as exc:
        if log_file is not None:
            stderr = _tail(log_file)
        else:
            stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise error(command, None, stderr, timeout) from exc
    if check and result.returncode != 0:
        raise error(command, result.returncode, result.stderr or result.stdout, None)
    return result


def spawn(
    argv: Sequence[str | Path],
    *,
    stdin: int | IO[str] | None = DEVNULL,
    stdout: int | IO[str] | None = DEVNULL,
    stderr: int | IO[str] | None = DEVNULL,
    new_session: bool = False,
    log: logging.Logger = _log,
    level: int = logging.DEBUG,
) -> Process[str]:
    """Start `argv` (no shell) and return at once: the caller owns the process,
    waits for it and ends it by this handle. Streams default to /dev/null;
    ctrun.PIPE gives a text pipe. new_session: the process outlives our terminal."""
    args = [str(a) for a in argv]
    log.log(level, "spawn: %s", quote(args))
    return subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr, text=True, errors="replace",
                            start_new_session=new_session)


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
