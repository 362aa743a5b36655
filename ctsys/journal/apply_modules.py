"""Apply module `logs`: journald retention and logrotate for ctsys's own log files."""

from __future__ import annotations

import shutil

from ctsys.apply.module import FileSpec, Module, StagedFiles
from ctsys.errors import CtsysError
from ctsys.run import run


def check_logrotate(staged: StagedFiles) -> None:
    """`logrotate --debug` parses the file without rotating anything."""
    if shutil.which("logrotate") is None:
        raise CtsysError(
            "cannot validate the logrotate file: logrotate is not installed", hint="apt-get install logrotate"
        )
    state = staged.root / "logrotate.state"
    run(["logrotate", "--debug", "--state", str(state), str(staged.path("/etc/logrotate.d/ctsys"))])


MODULES = [
    Module(
        name="logs",
        sections=("system",),
        description="journal size and retention, rotation of ctsys log files",
        files=(
            FileSpec("/etc/logrotate.d/ctsys", "etc/logrotate.d/ctsys.j2"),
            FileSpec("/etc/systemd/journald.conf.d/ctsys.conf", "etc/systemd/journald.conf.d/ctsys.conf.j2"),
        ),
        services=("systemd-journald.service",),
        check=check_logrotate,
    ),
]
