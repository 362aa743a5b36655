"""`ct-recorder`: run the daemon (systemd's ExecStart), check a configuration, reindex."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from recorder.daemon import AlertHook

DEFAULT_CONFIG = "/etc/ctsys/appliance.yaml"


@dataclass
class Wiring:
    """What the commands get: the configuration file, and the alert hook `main` was given."""

    config_path: Path = Path(DEFAULT_CONFIG)
    alert_hook: AlertHook | None = None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("CT_RECORDER_CONFIG", DEFAULT_CONFIG),
    show_default=DEFAULT_CONFIG,
    help="The appliance document (or a bare `cameras` section), YAML or JSON.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv: debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: int) -> None:
    """The CT-Server recorder daemon."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s",
    )
    ctx.ensure_object(Wiring).config_path = config_path


@cli.command()
@click.pass_obj
def run(wiring: Wiring) -> None:
    """Record every enabled camera until SIGTERM (SIGHUP reloads the configuration)."""
    from recorder.daemon import run as run_daemon

    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    sys.exit(run_daemon(wiring.config_path, wiring.alert_hook))


@cli.command("check-config")
@click.pass_obj
def check_config(wiring: Wiring) -> None:
    """Validate the configuration and print a summary."""
    from recorder.config import ConfigError, load

    try:
        config = load(wiring.config_path)
    except (ConfigError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(config.cameras)} cameras on {len(config.volumes)} volumes: ok")


@cli.command()
@click.pass_obj
def reindex(wiring: Wiring) -> None:
    """Rebuild the index from the segment files alone."""
    from recorder.config import load
    from recorder.index import Index
    from recorder.reindex import reindex as do_reindex

    config = load(wiring.config_path)
    index = Index(config.index_path)
    report = do_reindex(index, config)
    index.close()
    click.echo(
        f"scanned {report.scanned}, added {report.added}, updated {report.updated}, "
        f"removed {report.removed}, unreadable {len(report.unreadable)}"
    )


def main(argv: list[str] | None = None, alert_hook: AlertHook | None = None) -> None:
    """`ct-recorder`; `alert_hook` gets the daemon's alerts (without one they are only logged)."""
    cli.main(args=argv, prog_name="ct-recorder", obj=Wiring(alert_hook=alert_hook))


if __name__ == "__main__":
    main()
