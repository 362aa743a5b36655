"""Apply module `web`: the appliance's HTTPS server (nginx site), the certificate made at
boot when missing (ctsys-cert.service), and whether nginx is enabled at all.

nginx also runs the relays (`relay` module): it is enabled when the web server is on or
the document has relays, and the site is checked with `nginx -t` together with them.
"""

from __future__ import annotations

from pathlib import Path

from ctsys.apply.module import ApplyContext, FileSpec, Module
from ctsys.net import activate
from ctsys.net.apply_modules import check_nginx
from ctsys.net.host import NetHost
from ctsys.run import run
from ctsys.web import site


def activate_web(ctx: ApplyContext) -> None:
    """Running system: systemd rereads the units, nginx serves the new site (or drops it).

    Starting and stopping nginx for good is the `services` module's (which comes after):
    it enables nginx when the web server is on or there are relays, and disables it otherwise.
    """
    host = NetHost.current()
    if not host.systemd:
        activate.nginx_in_namespace(Path(ctx.root), ctx.doc, host, start=site.nginx_wanted(ctx.doc))
        return
    if any(target.startswith("/etc/systemd/") for target in ctx.changed):
        run(["systemctl", "daemon-reload"], timeout=120)
    if site.nginx_wanted(ctx.doc):
        run(["systemctl", "reload-or-restart", site.NGINX_UNIT], timeout=60)


MODULES = [
    Module(
        name="web",
        sections=("services", "system", "network"),
        description="HTTPS web server (nginx; HTTP redirects), appliance certificate made at boot when missing",
        files=(
            FileSpec(site.SITE_FILE, "etc/nginx/conf.d/ctsys-web.conf.j2", when=site.web_enabled),
            FileSpec(site.CERT_REQUEST_FILE, "etc/ctsys/tls/self-signed.cnf.j2"),
            FileSpec(site.CERT_UNIT_FILE, f"etc/systemd/system/{site.CERT_UNIT}.j2"),
            FileSpec(site.CERT_UNIT_LINK, "etc/systemd/system/ctsys-storage-unit.link.j2", symlink=True,
                     params=(("unit", site.CERT_UNIT),)),
            FileSpec(site.NGINX_ENABLED, "etc/systemd/system/nginx.service.link.j2", symlink=True,
                     when=site.nginx_wanted),
        ),
        context=site.context,
        check=check_nginx,
        activate=activate_web,
        # After the relays: its check sees their files as they now are, and vice versa.
        after=("relay",),
    ),
]
