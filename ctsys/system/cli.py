"""`ctsys system ...`: host name, time zone, locale, keyboard, administrator, GUI."""

from __future__ import annotations

import click

from ctsys.cli import Obj
from ctsys.commands import apply_option, run_change
from ctsys.config.document import Appliance
from ctsys.output import emit, json_option

APPLY = apply_option()


def _set(obj: Obj, action: str, path: str, value: object, apply_now: bool) -> None:
    from ctsys.config import edit

    run_change(obj, action, lambda doc: edit.set_value(doc, path, value), apply_now)


@click.group()
def system() -> None:
    """Identity of the appliance: host name, time zone, locale, keyboard, admin account, GUI."""


@system.command("show")
@json_option
@click.pass_obj
def show(obj: Obj, as_json: bool) -> None:
    """Show the system section of the document.

    JSON keys: hostname, domain, timezone, locale, keyboard, admin{name, authorized_keys, password_hash}, gui.
    """
    from ctsys.config.store import ConfigStore

    doc = ConfigStore(obj.root).load()
    data = doc.system.model_dump(mode="json")
    data["admin"]["password_hash"] = "set" if doc.system.admin.password_hash else None
    data["gui"] = doc.services.gui.enabled

    def human(d: dict[str, object]) -> str:
        admin = d["admin"]
        assert isinstance(admin, dict)
        return "\n".join(
            [
                f"hostname  {d['hostname']}{'.' + str(d['domain']) if d['domain'] else ''}",
                f"timezone  {d['timezone']}",
                f"locale    {d['locale']}   keyboard {d['keyboard']}",
                f"admin     {admin['name']}   {len(admin['authorized_keys'])} SSH key(s)   "
                f"password {'set' if admin['password_hash'] else 'not set'}",
                f"gui       {'on' if d['gui'] else 'off'}",
            ]
        )

    emit(data, as_json, human)


# Simple settings: (command, document path, help). One generated command each.
SETTINGS = (
    ("hostname", "system.hostname", "Set the host name (letters, digits and '-'; no domain)."),
    ("domain", "system.domain", "Set the DNS domain of the appliance ('' for none)."),
    ("timezone", "system.timezone", "Set the time zone, a tz database name such as Europe/Paris (DST follows it)."),
    ("locale", "system.locale", "Set the system locale, one the image carries: en_US.UTF-8, fr_FR.UTF-8, "
     "de_DE.UTF-8, es_ES.UTF-8, it_IT.UTF-8, nl_NL.UTF-8 or C.UTF-8."),
    ("keyboard", "system.keyboard", "Set the console keyboard layout (fr, de, us, ...)."),
)


