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

    The web server (HTTPS on services.web.https_port) and the camera admin
    proxy (`ctsys net proxy`) present it. Each appliance makes its own
    self-signed one at first boot (ctsys-cert.service, when the file is
    missing); generate a new one, or import one issued by your certificate
    authority. The private key never leaves the appliance.
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

    Its names are those ctsys-cert.service uses at first boot: the host name,
    host.domain, the static addresses of the interfaces, localhost, 127.0.0.1
    and ::1, plus each --name. On the running system nginx is reloaded so the
    web server and the camera proxy present it.
    """
    from ctsys import journal
    from ctsys.cert import tls
    from ctsys.config.store import ConfigStore

    doc = ConfigStore(obj.root).load()
    cn = common_name or doc.system.hostname
    info = tls.generate(Path(obj.root), cn, days, [*tls.appliance_names(doc), *names])
    journal.record(obj.root, "cert.generate", "ok", {"subject": info.subject})
    _reload_nginx(obj)
    emit(info, as_json, _human)


def _reload_nginx(obj: Obj) -> None:
    """The running system's nginx presents the new certificate (if it runs)."""
    if obj.live:
        from ctsys.run import run

        run(["systemctl", "try-reload-or-restart", "nginx.service"], timeout=60, check=False)


def _human_import(result: object) -> str:
    from ctsys.cert.tls import ImportResult

    assert isinstance(result, ImportResult)
    lines = [_human(result.info), f"chain        {' <- '.join(result.chain)}"]
    if result.reordered:
        lines.append("note         the file's certificates were put in order: the key's certificate first, "
                     "then each issuer")
    return "\n".join(lines)


@cert.command("import")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@click.pass_obj
def import_cmd(obj: Obj, certificate: Path, key: Path, as_json: bool) -> None:
    """Install CERTIFICATE (PEM, with its chain) and its private KEY (PEM, unencrypted).

    Refused, with the file and the reason, and nothing changed: a KEY that is
    not the key of a certificate in CERTIFICATE, an expired certificate, a
    certificate of the file that is not in the chain, or a link of the chain
    not signed by the next one. The chain is written in order (the key's
    certificate first, then each issuer) whatever order the file had.
    Accepted with a warning (stderr, and "warnings" in --json): a certificate
    that expires within 30 days, or whose names do not include the host name
    (or host.domain). On the running system nginx is reloaded.

    JSON keys: those of `ctsys cert show`, plus chain (subjects, leaf first),
    reordered, warnings.
    """
    from dataclasses import asdict

    from ctsys import journal
    from ctsys.cert import tls
    from ctsys.config.store import ConfigStore

    system = ConfigStore(obj.root).load().system
    result = tls.import_pair(Path(obj.root), certificate, key, system.hostname, system.domain)
    journal.record(obj.root, "cert.import", "ok", {"subject": result.info.subject,
                                                  "warnings": "; ".join(result.warnings)})
    _reload_nginx(obj)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit({**asdict(result.info), "chain": result.chain, "reordered": result.reordered,
              "warnings": result.warnings}, True, str)
    else:
        emit(result, False, _human_import)
