"""`ctsys net forward ...` and `ctsys net proxy ...`: relays through nginx, no routing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ctsys.cli import Obj
from ctsys.commands import current
from ctsys.net.cli_change import change_options, network_change
from ctsys.output import emit, json_option, table


def _put(obj: Obj, key: str, noun: str, entry: dict[str, Any], force: bool, apply_now: bool) -> None:
    """Add `entry` to network.KEY, in place of the one of the same name (action net.NOUN.add)."""

    def mutate(net: dict[str, Any]) -> None:
        net[key] = [i for i in net[key] if i["name"] != entry["name"]] + [entry]

    network_change(obj, f"net.{noun}.add", mutate, force, apply_now)


def _list_command(key: str, help_text: str, row: Callable[[Any], tuple[Any, ...]], headers: list[str]) -> click.Command:
    """`list [--json]`: the entries of network.KEY, one table row each."""

    @click.command("list", help=help_text)
    @json_option
    @click.pass_obj
    def list_cmd(obj: Obj, as_json: bool) -> None:
        items = getattr(current(obj).network, key)
        emit(items, as_json, lambda entries: table([row(e) for e in entries], headers))

    return list_cmd


def _target(text: str) -> tuple[str, int]:
    """'192.168.1.5:554' or '[fd00::5]:554' -> (address, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"{text!r} is not ADDRESS:PORT")
    return host.strip("[]"), int(port)


@click.group()
def forward() -> None:
    """Port forwards: a server port relayed by nginx to a device on another network.

    The kernel does not route: nginx (stream module) accepts the connection and
    opens its own towards the device, so networks stay isolated.
    """


@forward.command("add")
@click.argument("name")
@click.option("--port", type=int, required=True, help="Port the appliance listens on.")
@click.option("--to", "to", required=True, metavar="ADDRESS:PORT", help="The device to reach.")
@click.option("--udp", is_flag=True, help="Relay UDP instead of TCP.")
@click.option("--allow-from", multiple=True, type=click.Choice(["management", "cameras", "corporate"]),
              help="Roles that may use the forward (default: corporate, management).")
@change_options
@click.pass_obj
def forward_add(obj: Obj, name: str, port: int, to: str, udp: bool, allow_from: tuple[str, ...],
                force: bool, apply_now: bool) -> None:
    """Add (or replace) forward NAME: appliance PORT -> ADDRESS:PORT.

    Example: ctsys net forward add cam7-rtsp --port 8554 --to 192.168.50.17:554
    """
    address, target_port = _target(to)

    entry: dict[str, Any] = {"name": name, "port": port, "protocol": "udp" if udp else "tcp",
                             "target": address, "target_port": target_port}
    if allow_from:
        entry["allow_from"] = list(allow_from)
    _put(obj, "forwards", "forward", entry, force, apply_now)


forward.add_command(_list_command(
    "forwards", "List the forwards. JSON: [{name, port, protocol, target, target_port, allow_from}].",
    lambda f: (f.name, f"{f.port}/{f.protocol}", f"{f.target}:{f.target_port}", ",".join(f.allow_from)),
    ["name", "port", "target", "allowed from"]))


def _remove_command(key: str, noun: str, help_text: str) -> click.Command:
    """`remove NAME`: drop the entry of network.KEY named NAME (action net.NOUN.remove)."""

    @click.command("remove", help=help_text)
    @click.argument("name")
    @change_options
    @click.pass_obj
    def remove(obj: Obj, name: str, force: bool, apply_now: bool) -> None:
        from ctsys.net.change import find

        def mutate(net: dict[str, Any]) -> None:
            net[key].remove(find(net[key], name, noun))

        network_change(obj, f"net.{noun}.remove", mutate, force, apply_now)

    return remove


forward.add_command(_remove_command("forwards", "forward", "Remove forward NAME."))


@click.group()
def proxy() -> None:
    """Camera admin proxy: each camera's web page over HTTPS, one appliance port per camera.

    nginx presents the appliance certificate (`ctsys cert`) and can ask for a
    login (basic auth) before passing the request to the camera's HTTP port.
    """


@proxy.command("add")
@click.argument("name")
@click.option("--port", type=int, required=True, help="HTTPS port of the appliance for this camera.")
@click.option("--camera", required=True, metavar="ADDRESS[:PORT]", help="Camera address (port 80 by default).")
@click.option("--auth-user", metavar="USER", help="Ask for this user (basic auth); prompts for the password.")
@click.option("--auth-password", metavar="PASSWORD", help="Password for --auth-user (prompted when omitted).")
@change_options
@click.pass_obj
def proxy_add(obj: Obj, name: str, port: int, camera: str, auth_user: str | None, auth_password: str | None,
              force: bool, apply_now: bool) -> None:
    """Add (or replace) proxy NAME: https://APPLIANCE:PORT/ -> http://CAMERA/.

    Example: ctsys net proxy add cam7 --port 8447 --camera 192.168.50.17 --auth-user viewer
    """
    from ctsys.run import run

    address, camera_port = (_target(camera) if camera.count(":") == 1 or camera.startswith("[") else (camera, 80))
    auth = None
    if auth_user:
        password = auth_password or click.prompt(f"password for {auth_user}", hide_input=True,
                                                 confirmation_prompt=True)
        # openssl reads the password on stdin so it never shows in the process list.
        digest = run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n").stdout.strip()
        auth = {"user": auth_user, "password_hash": digest}

    entry: dict[str, Any] = {"name": name, "port": port, "camera": address, "camera_port": camera_port}
    if auth:
        entry["auth"] = auth
    _put(obj, "proxies", "proxy", entry, force, apply_now)


proxy.add_command(_list_command(
    "proxies", "List the camera proxies. JSON: [{name, port, camera, camera_port, auth, allow_from}] (hash included).",
    lambda p: (p.name, p.port, f"{p.camera}:{p.camera_port}", p.auth.user if p.auth else "-"),
    ["name", "https port", "camera", "login"]))
proxy.add_command(_remove_command("proxies", "proxy", "Remove camera proxy NAME."))