def _setting_command(name: str, path: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("value")
    @APPLY
    @click.pass_obj
    def command(obj: Obj, value: str, apply_now: bool) -> None:
        _set(obj, path, path, value, apply_now)

    return command


for _name, _path, _help in SETTINGS:
    system.add_command(_setting_command(_name, _path, _help))


@system.command("gui")
@click.argument("state", type=click.Choice(["on", "off"]))
@APPLY
@click.pass_obj
def gui(obj: Obj, state: str, apply_now: bool) -> None:
    """Switch the graphical desktop (LightDM, desktop flavour only) on or off."""
    _set(obj, "services.gui", "services.gui.enabled", state == "on", apply_now)


@system.group("admin-key")
def admin_key() -> None:
    """SSH public keys allowed to log in as the administrator."""


@admin_key.command("add")
@click.argument("key")
@APPLY
@click.pass_obj
def key_add(obj: Obj, key: str, apply_now: bool) -> None:
    """Allow KEY (the text of an id_ed25519.pub line, quoted)."""
    def add(doc: Appliance) -> Appliance:
        from ctsys.config import edit

        keys = list(doc.system.admin.authorized_keys)
        if key.strip() not in keys:
            keys.append(key.strip())
        return edit.set_value(doc, "system.admin.authorized_keys", keys)

    doc = run_change(obj, "system.admin-key.add", add, apply_now).doc
    assert doc is not None
    if doc.system.admin.authorized_keys and doc.services.ssh.password_authentication:
        _offer_key_only(obj, apply_now)


def _offer_key_only(obj: Obj, apply_now: bool) -> None:
    """The administrator has a key: offer to turn SSH password login off (asked at a terminal only)."""
    import sys

    if sys.stdin.isatty() and click.confirm(
            "The administrator has an SSH key. Turn SSH password login off (keys only)?", default=False):
        _set(obj, "services.ssh", "services.ssh.password_authentication", False, apply_now)
    else:
        click.echo("hint: SSH password login is still on; `ctsys system ssh-password off` leaves keys only",
                   err=True)


@system.command("ssh-password")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option("--force", is_flag=True, help="Turn it off even though the administrator has no SSH key.")
@APPLY
@click.pass_obj
def ssh_password(obj: Obj, state: str, force: bool, apply_now: bool) -> None:
    """Allow (on) or refuse (off) SSH password login; keys always work.

    Off is refused while the administrator has no SSH key (`ctsys system
    admin-key add`): nobody could log in over SSH any more. The console
    login keeps its password either way.
    """
    from ctsys.config.store import ConfigStore
    from ctsys.errors import CtsysError

    if state == "off" and not force and not ConfigStore(obj.root).load().system.admin.authorized_keys:
        raise CtsysError("services.ssh.password_authentication: the administrator has no SSH key; "
                         "with password login off nobody could log in over SSH",
                         hint="add one first: ctsys system admin-key add 'ssh-ed25519 AAAA...'")
    _set(obj, "services.ssh", "services.ssh.password_authentication", state == "on", apply_now)


@admin_key.command("remove")
@click.argument("index", type=int)
@APPLY
@click.pass_obj
def key_remove(obj: Obj, index: int, apply_now: bool) -> None:
    """Remove the key at INDEX (as listed by `ctsys system admin-key list`)."""
    from ctsys.config import edit

    run_change(obj, "system.admin-key.remove",
               lambda doc: edit.unset_value(doc, f"system.admin.authorized_keys[{index}]"), apply_now)


@admin_key.command("list")
@json_option
@click.pass_obj
def key_list(obj: Obj, as_json: bool) -> None:
    """List the administrator's SSH keys with their index. JSON: a list of strings."""
    from ctsys.config.store import ConfigStore

    keys = ConfigStore(obj.root).load().system.admin.authorized_keys
    emit(keys, as_json, lambda ks: "\n".join(f"{i}  {k}" for i, k in enumerate(ks)) or "no key")


@system.command("admin-password")
@click.option("--hash", "password_hash", help="A crypt(3) hash to store as is (from `mkpasswd -m yescrypt`).")
@APPLY
@click.pass_obj
def admin_password(obj: Obj, password_hash: str | None, apply_now: bool) -> None:
    """Set the administrator's password (asked twice, stored as a SHA-512 crypt hash)."""
    if password_hash is None:
        from ctsys.system.password import ask_password

        password_hash = ask_password("new password")
    _set(obj, "system.admin.password", "system.admin.password_hash", password_hash, apply_now)


@system.command("factory-reset")
@click.option("--reset-network", is_flag=True, help="Also reset the network (you may lose this SSH session).")
@click.option("--drop-admin-keys", is_flag=True, help="Also remove the administrator's SSH keys.")
@click.option("--confirm", "confirmation", metavar="HOSTNAME", help="Type the host name here instead of at the prompt.")
@click.pass_obj
def factory_reset(obj: Obj, reset_network: bool, drop_admin_keys: bool, confirmation: str | None) -> None:
    """Put the configuration back to factory defaults, then apply it.

    Recordings and data volumes are kept (the storage section is not reset);
    the network and the administrator's SSH keys are kept unless asked. The
    previous document stays in the history: `ctsys config rollback N` undoes it.
    """
    from ctsys.config.store import ConfigStore
    from ctsys.errors import CtsysError
    from ctsys.system.reset import factory_document

    hostname = ConfigStore(obj.root).load().system.hostname
    if confirmation is None:
        confirmation = click.prompt(f"This resets the configuration of {hostname}. Type its host name to confirm")
    if confirmation != hostname:
        raise CtsysError(f"confirmation {confirmation!r} does not match the host name {hostname!r}: nothing changed")
    run_change(obj, "system.factory-reset",
               lambda doc: factory_document(doc, keep_network=not reset_network, keep_admin_keys=not drop_admin_keys))


def _power(obj: Obj, verb: str, yes: bool) -> None:
    from ctsys import journal
    from ctsys.errors import CtsysError
    from ctsys.run import run

    if not obj.live:
        raise CtsysError(f"{verb} acts on the running system; it has no meaning with --root")
    if not yes:
        click.confirm(f"{verb} the appliance now? Recording stops until it is back", abort=True)
    journal.record(obj.root, f"system.{verb}", "ok")
    run(["systemctl", verb])


@system.command("reboot")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def reboot(obj: Obj, yes: bool) -> None:
    """Restart the appliance (asks first; recording stops until it is back)."""
    _power(obj, "reboot", yes)


@system.command("poweroff")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def poweroff(obj: Obj, yes: bool) -> None:
    """Shut the appliance down (asks first)."""
    _power(obj, "poweroff", yes)
