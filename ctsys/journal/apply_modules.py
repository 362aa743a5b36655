"""Apply module `logs`: journald retention and logrotate for ctsys's own log files."""

from __future__ import annotations

from ctsys.apply.module import FileSpec, Module, StagedFiles


def check_logrotate(staged: StagedFiles) -> None:
    """`logrotate --debug` parses the file without rotating anything."""
    logrotate = staged.tool("logrotate", "logrotate", "validate the logrotate file")
    state = staged.root / "logrotate.state"
    logrotate.run("--debug", "--state", logrotate.path(state), logrotate.path(staged.path("/etc/logrotate.d/ctsys")))


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
