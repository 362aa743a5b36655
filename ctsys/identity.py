"""Who is acting and from where: recorded in the history and the action journal."""

from __future__ import annotations

import getpass
import os
import shlex
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: str
    origin: str


def current_actor() -> Actor:
    """The human behind this run: sudo's caller if any; origin is the SSH client address or 'local'."""
    user = os.environ.get("SUDO_USER") or _login()
    ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT") or ""
    origin = ssh.split()[0] if ssh.split() else "local"
    return Actor(user=user, origin=origin)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def command_line() -> str:
    """The command as typed, with the program shown as `ctsys`."""
    return shlex.join(["ctsys", *sys.argv[1:]])
