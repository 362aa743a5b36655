"""`ctsys cert import` with the real openssl: a CA, an intermediate and leaves made in a tmp dir.

Every refusal names the file and the reason, exits non-zero and leaves the previous
certificate and key byte-identical; warnings go to stderr and into --json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tools import require, sh

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
HOST, DOMAIN = "rec-7", "site.example"
EXTENSIONS = """
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {names}
"""


@dataclass
class Pki:
    dir: Path

    def key_and_csr(self, name: str, cn: str) -> tuple[Path, Path]:
        key, csr = self.dir / f"{name}.key", self.dir / f"{name}.csr"
        sh("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={cn}")
        return key, csr

    def root_ca(self, name: str, cn: str) -> Path:
        key, csr = self.key_and_csr(name, cn)
        cert = self.dir / f"{name}.crt"
        sh("openssl", "x509", "-req", "-in", str(csr), "-key", str(key), "-days", "3650", "-out", str(cert),
           "-extfile", str(self.extensions("DNS:unused")), "-extensions", "ca")
        return cert

    def issue(self, name: str, cn: str, issuer: str, days: int = 365, ca: bool = False,
              names: str = f"DNS:{HOST}.{DOMAIN}, DNS:{HOST}") -> Path:
        _key, csr = self.key_and_csr(name, cn)
        cert = self.dir / f"{name}.crt"
        sh("openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.dir / f"{issuer}.crt"),
           "-CAkey", str(self.dir / f"{issuer}.key"), "-CAcreateserial", "-days", str(days), "-out", str(cert),
           "-extfile", str(self.extensions(names)), "-extensions", "ca" if ca else "leaf")
        return cert

    def extensions(self, names: str) -> Path:
        path = self.dir / "ext.cnf"
        path.write_text(EXTENSIONS.format(names=names))
        return path

    def bundle(self, name: str, *certs: str) -> Path:
        path = self.dir / f"{name}.pem"
        path.write_text("".join((self.dir / f"{c}.crt").read_text() for c in certs))
        return path


@pytest.fixture(scope="module")
def pki() -> Iterator[Pki]:
    require("openssl")
    tmp = Path(tempfile.mkdtemp(prefix="ctsys-pki-"))
    try:
        pki = Pki(tmp)
        pki.root_ca("root", "Test Root CA")
        pki.issue("inter", "Test Intermediate CA", "root", ca=True)
        pki.issue("leaf", f"{HOST}.{DOMAIN}", "inter")
        pki.issue("soon", f"{HOST}.{DOMAIN}", "inter", days=10)
        pki.issue("expired", f"{HOST}.{DOMAIN}", "inter", days=0)
        pki.issue("other", "other.example", "inter", names="DNS:other.example, DNS:*.other.example")
        pki.issue("wild", f"*.{DOMAIN}", "inter", names=f"DNS:*.{DOMAIN}")
        pki.root_ca("stranger", "Unrelated CA")
        # Same name as the real intermediate, another key: a forged link of the chain.
        pki.root_ca("fake-inter", "Test Intermediate CA")
        yield pki
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def root() -> Iterator[Path]:
    """An appliance tree named rec-7.site.example with a self-signed certificate already in place."""
    tmp = Path(tempfile.mkdtemp(prefix="ctsys-cert-root-"))
    try:
        doc = tmp / "doc.yaml"
        doc.write_text(f"version: 1\nsystem: {{hostname: {HOST}, domain: {DOMAIN}}}\n")
        tree = tmp / "root"
        assert ctsys(tree, "config", "import", str(doc), "--no-apply").returncode == 0
        assert ctsys(tree, "cert", "generate").returncode == 0
        yield tree
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ctsys(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "ctsys.cli", "--root", str(tree), *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def installed(tree: Path) -> tuple[bytes, bytes]:
    tls = tree / "etc/ctsys/tls"
    return (tls / "appliance.crt").read_bytes(), (tls / "appliance.key").read_bytes()


def subjects(pem: Path) -> list[str]:
    """The subjects of every certificate of a PEM file, in file order."""
    out = sh("openssl", "crl2pkcs7", "-nocrl", "-certfile", str(pem))
    text = subprocess.run(["openssl", "pkcs7", "-print_certs", "-noout"], input=out, capture_output=True,
                          text=True, check=True).stdout
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith("subject=")]


def refused(tree: Path, cert: Path, key: Path, *reason: str) -> str:
    before = installed(tree)
    result = ctsys(tree, "cert", "import", str(cert), str(key))
    assert result.returncode != 0, result.stdout
    for part in reason:
        assert part in result.stderr, result.stderr
    assert installed(tree) == before, "a refused import changed the installed certificate or key"
    return result.stderr


def test_a_chain_in_order_is_installed_and_verifies(pki: Pki, root: Path) -> None:
    chain = pki.bundle("in-order", "leaf", "inter")
    result = ctsys(root, "cert", "import", str(chain), str(pki.dir / "leaf.key"), "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["warnings"] == [] and info["reordered"] is False
    assert info["chain"] == [f"CN={HOST}.{DOMAIN}", "CN=Test Intermediate CA"]
    assert "warning" not in result.stderr
    crt = root / "etc/ctsys/tls/appliance.crt"
    assert subjects(crt) == [f"CN = {HOST}.{DOMAIN}", "CN = Test Intermediate CA"]
    sh("openssl", "verify", "-CAfile", str(pki.dir / "root.crt"), "-untrusted", str(crt), str(crt))
    assert (root / "etc/ctsys/tls/appliance.key").stat().st_mode & 0o777 == 0o600
    assert installed(root)[1] == (pki.dir / "leaf.key").read_bytes()


def test_a_shuffled_chain_is_put_in_order(pki: Pki, root: Path) -> None:
    chain = pki.bundle("shuffled", "inter", "root", "leaf")
    result = ctsys(root, "cert", "import", str(chain), str(pki.dir / "leaf.key"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reordered"] is True
    assert subjects(root / "etc/ctsys/tls/appliance.crt") == [
        f"CN = {HOST}.{DOMAIN}", "CN = Test Intermediate CA", "CN = Test Root CA"]
    human = ctsys(root, "cert", "import", str(chain), str(pki.dir / "leaf.key"))
    assert "put in order" in human.stdout and "<- CN=Test Intermediate CA" in human.stdout


def test_a_key_that_does_not_match_is_refused(pki: Pki, root: Path) -> None:
    chain = pki.bundle("in-order", "leaf", "inter")
    key = pki.dir / "other.key"
    refused(root, chain, key, str(key), "is not the private key of any certificate in", str(chain))


def test_an_expired_certificate_is_refused(pki: Pki, root: Path) -> None:
    chain = pki.bundle("expired-chain", "expired", "inter")
    refused(root, chain, pki.dir / "expired.key", str(chain), "certificate 1", "expired on")


def test_one_expiring_within_30_days_is_accepted_with_a_warning(pki: Pki, root: Path) -> None:
    chain = pki.bundle("soon-chain", "soon", "inter")
    result = ctsys(root, "cert", "import", str(chain), str(pki.dir / "soon.key"), "--json")
    assert result.returncode == 0, result.stderr
    [warning] = json.loads(result.stdout)["warnings"]
    assert "expires on" in warning and "renew it soon" in warning
    assert f"warning: {warning}" in result.stderr
    assert installed(root)[1] == (pki.dir / "soon.key").read_bytes()


def test_names_without_the_host_name_give_a_warning(pki: Pki, root: Path) -> None:
    chain = pki.bundle("other-chain", "other", "inter")
    result = ctsys(root, "cert", "import", str(chain), str(pki.dir / "other.key"))
    assert result.returncode == 0, result.stderr
    assert f"do not include the host name {HOST} or {HOST}.{DOMAIN}" in result.stderr
    # A wildcard for the domain covers host.domain: no warning.
    wild = ctsys(root, "cert", "import", str(pki.bundle("wild-chain", "wild", "inter")), str(pki.dir / "wild.key"))
    assert wild.returncode == 0 and "warning" not in wild.stderr, wild.stderr


def test_a_certificate_outside_the_chain_is_refused(pki: Pki, root: Path) -> None:
    chain = pki.bundle("stray", "leaf", "stranger", "inter")
    refused(root, chain, pki.dir / "leaf.key", str(chain), "certificate 2 (CN=Unrelated CA) is not in the chain")


def test_a_forged_issuer_is_refused(pki: Pki, root: Path) -> None:
    chain = pki.bundle("forged", "leaf", "fake-inter")
    refused(root, chain, pki.dir / "leaf.key", str(chain), "certificate 1", "is not signed by certificate 2")


def test_files_that_are_not_pem_are_refused(pki: Pki, root: Path) -> None:
    chain = pki.bundle("in-order", "leaf", "inter")
    junk = pki.dir / "junk.txt"
    junk.write_text("not a certificate\n")
    refused(root, junk, pki.dir / "leaf.key", str(junk), "no certificate in it")
    # The key where the certificate should be, and the certificate where the key should be.
    refused(root, chain, pki.dir / "leaf.crt", str(pki.dir / "leaf.crt"), "not an unencrypted private key")
    encrypted = pki.dir / "leaf-encrypted.key"
    sh("openssl", "pkey", "-in", str(pki.dir / "leaf.key"), "-aes256", "-passout", "pass:secret",
       "-out", str(encrypted))
    refused(root, chain, encrypted, str(encrypted), "not an unencrypted private key")
