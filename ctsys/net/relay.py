"""Port forwards (nginx stream) and the camera admin proxy (nginx https), no routing involved.

The files are rendered with the appliance paths (/etc/...). `wrapper_config`
builds a stand-alone nginx.conf that includes them, and the web server's site
(the `web` module, ctsys/web), from another root: that is how the staged files
are checked (`nginx -t`) and how integration tests run nginx inside a network
namespace. One nginx serves all of them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from ctsys.config.document import Appliance

STREAM_FILE = "/etc/nginx/modules-enabled/90-ctsys-forward.conf"
PROXY_FILE = "/etc/nginx/conf.d/ctsys-camera-proxy.conf"
HTPASSWD_FILE = "/etc/nginx/ctsys-proxy.htpasswd"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"
CERT_FILE = "/etc/ctsys/tls/appliance.crt"
KEY_FILE = "/etc/ctsys/tls/appliance.key"
# The appliance's own HTTPS server (rendered by the `web` module); in the http block like the proxy.
WEB_FILE = "/etc/nginx/conf.d/ctsys-web.conf"
HTTP_FILES = (PROXY_FILE, WEB_FILE)
# Every nginx configuration file ctsys renders: a check includes them all.
NGINX_FILES = (STREAM_FILE, *HTTP_FILES)


def upstream(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ipaddress.ip_address(address).version == 6 else f"{address}:{port}"


def htpasswd_lines(doc: Appliance) -> list[str]:
    seen: dict[str, str] = {}
    for proxy in doc.network.proxies:
        if proxy.auth is not None:
            seen.setdefault(proxy.auth.user, proxy.auth.password_hash)
    return [f"{user}:{digest}" for user, digest in sorted(seen.items())]


def context(doc: Appliance) -> dict[str, object]:
    return {
        "forwards": doc.network.forwards,
        "proxies": doc.network.proxies,
        "upstream": upstream,
        "htpasswd": htpasswd_lines(doc),
        "cert": CERT_FILE,
        "key": KEY_FILE,
        "htpasswd_file": HTPASSWD_FILE,
    }


def has_forwards(doc: Appliance) -> bool:
    return bool(doc.network.forwards)


def has_proxies(doc: Appliance) -> bool:
    return bool(doc.network.proxies)


def has_auth(doc: Appliance) -> bool:
    return any(p.auth for p in doc.network.proxies)


def rooted(text: str, root: Path) -> str:
    """The configuration with its /etc/ paths moved under `root` (for checks and tests)."""
    return text.replace(" /etc/", f" {root}/etc/")


def wrapper_config(files_root: Path, run_dir: Path, cert_root: Path | None = None,
                   seen: Callable[[Path], str] = str) -> Path:
    """Write run_dir/nginx.conf that loads our files from files_root; return its path.

    cert_root: where etc/ctsys/tls lives (defaults to files_root).
    seen: a path on this machine as the nginx that reads the file sees it (a chroot's nginx
    sees the tree's paths).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    cert_root = cert_root or files_root
    run_seen, files_seen, cert_seen = seen(run_dir), seen(files_root), seen(cert_root)
    parts = [
        f"load_module {STREAM_MODULE};",
        f"pid {run_seen}/nginx.pid;",
        f"error_log {run_seen}/error.log;",
        "worker_processes 1;",
        # The files live in a private tree (a test's tmp dir, a staging dir) that only root reads.
        "user root;",
        "events { worker_connections 256; }",
    ]
    stream = files_root / STREAM_FILE.lstrip("/")
    if stream.exists():
        copy = run_dir / "stream.conf"
        copy.write_text(rooted(stream.read_text(), Path(files_seen)))
        parts.append(f"include {seen(copy)};")
    http = [
        f"access_log {run_seen}/access.log;",
        f"client_body_temp_path {run_seen}/body;",
        f"proxy_temp_path {run_seen}/proxy;",
        f"fastcgi_temp_path {run_seen}/fastcgi;",
        f"uwsgi_temp_path {run_seen}/uwsgi;",
        f"scgi_temp_path {run_seen}/scgi;",
    ]
    for target in HTTP_FILES:
        source = files_root / target.lstrip("/")
        if not source.exists():
            continue
        copy = run_dir / Path(target).name
        text = source.read_text().replace(f" {CERT_FILE}", f" {cert_seen}{CERT_FILE}")
        text = text.replace(f" {KEY_FILE}", f" {cert_seen}{KEY_FILE}")
        copy.write_text(rooted(text, Path(files_seen)))
        http.append(f"include {seen(copy)};")
    parts.append("http {\n    " + "\n    ".join(http) + "\n}")
    conf = run_dir / "nginx.conf"
    conf.write_text("\n".join(parts) + "\n")
    return conf
