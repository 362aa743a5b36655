"""The `web` apply module: nginx site, certificate unit, nginx enabled only when something needs it.

Golden files: tests/fixtures/web-golden/<fixture>/ (UPDATE_GOLDEN=1 rewrites them after an
intended change).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ctsys.apply import render
from ctsys.apply.module import ApplyContext, StagedFiles
from ctsys.apply.registry import all_modules
from ctsys.cert import tls
from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.net import relay
from ctsys.services.apply_modules import MODULES as SERVICE_MODULES
from ctsys.services.apply_modules import activate_services
from ctsys.web import site
from ctsys.web.apply_modules import MODULES, activate_web
from tests.tools import match_golden

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"
GOLDEN = FIXTURES / "web-golden"
[WEB] = MODULES
FORWARD = "network: {forwards: [{name: a, port: 8000, target: 10.0.0.5, target_port: 80}]}\n"


def files(doc: Appliance) -> dict[str, str | None]:
    return render.render_module(WEB, doc)


@pytest.mark.parametrize("fixture", ["default.yaml", "network-full.yaml", "system-custom.yaml"])
def test_renders_match_golden_files(fixture: str) -> None:
    doc = document.parse((FIXTURES / fixture).read_text())
    out = GOLDEN / Path(fixture).stem
    for target, text in files(doc).items():
        match_golden(out, target, text)


def test_default_site_serves_https_on_443_and_redirects_80() -> None:
    conf = files(document.defaults())[site.SITE_FILE] or ""
    for listen in ("listen 443 ssl;", "listen [::]:443 ssl;", "listen 80;", "listen [::]:80;"):
        assert listen in conf
    assert "return 301 https://$host$request_uri;" in conf
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    assert f"ssl_certificate {relay.CERT_FILE};" in conf and f"ssl_certificate_key {relay.KEY_FILE};" in conf
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in conf
    assert 'add_header X-Content-Type-Options "nosniff" always;' in conf
    # The landing page names the appliance.
    assert "<h1>ct-server</h1>" in conf and "CT-Server" in conf


def test_other_ports_and_the_fqdn_follow_the_document() -> None:
    doc = document.parse("system: {hostname: rec-7, domain: site.example}\n"
                         "services: {web: {https_port: 8443, http_port: 8080}}")
    conf = files(doc)[site.SITE_FILE] or ""
    assert "listen 8443 ssl;" in conf and "listen [::]:8080;" in conf
    assert "listen 443" not in conf and "listen 80;" not in conf
    assert "return 301 https://$host:8443$request_uri;" in conf
    assert "<h1>rec-7.site.example</h1>" in conf


def test_no_weak_protocol_or_cipher_is_offered() -> None:
    conf = files(document.defaults())[site.SITE_FILE] or ""
    line = next(line for line in conf.splitlines() if "ssl_ciphers" in line)
    suites = line.split()[1].rstrip(";").split(":")
    assert len(suites) >= 4
    for suite in suites:  # forward secrecy (ECDHE) and AEAD only
        assert suite.startswith("ECDHE-") and ("-GCM-" in suite or suite.endswith("CHACHA20-POLY1305")), suite
    assert "TLSv1.1" not in conf and "TLSv1 " not in conf and "SSLv3" not in conf


def test_web_disabled_renders_no_site_and_disables_nginx_without_relays() -> None:
    out = files(document.parse("services: {web: {enabled: false}}"))
    assert out[site.SITE_FILE] is None
    assert out[site.NGINX_ENABLED] is None
    # The certificate unit stays: the relays (and a later web server) need it.
    assert out[site.CERT_UNIT_FILE] is not None and out[site.CERT_UNIT_LINK] == site.CERT_UNIT_FILE


def test_relays_keep_nginx_enabled_when_web_is_off() -> None:
    out = files(document.parse("services: {web: {enabled: false}}\n" + FORWARD))
    assert out[site.SITE_FILE] is None
    assert out[site.NGINX_ENABLED] == site.NGINX_UNIT_PATH
    preset = render.render_module(SERVICE_MODULES[0], document.parse("services: {web: {enabled: false}}\n" + FORWARD))
    assert "enable nginx.service" in (preset["/etc/systemd/system-preset/10-ctsys.preset"] or "")
    preset = render.render_module(SERVICE_MODULES[0], document.parse("services: {web: {enabled: false}}"))
    assert "disable nginx.service" in (preset["/etc/systemd/system-preset/10-ctsys.preset"] or "")


def test_certificate_names_from_the_document() -> None:
    doc = document.parse(
        "system: {hostname: rec-7, domain: site.example}\n"
        "network:\n  interfaces:\n"
        "    - {name: eth0, role: management, addresses: [10.10.0.2/24, 'fd00:10::2/64']}\n"
        "    - {name: eth1, role: corporate, dhcp4: true}\n")
    assert tls.appliance_names(doc) == ["rec-7", "rec-7.site.example", "10.10.0.2", "fd00:10::2",
                                        "localhost", "127.0.0.1", "::1"]
    request = files(doc)[site.CERT_REQUEST_FILE] or ""
    assert "CN = rec-7\n" in request
    assert ("subjectAltName = DNS:rec-7,DNS:rec-7.site.example,IP:10.10.0.2,IP:fd00:10::2,"
            "DNS:localhost,IP:127.0.0.1,IP:::1\n") in request
    # No domain, DHCP only: the host name and the local names.
    assert tls.appliance_names(document.defaults()) == ["ct-server", "localhost", "127.0.0.1", "::1"]


def test_certificate_unit_runs_only_when_the_certificate_is_missing_before_nginx() -> None:
    unit = files(document.defaults())[site.CERT_UNIT_FILE] or ""
    assert "ConditionPathExists=!/etc/ctsys/tls/appliance.crt\n" in unit
    assert "Before=nginx.service\n" in unit and "WantedBy=nginx.service\n" in unit
    assert "Type=oneshot\n" in unit and "UMask=0077\n" in unit
    starts = [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart=")]
    # openssl alone (no Python at boot), from the rendered request, then renamed into place, key first.
    assert starts[1].startswith(f"/usr/bin/openssl req -x509 -config {site.CERT_REQUEST_FILE} ")
    assert "ec_paramgen_curve:prime256v1" in starts[1]
    assert starts[-2:] == ["/bin/mv -f /etc/ctsys/tls/.appliance.key.new /etc/ctsys/tls/appliance.key",
                           "/bin/mv -f /etc/ctsys/tls/.appliance.crt.new /etc/ctsys/tls/appliance.crt"]
    assert "%" not in unit  # systemd would expand it


def test_check_includes_the_installed_relays(tmp_path: Path, fake_run: Any) -> None:
    """The web site is checked with the relay files already in the tree, with a throw-away cert."""
    from ctsys.apply.checkers import CheckSystem
    from ctsys.net.apply_modules import check_nginx

    tree = tmp_path / "tree"
    installed = tree / relay.PROXY_FILE.lstrip("/")
    installed.parent.mkdir(parents=True)
    installed.write_text("server { listen 8443 ssl; }\n")
    rendered = files(document.defaults())
    staged = StagedFiles(tmp_path / "staged", rendered, CheckSystem(tree, as_root=False))
    site_file = staged.path(site.SITE_FILE)
    site_file.parent.mkdir(parents=True)
    site_file.write_text(rendered[site.SITE_FILE] or "")
    check_nginx(staged)
    conf = (staged.root / "run/nginx.conf").read_text()
    assert f"include {staged.root}/run/ctsys-web.conf;" in conf
    assert f"include {staged.root}/run/ctsys-camera-proxy.conf;" in conf
    assert f"ssl_certificate {staged.root}{relay.CERT_FILE};" in (staged.root / "run/ctsys-web.conf").read_text()
    commands = fake_run.commands()
    assert any(c.startswith("openssl req -x509") and "check.invalid" in c for c in commands)
    assert commands[-1].startswith("nginx -t -q -e ") and commands[-1].endswith(f"-c {staged.root}/run/nginx.conf")


def test_check_in_an_image_tree_uses_the_tree_s_nginx_and_openssl(tmp_path: Path, fake_run: Any) -> None:
    """The image build host has neither: both run in the rootfs by chroot."""
    from ctsys.apply.checkers import CheckSystem
    from ctsys.net.apply_modules import check_nginx

    tree = tmp_path / "rootfs"
    for tool in ("usr/sbin/nginx", "usr/bin/openssl"):
        (tree / tool).parent.mkdir(parents=True, exist_ok=True)
        (tree / tool).write_text("#!/bin/sh\n")
    (tree / "tmp").mkdir()
    rendered = files(document.defaults())
    staged = StagedFiles(tree / "tmp/ctsys-check-web-x", rendered, CheckSystem(tree, as_root=True))
    staged.path(site.SITE_FILE).parent.mkdir(parents=True)
    staged.path(site.SITE_FILE).write_text(rendered[site.SITE_FILE] or "")
    check_nginx(staged)
    openssl, nginx = fake_run.commands()[-2:]
    assert openssl.startswith(f"chroot {tree} /usr/bin/openssl req -x509 ")
    assert f"-keyout /tmp/ctsys-check-web-x{relay.KEY_FILE}" in openssl
    assert nginx.startswith(f"chroot {tree} /usr/sbin/nginx -t ")
    assert nginx.endswith("-c /tmp/ctsys-check-web-x/run/nginx.conf")


def test_check_is_skipped_when_no_nginx_file_remains(tmp_path: Path, fake_run: Any) -> None:
    from ctsys.apply.checkers import CheckSystem
    from ctsys.net.apply_modules import check_nginx

    rendered = files(document.parse("services: {web: {enabled: false}}"))
    check_nginx(StagedFiles(tmp_path / "staged", rendered, CheckSystem(tmp_path / "empty", as_root=False)))
    assert fake_run.calls == []


def context(tmp_path: Path, text: str, changed: list[str]) -> ApplyContext:
    return ApplyContext(tmp_path, document.parse(text), WEB, changed)


def test_activation_reloads_nginx_and_systemd_when_units_changed(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CTSYS_NET_NETNS", raising=False)
    activate_web(context(tmp_path, "version: 1", [site.CERT_UNIT_FILE, site.SITE_FILE]))
    assert fake_run.commands() == ["systemctl daemon-reload", "systemctl reload-or-restart nginx.service"]
    fake_run.calls.clear()
    activate_web(context(tmp_path, "services: {web: {enabled: false}}", [site.SITE_FILE]))
    assert fake_run.commands() == []  # nothing needs nginx: the services module stops it


@pytest.mark.parametrize(("text", "verb"), [
    ("services: {web: {enabled: false}}", "disable"),
    ("services: {web: {enabled: false}}\n" + FORWARD, "enable"),
    ("version: 1", "enable"),
])
def test_services_module_enables_nginx_for_the_web_server_or_the_relays(
    tmp_path: Path, fake_run: Any, text: str, verb: str
) -> None:
    activate_services(ApplyContext(tmp_path, document.parse(text), SERVICE_MODULES[0]))
    assert f"systemctl {verb} --now nginx.service" in fake_run.commands()


def test_web_comes_after_the_relays_and_before_services() -> None:
    names = [m.name for m in all_modules()]
    assert names.index("relay") < names.index("web") < names.index("services")


def test_image_clean_removes_the_certificate_but_not_its_request(tmp_path: Path) -> None:
    from image.stages.clean import REMOVE, strip

    tls_dir = tmp_path / "etc/ctsys/tls"
    tls_dir.mkdir(parents=True)
    for name in ("appliance.crt", "appliance.key", ".appliance.key.new", "self-signed.cnf"):
        (tls_dir / name).write_text("x")
    strip(tmp_path, tuple(p for p in REMOVE if p.startswith("etc/ctsys")))
    assert sorted(p.name for p in tls_dir.iterdir()) == ["self-signed.cnf"]
