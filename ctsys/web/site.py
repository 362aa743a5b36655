"""What the `web` module renders: the nginx site, the certificate made at boot, nginx enabled or not."""

from __future__ import annotations

from ctsys.cert import tls
from ctsys.config.document import Appliance
from ctsys.net import relay

SITE_FILE = relay.WEB_FILE
CERT_UNIT = "ctsys-cert.service"
CERT_UNIT_FILE = f"/etc/systemd/system/{CERT_UNIT}"
# The cert unit is pulled in by every start of nginx (and ordered before it).
CERT_UNIT_LINK = f"/etc/systemd/system/nginx.service.wants/{CERT_UNIT}"
# The openssl request the unit reads: rendered from the document, read when the unit runs, so a
# host name set at first boot (ctsys-seed.service, no daemon-reload) is in the certificate.
CERT_REQUEST_FILE = "/etc/ctsys/tls/self-signed.cnf"
NGINX_UNIT = "nginx.service"
# Debian's nginx.service is WantedBy=multi-user.target: this link enables it.
NGINX_ENABLED = f"/etc/systemd/system/multi-user.target.wants/{NGINX_UNIT}"
NGINX_UNIT_PATH = f"/lib/systemd/system/{NGINX_UNIT}"

# TLS 1.2 suites with forward secrecy and AEAD only (Mozilla's "intermediate" list without
# DHE, which would need our own DH parameters); TLS 1.3 uses OpenSSL's own suites.
CIPHERS = ":".join([
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
])
# Sent on every response of the HTTPS server. No includeSubDomains: the appliance's domain
# is the customer's, HSTS must not spread to their other hosts.
SECURITY_HEADERS = (
    ("Strict-Transport-Security", "max-age=31536000"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
)


def nginx_wanted(doc: Appliance) -> bool:
    """nginx runs when the web server is on or the document has relays (forwards, proxies)."""
    return doc.services.web.enabled or doc.network.uses_relay()


def web_enabled(doc: Appliance) -> bool:
    return doc.services.web.enabled


def redirect_target(doc: Appliance) -> str:
    """Where plain HTTP sends a request: the same host, the HTTPS port (nginx variables)."""
    port = doc.services.web.https_port
    return "https://$host" + ("" if port == 443 else f":{port}") + "$request_uri"


def landing_page(doc: Appliance) -> str:
    """The page served at / until the web UI exists: one line, no quote nginx would trip on."""
    system = doc.system
    fqdn = f"{system.hostname}.{system.domain}" if system.domain else system.hostname
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{fqdn} - CT-Server</title></head><body>"
        f"<h1>{fqdn}</h1><p>This is a CT-Server video recording appliance.</p>"
        "<p>It is managed over SSH with <code>ctsys</code>; the web interface comes in a later version.</p>"
        "</body></html>"
    )


def context(doc: Appliance) -> dict[str, object]:
    return {
        "web": doc.services.web,
        "cert": relay.CERT_FILE,
        "key": relay.KEY_FILE,
        "ciphers": CIPHERS,
        "headers": SECURITY_HEADERS,
        "redirect": redirect_target(doc),
        "page": landing_page(doc),
        "cert_cn": doc.system.hostname,
        "cert_sans": tls.subject_alt_names(tls.appliance_names(doc)),
        "cert_days": tls.SELF_SIGNED_DAYS,
        "cert_request": CERT_REQUEST_FILE,
        "cert_unit": CERT_UNIT,
        "nginx_unit_path": NGINX_UNIT_PATH,
    }
