"""The administrator's password: asked twice at a terminal, stored only as a crypt(3) hash."""

from __future__ import annotations

import click

from ctsys.errors import CtsysError
from ctsys.run import run

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """A SHA-512 crypt hash (openssl), what `chpasswd --encrypted` and the document take."""
    if len(password) < MIN_LENGTH:
        raise CtsysError(f"system.admin.password: must be at least {MIN_LENGTH} characters")
    return run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n").stdout.strip()


def ask_password(prompt: str, allow_empty: bool = False) -> str | None:
    """Ask twice, hidden; the hash, or None when empty is allowed and nothing was typed."""
    password = click.prompt(prompt, hide_input=True, confirmation_prompt=True,
                            default="" if allow_empty else None, show_default=False)
    if allow_empty and not password:
        return None
    return hash_password(password)
