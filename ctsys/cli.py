"""`ctsys` entry point: a Click group whose subcommands are imported on first use.

Only click is imported here, so `ctsys status --json` stays fast; each group
lives in its own package (`ctsys net ...` in ctsys/net/cli.py) and is loaded
when it is called or when help lists it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

# Command name -> "module:attribute". A name whose module does not exist yet is
# simply not offered, so each area's group appears when its package lands.
COMMANDS: dict[str, tuple[str, str]] = {
    "alert": ("ctsys.alerts.cli:alert", "Raise alerts: journal and hooks (SNMP notifications, mail)."),
    "apply": ("ctsys.apply.cli:apply_cmd", "Render system files from the document and reload services."),
    "camera": ("ctsys.camera.cli:camera", "Cameras: list, add, remove, statistics, discovery."),
    "cert": ("ctsys.cert.cli:cert", "TLS certificates: self-signed or imported."),
    "completion": ("ctsys.completion:completion", "Print a shell completion script."),
    "config": ("ctsys.config.cli:config", "Show, change, diff, roll back, export and import the document."),
    "disk": ("ctsys.storage.cli:disk", "Disks: inventory, format, mount, unmount."),
    "install": ("ctsys.install.cli:install", "Install the appliance from the live medium to a disk."),
    "log": ("ctsys.journal.cli:log", "Read the action journal and system logs."),
    "net": ("ctsys.net.cli:net", "Network: NICs, bonds, VLANs, firewall, forwarding, proxy."),
    "raid": ("ctsys.storage.cli:raid", "RAID arrays (mdadm): create, status, spare, replace, remove."),
    "record": ("ctsys.record.cli:record", "Recordings: triggers, reindex, purge, protect, export."),
    "seed": ("ctsys.seed.cli:seed", "First-boot seed of VM images: host name, admin keys, network."),
    "service": ("ctsys.services.cli:service", "Appliance services: list, enable, disable, restart."),
    "smart": ("ctsys.storage.cli:smart", "SMART health of disks: show, test."),
    "snmp": ("ctsys.snmp.cli:snmp", "SNMP agent: communities, v3 users, notifications."),
    "stats": ("ctsys.stats.cli:stats", "Statistics kept a year: load, memory, disk fill, link rates."),
    "status": ("ctsys.status.cli:status", "Summary of the appliance: uptime, load, memory, services."),
    "storage": ("ctsys.storage.cli:storage", "Data volumes: fill, index copies, adopt after a reinstall."),
    "system": ("ctsys.system.cli:system", "Hostname, time zone, locale, admin account, GUI."),
    "time": ("ctsys.time.cli:time_group", "Time: NTP client and server, time zone, manual setting."),
}


def _available(target: str) -> bool:
    module = target.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (target, _) in COMMANDS.items() if _available(target))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        module_name, attr = entry[0].split(":", 1)
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Use the short help from the table so `ctsys --help` imports nothing else.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class Obj:
    """Per-invocation state shared by every command (`ctx.obj`)."""

    def __init__(self, root: str, verbose: int) -> None:
        self.root = root
        self.verbose = verbose

    @property
    def live(self) -> bool:
        """True when acting on the running system (no --root): services may be reloaded."""
        return self.root == "/"


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    default="/",
    show_default=True,
    envvar="CTSYS_ROOT",
    help="Act on the tree under DIR instead of the running system: files are rendered "
    "there and no service is touched (used by the image build and by tests).",
)
@click.option("-v", "--verbose", count=True, help="Log each command run (-vv: debug).")
@click.version_option(package_name="ct-server", prog_name="ctsys")
@click.pass_context
def cli(ctx: click.Context, root: str, verbose: int) -> None:
    """ctsys: the CT-Server appliance system tool.

    Every read command takes --json. Changes go to one document,
    /etc/ctsys/appliance.yaml, kept with its history; `ctsys apply` renders the
    system files from it and reloads only the services whose inputs changed.

    Exit status: 0 success, 1 error, 2 usage error.
    """
    if verbose:  # logging costs ~10 ms of imports: only when asked for
        import logging

        level = logging.INFO if verbose == 1 else logging.DEBUG
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = Obj(os.path.abspath(root), verbose)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: exit 0 ok, 1 error (CtsysError), 2 usage."""
    return cli.main(args=argv, prog_name="ctsys")


if __name__ == "__main__":
    main()
