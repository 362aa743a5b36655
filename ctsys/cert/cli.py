"""`ctsys cert ...`: the appliance's TLS certificate."""

from __future__ import annotations

from pathlib import Path

import click

from ctsys.cli import Obj
from ctsys.output import emit, json_option


def _human(info: object) -> str:
    from ctsys.cert.tls import CertInfo

    assert isinstance(info, CertInfo)
    kind = "self-signed" if info.self_signed else f"issued by {info.issuer}"
    return "\n".join([
        f"certificate  {info.path} ({kind})",
        f"subject      {info.subject}",
        f"names        {', '.join(info.names) or '-'}",
        f"valid        {info.not_before} .. {info.not_after}",
        f"sha256       {info.fingerprint_sha256}",
    ])


@click.group()
def cert() -> None:
    """The appliance's TLS certificate (/etc/ctsys/tls/appliance.crt).

    The web server and the camera admin proxy (`ctsys net proxy`) present it.
    Generate a self-signed one, or import one issued by your certificate
    authority; the private key never leaves the appliance.
    """


@cert.command("show")
@json_option
@click.pass_obj
def show_cmd(obj: Obj, as_json: bool) -> None:
    """Subject, names, validity and fingerprint of the certificate.

    JSON keys: path, subject, issuer, not_before, not_after, names, fingerprint_sha256, self_signed.
    """
    from ctsys.cert import tls

    emit(tls.show(Path(obj.root)), as_json, _human)


@cert.command("generate")
@click.option("--name", "names", multiple=True, metavar="NAME",
              help="Extra DNS name or IP address in the certificate (repeatable).")
@click.option("--days", default=3650, show_default=True, type=click.IntRange(1, 36500), help="Validity.")
@click.option("--common-name", metavar="CN", help="Subject name; default: the appliance's host name.")
@json_option
@click.pass_obj
def generate_cmd(obj: Obj, names: tuple[str, ...], days: int, common_name: str | None, as_json: bool) -> None:
    """Create a new self-signed certificate (EC P-256), replacing the current one.

    Run `ctsys apply --only relay --force` afterwards so nginx presents it.
    """
    from ctsys import journal
    from ctsys.cert import tls
    from ctsys.config.store import ConfigStore

    cn = common_name or ConfigStore(obj.root).load().system.hostname
    info = tls.generate(Path(obj.root), cn, days, list(names))
    journal.record(obj.root, "cert.generate", "ok", {"subject": info.subject})
    emit(info, as_json, _human)


@cert.command("import")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@click.pass_obj
def import_cmd(obj: Obj, certificate: Path, key: Path, as_json: bool) -> None:
    """Install CERTIFICATE (PEM, with its chain) and its private KEY (PEM).

    The key must match the certificate; nothing is changed otherwise.
    """
    from ctsys import journal
    from ctsys.cert import tls

    info = tls.import_pair(Path(obj.root), certificate, key)
    journal.record(obj.root, "cert.import", "ok", {"subject": info.subject})
    emit(info, as_json, _human)
