"""ctimage's setting of the one subprocess seam, `ctrun`: a failure raises
CommandFailed (an ImageError: `ctimage: ...`, exit status 2), commands have no
timeout unless told, and each is logged at DEBUG under `ctimage.run`
(`ctimage -v`). The implementation, and what unit tests replace
(`ctrun._execute`), is ctrun's.
"""

from __future__ import annotations

import functools
import logging

import ctrun
from ctrun import Result, quote
from image.errors import CommandFailed

__all__ = ["Result", "quote", "run", "spawn"]

_log = logging.getLogger("ctimage.run")

run = functools.partial(ctrun.run, error=CommandFailed, log=_log, level=logging.DEBUG)
spawn = functools.partial(ctrun.spawn, log=_log, level=logging.DEBUG)
