"""The web server for real: the rendered site in nginx, inside the lab's appliance namespace.

The certificate is made by the commands of the rendered ctsys-cert.service (paths moved
into the test's tree), then nginx (the `web` module's namespace activation) serves:
HTTPS with that certificate on 443 over IPv4 and IPv6, TLS 1.2 and 1.3 but not 1.1,
plain HTTP answering 301 to https. With services.web.enabled false the site goes and
nginx keeps serving the relays.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ctsys.apply.module import ApplyContext
from ctsys.config.store import ConfigStore
from ctsys.net.activate import nginx_run_dir
from ctsys.run import run
from ctsys.web import site
from ctsys.web.apply_modules import MODULES, activate_web
from tests.integration.net.netlab import Lab, wait_for
from tests.integration.net.test_net_apply import activate, ctsys, setup

pytestmark = pytest.mark.integration

DOC = """
version: 1
system: {hostname: rec-7, domain: site.example}
network:
  interfaces:
    - {name: eth1, role: corporate, addresses: [10.77.1.1/24, 'fd77:1::1/64']}
    - {name: eth2, role: cameras, addresses: [10.77.2.1/24]}
  firewall: {ssh: [corporate], https: [corporate]}
"""
FQDN = "rec-7.site.example"


def make_certificate(root: Path) -> None:
    """What systemd does with ctsys-cert.service, with /etc/ctsys/tls under `root`."""
    unit = (root / site.CERT_UNIT_FILE.lstrip("/")).read_text()
    condition = re.search(r"^ConditionPathExists=!(\S+)$", unit, re.M)
    assert condition is not None
    assert not (root / condition.group(1).lstrip("/")).exists(), "the unit would be skipped"
    umask = int(re.search(r"^UMask=(\d+)$", unit, re.M).group(1), 8)  # type: ignore[union-attr]
    for line in re.findall(r"^ExecStart=(.+)$", unit, re.M):
        argv = [arg.replace("/etc/ctsys/tls", f"{root}/etc/ctsys/tls") for arg in shlex.split(line)]
        subprocess.run(argv, check=True, capture_output=True, timeout=60, umask=umask)


def start_web(lab: Lab, root: Path) -> None:
    doc = ConfigStore(root).load()
    activate_web(ApplyContext(root, doc, MODULES[0], []))
    lab.watch_pidfile(nginx_run_dir(root) / "nginx.pid")


def s_client(lab: Lab, address: str, *options: str, cafile: Path | None = None) -> Any:
    argv = ["openssl", "s_client", "-connect", address, "-servername", FQDN, *options]
    if cafile is not None:
        argv += ["-CAfile", str(cafile), "-verify_return_error"]
    return run(["ip", "netns", "exec", lab.corp, *argv], input="", check=False, timeout=30)


def pem_body(text: str) -> str:
    found = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", text, re.S)
    assert found is not None, text
    return "".join(found.group(1).split())


def test_https_serves_the_appliance_certificate_and_http_redirects(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root, DOC)  # ctsys apply: the site passed `nginx -t`
    lab.ns_run(lab.corp, "ip", "-6", "addr", "add", "fd77:1::2/64", "dev", "corp0", "nodad")
    make_certificate(root)
    cert = root / "etc/ctsys/tls/appliance.crt"
    assert (root / "etc/ctsys/tls/appliance.key").stat().st_mode & 0o777 == 0o600
    text = run(["openssl", "x509", "-in", str(cert), "-noout", "-text"]).stdout
    assert "NIST CURVE: P-256" in text
    for name in ("DNS:rec-7,", f"DNS:{FQDN},", "IP Address:10.77.1.1,", "IP Address:FD77:1:0:0:0:0:0:1,",
                 "DNS:localhost,", "IP Address:127.0.0.1,", "IP Address:0:0:0:0:0:0:0:1"):
        assert name in text, name
    start_web(lab, root)
    assert wait_for(lambda: lab.connects(lab.corp, "10.77.1.1", 443), 10), "nginx does not listen on 443"

    # HTTPS, verified against the appliance certificate by name, IPv4 and IPv6 address.
    page = lab.curl(lab.corp, "--cacert", str(cert), "-D", "-", "--resolve", f"{FQDN}:443:10.77.1.1",
                    f"https://{FQDN}/")
    assert page.returncode == 0, page.stderr
    assert "HTTP/1.1 200" in page.stdout and f"<h1>{FQDN}</h1>" in page.stdout and "CT-Server" in page.stdout
    headers = page.stdout.lower()
    assert "strict-transport-security: max-age=31536000" in headers
    assert "x-content-type-options: nosniff" in headers and "x-frame-options: deny" in headers
    assert "server: nginx\n" in headers  # no version
    for url in ("https://10.77.1.1/", "https://[fd77:1::1]/"):
        out = lab.curl(lab.corp, "--cacert", str(cert), "-o", "/dev/null", "-w", "%{http_code}", url)
        assert out.stdout == "200", (url, out.stderr)
    missing = lab.curl(lab.corp, "--cacert", str(cert), "-o", "/dev/null", "-w", "%{http_code}",
                       "https://10.77.1.1/nothing-here")
    assert missing.stdout == "404"

    # The certificate nginx presents is the appliance's, and it verifies.
    tls12 = s_client(lab, "10.77.1.1:443", "-tls1_2", cafile=cert)
    assert tls12.returncode == 0, tls12.stderr
    assert "Protocol  : TLSv1.2" in tls12.stdout and pem_body(tls12.stdout) == pem_body(cert.read_text())
    tls13 = s_client(lab, "[fd77:1::1]:443", "-tls1_3", cafile=cert)
    assert tls13.returncode == 0 and "TLSv1.3" in tls13.stdout, tls13.stderr
    # TLS 1.1 is refused by the server: the same client does speak it (control below).
    old = s_client(lab, "10.77.1.1:443", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert old.returncode != 0 and "Cipher is (NONE)" in old.stdout, old.stdout
    key = root / "etc/ctsys/tls/appliance.key"
    control = lab.start(lab.corp, ["openssl", "s_server", "-accept", "127.0.0.1:4433", "-www", "-tls1_1",
                                   "-cipher", "DEFAULT:@SECLEVEL=0", "-cert", str(cert), "-key", str(key)],
                        tmp_path / "s_server.log")
    assert wait_for(lambda: lab.connects(lab.corp, "127.0.0.1", 4433), 10), "control TLS 1.1 server not up"
    spoken = s_client(lab, "127.0.0.1:4433", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert spoken.returncode == 0 and "Protocol  : TLSv1.1" in spoken.stdout, spoken.stdout + spoken.stderr
    os.kill(control.pid, 15)

    # Plain HTTP: 301 to the same host on https, path and query kept; nothing else served.
    for url, target in (("http://10.77.1.1/a/b?c=1", "https://10.77.1.1/a/b?c=1"),
                        ("http://[fd77:1::1]/", "https://[fd77:1::1]/")):
        out = lab.curl(lab.corp, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", url)
        assert out.stdout == f"301 {target}", (url, out.stdout, out.stderr)
    named = lab.curl(lab.corp, "-o", "/dev/null", "-w", "%{redirect_url}", "-H", f"Host: {FQDN}",
                     "http://10.77.1.1/x")
    assert named.stdout == f"https://{FQDN}/x"
    # The firewall admits HTTPS from the roles of network.firewall.https only.
    assert not lab.connects(lab.cam, "10.77.2.1", 443)


def test_web_off_drops_the_site_and_keeps_nginx_for_the_relays(lab: Lab, tmp_path: Path) -> None:
    root = tmp_path / "root"
    setup(lab, root, DOC)
    lab.http_server(lab.cam, "10.77.2.2", 80, "cam3", tmp_path / "cam.log")
    ctsys(root, "net", "forward", "add", "cam3-http", "--port", "8080", "--to", "10.77.2.2:80")
    (root / "etc/ctsys/tls/appliance.crt").unlink(missing_ok=True)
    activate(lab, root)  # firewall opens 8080; the relay starts nginx
    # There was no certificate: made before nginx started, as ctsys-cert.service does.
    assert (root / "etc/ctsys/tls/appliance.crt").exists()
    assert wait_for(lambda: lab.connects(lab.srv, "127.0.0.1", 443), 10)

    ctsys(root, "config", "set", "services.web.enabled", "false", "--no-apply")
    ctsys(root, "apply")
    assert not (root / site.SITE_FILE.lstrip("/")).exists()
    # nginx stays enabled for the forward.
    assert os.readlink(root / site.NGINX_ENABLED.lstrip("/")) == site.NGINX_UNIT_PATH
    activate(lab, root)
    start_web(lab, root)
    assert wait_for(lambda: not lab.connects(lab.srv, "127.0.0.1", 443), 10), "the site is still served"
    out = lab.curl(lab.corp, "http://10.77.1.1:8080/fwd")
    assert out.stdout == "camera cam3 path /fwd", out.stderr
