"""Create, import and describe the appliance certificate with openssl (through run())."""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ctsys.errors import CommandError, CtsysError
from ctsys.fsutil import fsync_dir, under_root
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


def request_argv(cert: Path | str, key: Path | str, common_name: str, days: int, names: list[str]) -> list[str]:
    """`openssl req` for a self-signed certificate (EC P-256: fast to make, accepted everywhere)."""
    return [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(days),
        "-subj", f"/CN={common_name}", "-addext", "subjectAltName=" + subject_alt_names([common_name, *names]),
    ]


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


# An imported certificate that expires sooner than this is accepted with a warning.
EXPIRY_WARNING_DAYS = 30
PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


@dataclass
class ImportResult:
    info: CertInfo
    chain: list[str]  # subjects, leaf first
    reordered: bool  # the file did not have the leaf first, then each issuer
    warnings: list[str]


@dataclass
class ChainCert:
    """One certificate of an imported file (position counted from 1, as the message says)."""

    position: int
    pem: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    names: list[str]
    public_key: str

    @property
    def label(self) -> str:
        return f"certificate {self.position} ({self.subject})"


def _parse_date(value: str) -> datetime:
    return datetime.strptime(value, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)


def _x509_fields(out: str) -> tuple[dict[str, str], list[str]]:
    """`openssl x509 -subject -issuer -startdate -enddate -fingerprint -ext subjectAltName` output."""
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
    return fields, names


def _error_line(exc: CommandError) -> str:
    lines = [line.strip() for line in exc.stderr.splitlines() if line.strip()]
    return lines[0] if lines else f"openssl exited with status {exc.returncode}"


