"""Create, import and describe the appliance certificate with openssl (through run())."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ctsys.errors import CtsysError
from ctsys.fsutil import under_root, write_atomic
from ctsys.run import run

if TYPE_CHECKING:
    from ctsys.config.document import Appliance

CERT = "/etc/ctsys/tls/appliance.crt"
KEY = "/etc/ctsys/tls/appliance.key"


@dataclass
class CertInfo:
    path: str
    subject: str
    issuer: str
    not_before: str
    not_after: str
    names: list[str]
    fingerprint_sha256: str
    self_signed: bool


# The names every appliance certificate carries besides its own (clients on the appliance itself).
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
# Validity of a self-signed certificate (ctsys cert generate, ctsys-cert.service).
SELF_SIGNED_DAYS = 3650


def appliance_names(doc: Appliance) -> list[str]:
    """What the appliance is reached by: host name, host.domain, static addresses, localhost."""
    system = doc.system
    names = [system.hostname]
    if system.domain:
        names.append(f"{system.hostname}.{system.domain}")
    for iface in doc.network.interfaces:
        names.extend(str(ipaddress.ip_interface(a).ip) for a in iface.addresses)
    return list(dict.fromkeys([*names, *LOCAL_NAMES]))


def subject_alt_names(names: list[str]) -> str:
    """The subjectAltName value for openssl: `DNS:x` for names, `IP:a` for addresses, no repeats."""
    sans = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            sans.append(f"IP:{name}")
        except ValueError:
            sans.append(f"DNS:{name}")
    return ",".join(dict.fromkeys(sans))


def request_argv(cert: Path, key: Path, common_name: str, days: int, names: list[str]) -> list[str]:
    """`openssl req` for a self-signed certificate (EC P-256: fast to make, accepted everywhere)."""
    return [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
        "-subj", f"/CN={common_name}", "-addext", "subjectAltName=" + subject_alt_names([common_name, *names]),
    ]


def throwaway(cert: Path, key: Path) -> None:
    """A certificate that only lets a checker (`nginx -t`) load a configuration."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    run(request_argv(cert, key, "check.invalid", 1, []))


def self_signed(cert: Path, key: Path, common_name: str, days: int = SELF_SIGNED_DAYS,
                names: list[str] | None = None) -> None:
    """Replace the certificate and key with a new self-signed pair (key 0600)."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    tmp_key = key.with_name(f".{key.name}.new")
    tmp_cert = cert.with_name(f".{cert.name}.new")
    run(request_argv(tmp_cert, tmp_key, common_name, days, names or []))
    os.chmod(tmp_key, 0o600)
    os.replace(tmp_key, key)
    os.replace(tmp_cert, cert)


def generate(root: Path, common_name: str, days: int, names: list[str]) -> CertInfo:
    self_signed(under_root(root, CERT), under_root(root, KEY), common_name, days, names)
    return show(root)


def import_pair(root: Path, cert_file: Path, key_file: Path) -> CertInfo:
    """Install a certificate (with its chain) and its key, after checking that they match."""
    cert_text, key_text = cert_file.read_text(), key_file.read_text()
    run(["openssl", "x509", "-noout", "-in", str(cert_file)])
    pub_cert = run(["openssl", "x509", "-noout", "-pubkey", "-in", str(cert_file)]).stdout
    pub_key = run(["openssl", "pkey", "-pubout", "-in", str(key_file)]).stdout
    if pub_cert.strip() != pub_key.strip():
        raise CtsysError(f"{key_file} is not the private key of {cert_file}")
    write_atomic(under_root(root, KEY), key_text, 0o600)
    write_atomic(under_root(root, CERT), cert_text, 0o644)
    return show(root)


def show(root: Path) -> CertInfo:
    path = under_root(root, CERT)
    if not path.exists():
        raise CtsysError("the appliance has no certificate yet", hint="create one with `ctsys cert generate`")
    out = run([
        "openssl", "x509", "-noout", "-in", str(path), "-subject", "-issuer", "-startdate", "-enddate",
        "-fingerprint", "-sha256", "-ext", "subjectAltName", "-nameopt", "RFC2253",
    ]).stdout
    fields: dict[str, str] = {}
    names: list[str] = []
    for line in out.splitlines():
        line = line.strip()
        if "=" in line and line.split("=", 1)[0] in ("subject", "issuer", "notBefore", "notAfter"):
            k, v = line.split("=", 1)
            fields[k] = v.strip()
        elif line.startswith(("sha256 Fingerprint=", "SHA256 Fingerprint=")):
            fields["fp"] = line.split("=", 1)[1]
        elif line.startswith(("DNS:", "IP Address:")):
            names = [n.strip().replace("IP Address:", "IP:") for n in line.split(",")]
    return CertInfo(
        path=CERT,
        subject=fields.get("subject", ""),
        issuer=fields.get("issuer", ""),
        not_before=fields.get("notBefore", ""),
        not_after=fields.get("notAfter", ""),
        names=names,
        fingerprint_sha256=fields.get("fp", ""),
        self_signed=fields.get("subject") == fields.get("issuer"),
    )


def ensure(root: Path, doc: Appliance) -> bool:
    """Create a self-signed certificate if there is none, as ctsys-cert.service does at boot
    (a namespace has no systemd); True when one was created."""
    if under_root(root, CERT).exists():
        return False
    self_signed(under_root(root, CERT), under_root(root, KEY), doc.system.hostname, names=appliance_names(doc))
    return True
