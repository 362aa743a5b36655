"""ctsys's setting of the one subprocess seam, `ctrun`: a failure raises
CommandError (a CtsysError: `error: ...`, exit status 1), a command times out
after 60 s unless told otherwise, and each command is logged at INFO under
`ctsys.run` (`ctsys -v`). The implementation, and what unit tests replace
(`ctrun._execute`), is ctrun's.
"""

from __future__ import annotations

import functools
import logging

import ctrun
from ctrun import Result, quote
from ctsys.errors import CommandError

__all__ = ["DEFAULT_TIMEOUT", "Result", "quote", "run"]

DEFAULT_TIMEOUT = 60.0

run = functools.partial(
    ctrun.run, timeout=DEFAULT_TIMEOUT, error=CommandError, log=logging.getLogger("ctsys.run"), level=logging.INFO
)
