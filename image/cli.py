"""`ctimage`: build the appliance image and boot it in qemu.

Thin Click commands: the settings table (image.config.SETTINGS) generates the
build options; the work is done in image.build and image.qemu.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from image.config import SETTINGS, Config, Setting, make_config, summary_lines
from image.errors import ImageError

F = Callable[..., Any]


def _parser(setting: Setting) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None or not isinstance(value, str):
            return value
        try:
            return setting.parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return convert


def settings_options(func: F) -> F:
    """One option per setting; unset options fall back to $CTIMAGE_* then the default."""
    for setting in reversed(SETTINGS):
        default = setting.default
        shown = ", ".join(default) if isinstance(default, tuple) else default
        help_text = f"{setting.help} [default: {shown if shown not in (None, '') else '-'}; " \
                    f"env {setting.env}]"
        if setting.is_flag:
            func = click.option(setting.option + "/--no-" + setting.option[2:], setting.name,
                                default=None, help=help_text)(func)
        else:
            func = click.option(setting.option, setting.name, default=None, metavar="VALUE",
                                type=click.UNPROCESSED, callback=lambda c, p, v, s=setting:
                                _parser(s)(v), help=help_text)(func)
    return func


def _config(values: dict[str, Any]) -> Config:
    return make_config({s.name: values.get(s.name) for s in SETTINGS})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="log every command run")
def main(verbose: bool) -> None:
    """Build the CT-Server appliance image (live hybrid ISO) and boot it in qemu."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(name)s: %(message)s")


@main.command()
@settings_options
@click.option("--json", "as_json", is_flag=True, help="print the configuration as JSON")
def summary(as_json: bool, **values: Any) -> None:
    """Print the frozen build configuration and what the profile resolves to."""
    config = _guard(lambda: _config(values))
    click.echo(config.to_json() if as_json else "\n".join(_guard(lambda: summary_lines(config))))


@main.command()
@settings_options
@click.option("--config-json", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="read the settings from a JSON file written by `summary --json`")
def build(config_json: Path | None, **values: Any) -> None:
    """Build the image (as root): bootstrap, provision, packages, clean, squashfs, ISO."""
    from image.build import build_image

    config = _guard(lambda: Config.from_json(config_json.read_text()) if config_json
                    else _config(values))
    result = _guard(lambda: build_image(config))
    click.echo(str(result.image))


@main.command()
@settings_options
def provision(**values: Any) -> None:
    """Run the roles again over the last build's rootfs and print the recap as
    JSON (a second run must report changed=0: the idempotence check)."""
    from image.build import reprovision

    config = _guard(lambda: _config(values))
    recap = _guard(lambda: reprovision(config))
    click.echo(json.dumps(recap.__dict__))
    sys.exit(1 if recap.failed or recap.unreachable else 0)


@main.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--uefi", is_flag=True, help="boot with OVMF (UEFI) instead of SeaBIOS")
@click.option("--usb", is_flag=True, help="attach the image as a USB stick instead of a CD")
@click.option("--nics", default=1, show_default=True, help="virtio NICs (user-mode, restricted)")
@click.option("--disks", default=0, show_default=True, help="blank 4 GiB data disks to attach")
@click.option("--memory", default=2048, show_default=True, help="guest RAM in MiB")
@click.option("--accel", type=click.Choice(["auto", "kvm", "tcg"]), default="auto",
              show_default=True, help="auto: KVM when it really runs a guest kernel, else TCG")
@click.option("--ssh-port", type=int, default=None,
              help="forward 127.0.0.1:PORT to the guest's SSH port")
@click.option("--detach", is_flag=True,
              help="run qemu in the background (serial console to a log file), wait until "
                   "SSH answers, print how to log in, and return")
@click.option("--timeout", default=900, show_default=True,
              help="with --detach: seconds to wait for SSH")
def boot(image: Path, uefi: bool, usb: bool, nics: int, disks: int, memory: int, accel: str,
         ssh_port: int | None, detach: bool, timeout: int) -> None:
    """Boot IMAGE in qemu with the serial console on this terminal (Ctrl-A X quits).

    IMAGE is the ISO (as a CD, or a USB stick with --usb) or a VM disk (qcow2 or
    raw, from `ctimage build --outputs`), booted as the system disk and written to.
    """
    from image import qemu
    from image.run import run

    if detach and not ssh_port:
        ssh_port = 2222
    iso = image.suffix == ".iso"
    spec = _guard(lambda: qemu.VmSpec(image=image if iso else None, attach=() if iso else (image,), uefi=uefi,
                                      usb=usb, nics=nics, disks=disks, memory_mib=memory, ssh_port=ssh_port))
    chosen = _guard(lambda: qemu.choose_accel(accel, image if iso else None, out=sys.stderr))
    click.echo(f"ctimage: accelerator {chosen}", err=True)
    if detach:
        _guard(lambda: _boot_detached(spec, chosen, timeout))
        return
    with qemu.VmFiles(spec) as files:
        argv = qemu.qemu_argv(spec, files, chosen, serial="mon:stdio")
        click.echo("$ " + " ".join(argv), err=True)
        sys.exit(run(argv, check=False, capture=False).returncode)


def _boot_detached(spec: Any, accel: str, timeout: int) -> None:
    """Start qemu in its own session, wait for an SSH banner on the forward."""
    import time

    from image import qemu
    from image.run import spawn

    booted = spec.image or spec.attach[0]
    files = qemu.VmFiles(spec, parent=booted.parent).__enter__()
    log = booted.with_suffix(".serial.log")
    argv = qemu.qemu_argv(spec, files, accel, serial=f"file:{log}", monitor=True)
    proc = spawn(argv, new_session=True)
    start = time.monotonic()
    click.echo(f"ctimage: qemu PID {proc.pid} booting {booted.name}; serial log {log}",
               err=True)
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise ImageError(f"qemu exited with status {proc.returncode}; see {log}")
        if qemu.ssh_banner(spec.ssh_port):
            break
        time.sleep(2)
    else:
        raise ImageError(f"no SSH answer on 127.0.0.1:{spec.ssh_port} after {timeout} s "
                         f"(qemu PID {proc.pid} left running; see {log})")
    # the guest prints it on its consoles (the serial one is the log) just before sshd starts
    found = None
    for _ in range(10):
        found = qemu.one_time_password(log.read_text(errors="replace"))
        if found:
            break
        time.sleep(1)
    user, password = found or ("admin", None)
    secret = (f"one-time password {password}, shown on the console" if password
              else "no one-time password on the console: your own password or SSH key")
    click.echo(f"""
CT-Server is ready after {time.monotonic() - start:.0f} s (qemu PID {proc.pid}).
  Log in:   ssh -p {spec.ssh_port} {user}@127.0.0.1      ({secret})
  Then:     ctsys status
  Console:  {log}   (qemu monitor: {files.monitor})
  Stop:     kill {proc.pid}; rm -rf {files.dir}
""")


@main.command(name="settings")
def settings_cmd() -> None:
    """List every setting with its default and environment variable, as JSON."""
    click.echo(json.dumps([{"name": s.name, "option": s.option, "env": s.env,
                            "default": str(s.default) if isinstance(s.default, Path)
                            else s.default, "help": s.help} for s in SETTINGS], indent=2))


def _guard(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ImageError as exc:
        click.echo(f"ctimage: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
