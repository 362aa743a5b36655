"""The one seam through which ctimage runs subprocesses.

Every command is logged shell-quoted before it runs; a failure raises
CommandFailed carrying that same string, so it can be pasted and rerun.
Unit tests replace `image.run.run` to assert the exact argv.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from image.errors import CommandFailed

log = logging.getLogger("ctimage.run")


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def quote(argv: Sequence[str | Path]) -> str:
    return shlex.join(str(a) for a in argv)


def run(
    argv: Sequence[str | Path],
    *,
    check: bool = True,
    capture: bool = True,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    input: str | None = None,
    log_file: Path | None = None,
) -> Result:
    """Run argv without a shell. With `log_file`, output is appended there
    instead of being captured (long stages stay quiet on the terminal)."""
    args = [str(a) for a in argv]
    command = quote(args)
    log.debug("run: %s", command)
    full_env = {**os.environ, **env} if env else None
    if log_file is not None:
        with log_file.open("a") as out:
            out.write(f"\n$ {command}\n")
            out.flush()
            proc = subprocess.run(
                args, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                env=full_env, cwd=cwd, input=input, check=False,
            )
        stdout = stderr = ""
        if proc.returncode != 0:
            stderr = _tail(log_file)
    else:
        proc = subprocess.run(
            args, capture_output=capture, text=True, timeout=timeout, env=full_env,
            cwd=cwd, input=input, check=False,
        )
        stdout, stderr = proc.stdout or "", proc.stderr or ""
    if check and proc.returncode != 0:
        raise CommandFailed(command, proc.returncode, stderr or stdout)
    return Result(tuple(args), proc.returncode, stdout, stderr)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