def read_chain(cert_file: Path) -> list[ChainCert]:
    """Every certificate of a PEM file, parsed by openssl; errors name the file and the certificate."""
    try:
        text = cert_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CtsysError(f"{cert_file}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    blocks = PEM_CERT.findall(text)
    if not blocks:
        raise CtsysError(f"{cert_file}: no certificate in it (PEM, -----BEGIN CERTIFICATE-----)")
    chain = []
    for position, pem in enumerate(blocks, 1):
        try:
            out = run(["openssl", "x509", "-noout", "-subject", "-issuer", "-startdate", "-enddate",
                       "-nameopt", "RFC2253", "-ext", "subjectAltName", "-pubkey"], input=pem + "\n").stdout
        except CommandError as exc:
            raise CtsysError(f"{cert_file}: certificate {position} is not a valid X.509 certificate "
                             f"({_error_line(exc)})") from None
        fields, names = _x509_fields(out)
        key = out[out.find("-----BEGIN PUBLIC KEY-----"):].strip()
        chain.append(ChainCert(position, pem, fields.get("subject", ""), fields.get("issuer", ""),
                               _parse_date(fields["notBefore"]), _parse_date(fields["notAfter"]), names, key))
    return chain


def order_chain(cert_file: Path, certs: list[ChainCert], leaf: ChainCert) -> list[ChainCert]:
    """Leaf first, then the certificate that issued it, and so on; any other one is refused."""
    ordered, rest = [leaf], [c for c in certs if c is not leaf]
    while rest and ordered[-1].subject != ordered[-1].issuer:
        issuer = next((c for c in rest if c.subject == ordered[-1].issuer), None)
        if issuer is None:
            break
        ordered.append(issuer)
        rest.remove(issuer)
    if rest:
        stray = rest[0]
        raise CtsysError(
            f"{cert_file}: {stray.label} is not in the chain of the key's certificate ({leaf.subject}): "
            f"the file must hold that certificate, then the one that issued it, and so on",
            hint="remove the certificates that do not belong to this chain",
        )
    return ordered


def verify_links(cert_file: Path, chain: list[ChainCert]) -> None:
    """Each certificate of the chain is really signed by the next one (openssl verify)."""
    if len(chain) < 2:
        return
    with tempfile.TemporaryDirectory(prefix="ctsys-cert-") as tmp:
        for cert, issuer in itertools.pairwise(chain):
            trusted = Path(tmp) / f"issuer-{issuer.position}.pem"
            trusted.write_text(issuer.pem + "\n")
            try:
                run(["openssl", "verify", "-no-CAfile", "-no-CApath", "-no-CAstore", "-partial_chain",
                     "-trusted", str(trusted)], input=cert.pem + "\n")
            except CommandError as exc:
                detail = " ".join(exc.stderr.split()) or f"openssl verify exited with status {exc.returncode}"
                raise CtsysError(
                    f"{cert_file}: {cert.label} is not signed by {issuer.label} ({detail[:200]})") from None


def name_matches(pattern: str, name: str) -> bool:
    """A DNS name of a certificate against a host name; `*.example` covers one label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, tail = name.partition(".")
        return bool(head) and tail == pattern[2:]
    return pattern == name


def check_validity(cert_file: Path, chain: list[ChainCert], now: datetime) -> list[str]:
    """Expired: refused. Not valid yet, or expiring within EXPIRY_WARNING_DAYS: a warning."""
    warnings = []
    for cert in chain:
        if cert.not_after <= now:
            raise CtsysError(f"{cert_file}: {cert.label} expired on {cert.not_after:%Y-%m-%d %H:%M} UTC",
                             hint="import a certificate that is valid today")
        if cert.not_before > now:
            warnings.append(f"{cert.label} is valid only from {cert.not_before:%Y-%m-%d %H:%M} UTC: "
                            "check the appliance's clock (ctsys time)")
        left = cert.not_after - now
        if left < timedelta(days=EXPIRY_WARNING_DAYS):
            warnings.append(f"{cert.label} expires on {cert.not_after:%Y-%m-%d %H:%M} UTC, in {left.days} day(s): "
                            "renew it soon")
    return warnings


def check_names(leaf: ChainCert, hostname: str, domain: str) -> list[str]:
    wanted = [hostname, *([f"{hostname}.{domain}"] if domain else [])]
    dns = [n[4:] for n in leaf.names if n.startswith("DNS:")]
    if not leaf.names:  # no subjectAltName: old clients look at the common name
        dns = [part[3:] for part in leaf.subject.split(",") if part.startswith("CN=")]
    if any(name_matches(pattern, name) for pattern in dns for name in wanted):
        return []
    return [f"the certificate's names ({', '.join(leaf.names) or leaf.subject}) do not include the host name "
            f"{' or '.join(wanted)}: browsers will warn unless they reach the appliance by one of those names"]


def import_pair(root: Path, cert_file: Path, key_file: Path, hostname: str, domain: str = "",
                now: datetime | None = None) -> ImportResult:
    """Install a certificate (with its chain) and its key after checking them; nothing changes on error.

    The chain is put in order (the key's certificate first, then each issuer), each link is
    verified, an expired certificate is refused; one expiring soon, or whose names do not
    include the host name, is installed with a warning.
    """
    now = now or datetime.now(UTC)
    certs = read_chain(cert_file)
    try:
        public_key = run(["openssl", "pkey", "-pubout", "-passin", "pass:", "-in", str(key_file)]).stdout.strip()
    except CommandError as exc:
        raise CtsysError(f"{key_file}: not an unencrypted private key in PEM form ({_error_line(exc)})",
                         hint="decrypt it first: openssl pkey -in KEY -out KEY.plain") from None
    leaf = next((c for c in certs if c.public_key == public_key), None)
    if leaf is None:
        raise CtsysError(f"{key_file} is not the private key of any certificate in {cert_file}: nothing was changed")
    chain = order_chain(cert_file, certs, leaf)
    warnings = check_validity(cert_file, chain, now)
    verify_links(cert_file, chain)
    warnings += check_names(leaf, hostname, domain)
    key_text = key_file.read_text()
    install_pair(root, "\n".join(c.pem for c in chain) + "\n", key_text)
    return ImportResult(show(root), [c.subject for c in chain], [c.position for c in chain] != list(
        range(1, len(certs) + 1)), warnings)


def install_pair(root: Path, cert_text: str, key_text: str) -> None:
    """Both files written beside their targets first, then renamed: a failure changes neither."""
    cert, key = under_root(root, CERT), under_root(root, KEY)
    cert.parent.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for path, text, mode in ((key, key_text, 0o600), (cert, cert_text, 0o644)):
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".import", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "w") as f:
                os.fchmod(f.fileno(), mode)
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in staged:
            os.replace(tmp, path)
        fsync_dir(cert.parent)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def show(root: Path) -> CertInfo:
    path = under_root(root, CERT)
    if not path.exists():
        raise CtsysError("the appliance has no certificate yet", hint="create one with `ctsys cert generate`")
    out = run([
        "openssl", "x509", "-noout", "-in", str(path), "-subject", "-issuer", "-startdate", "-enddate",
        "-fingerprint", "-sha256", "-ext", "subjectAltName", "-nameopt", "RFC2253",
    ]).stdout
    fields, names = _x509_fields(out)
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
