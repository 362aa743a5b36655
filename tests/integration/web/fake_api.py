"""A stand-in for ct-api, enough for the statistics page: the static page and its three GET endpoints.

`FakeApi(root, static_dir, token).start()` serves on 127.0.0.1 (a free port) with a threaded
`http.server`, and answers as ct-api does (docs/web.md, the issue 15 contract):

- `/`, `/index.html`, `/app.js`, ...: the files of `static_dir`, with the site's security headers
  (`ctsys.web.site.SECURITY_HEADERS`: the Content-Security-Policy the page must live with);
- `/api/v1/status`: `ctsys.status.collect()` as JSON (`ctsys status --json`), plus `alerts`,
  the alerts recorded under `root` (`ctsys.alerts.recorded`), which the page shows when present;
- `/api/v1/storage/fill`: the output of the real `ctsys --root ROOT storage fill --json`;
- `/api/v1/stats/series?since=&until=&name=&camera=&step=`: a seeded year of generated series in
  the shape of `SeriesResult.to_json()`, honouring since, until, step, name and camera.

Without `Authorization: Bearer TOKEN` (or with another token) every `/api/` path answers 401
`{"error": ...}`; bad query values answer 422 naming the field. Every answer to an API path is
kept in `answers[path]` (the last one), so a test compares what the page shows with what it got.
`fail_mode = "close"` makes the API paths drop the connection without answering (a network error
for the page). To test against the real ct-api instead, start it and give its URL where the tests
take `FakeApi.url`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[3]
YEAR = 365 * 86400

# name -> (unit, label keys); the contract's series. ctsys.stats.series.NAMES once it exists.
SERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cpu_percent": ("%", ()),
    "load1": ("", ()),
    "memory_percent": ("%", ()),
    "link_rx_bps": ("bit/s", ("link",)),
    "link_tx_bps": ("bit/s", ("link",)),
    "volume_used_percent": ("%", ("volume",)),
    "disk_read_bps": ("bytes/s", ("disk",)),
    "disk_write_bps": ("bytes/s", ("disk",)),
    "disk_read_iops": ("ops/s", ("disk",)),
    "disk_write_iops": ("ops/s", ("disk",)),
    "disk_await_ms": ("ms", ("disk",)),
    "disk_util_percent": ("%", ("disk",)),
    "recorder_cpu_percent": ("%", ()),
    "recorder_memory_bytes": ("bytes", ()),
    "camera_fps": ("frames/s", ("camera", "stream")),
    "camera_bitrate_bps": ("bit/s", ("camera", "stream")),
    "camera_width": ("pixels", ("camera", "stream")),
    "camera_height": ("pixels", ("camera", "stream")),
    "camera_gop_frames": ("frames", ("camera", "stream")),
    "camera_lost_packets": ("packets", ("camera", "stream")),
    "camera_disconnections": ("", ("camera", "stream")),
}
LABEL_VALUES = {
    "link": ["eth0", "eth1"],
    "volume": ["ctdata-1", "ctdata-2"],
    "disk": ["sda", "sdb"],
}
CAMERAS = ["entree", "parking", "quai"]
STREAMS = ["main", "sub"]
# the camera that is off 02:00-05:00 every day: its series have gaps (missing points)
OFFLINE_CAMERA = "quai"


def _labels_of(name: str) -> list[dict[str, str]]:
    keys = SERIES[name][1]
    if not keys:
        return [{}]
    if keys == ("camera", "stream"):
        return [{"camera": c, "stream": s} for c in CAMERAS for s in STREAMS]
    (key,) = keys
    return [{key: v} for v in LABEL_VALUES[key]]


def _noise(key: str, t: int) -> float:
    """A deterministic value in [0, 1) for (series, time): the same year on every run."""
    return zlib.crc32(f"{key}@{t}".encode()) / 2**32


def _value(name: str, labels: dict[str, str], t: int) -> float | None:
    key = name + "".join(f",{k}={v}" for k, v in sorted(labels.items()))
    n = _noise(key, t)
    day = math.sin(2 * math.pi * ((t % 86400) / 86400 - 0.3))  # busy by day, quiet at night
    week = 1.0 if time.gmtime(t).tm_wday < 5 else 0.7
    camera = labels.get("camera")
    if camera == OFFLINE_CAMERA and 2 * 3600 <= t % 86400 < 5 * 3600:
        return None
    sub = labels.get("stream") == "sub"
    if name in ("cpu_percent", "recorder_cpu_percent"):
        return round(max(0.0, (30 if name == "cpu_percent" else 12) + 15 * day * week + 10 * n), 2)
    if name == "load1":
        return round(max(0.0, 1.2 + 0.8 * day + 0.6 * n), 2)
    if name == "memory_percent":
        return round(40 + 5 * day + 3 * n, 2)
    if name == "recorder_memory_bytes":
        return float(int((300 + 40 * day + 20 * n) * 2**20))
    if name.startswith("link_"):
        base = 60e6 if labels["link"] == "eth0" else 8e6
        return round(base * (1 + 0.4 * day * week) * (0.8 + 0.4 * n) * (0.3 if name == "link_tx_bps" else 1), 0)
    if name == "volume_used_percent":
        start = 55 if labels["volume"] == "ctdata-1" else 20
        return round(start + 10 * ((t % (30 * 86400)) / (30 * 86400)) + 0.2 * n, 2)
    if name.startswith("disk_") and name.endswith("_bps"):
        return round((12e6 if "write" in name else 2e6) * (0.7 + 0.6 * n) * (1 + 0.2 * day), 0)
    if name.endswith("_iops"):
        return round((90 if "write" in name else 15) * (0.7 + 0.6 * n), 2)
    if name == "disk_await_ms":
        return round(4 + 3 * n + 2 * max(0.0, day), 2)
    if name == "disk_util_percent":
        return round(min(100.0, 25 + 20 * n + 10 * day), 2)
    if name == "camera_fps":
        nominal = 12.5 if sub else 25.0
        return round(nominal - (2 * n if n > 0.9 else 0.05 * n), 2)
    if name == "camera_bitrate_bps":
        return round((0.5e6 if sub else 4e6) * (1 + 0.3 * day) * (0.85 + 0.3 * n), 0)
    if name == "camera_width":
        return 640.0 if sub else 1920.0
    if name == "camera_height":
        return 360.0 if sub else 1080.0
    if name == "camera_gop_frames":
        return 25.0 if sub else 50.0
    if name == "camera_lost_packets":
        return float(int((n - 0.97) * 2000) if n > 0.97 else 0)
    if name == "camera_disconnections":
        return 1.0 if n > 0.995 else 0.0
    raise KeyError(name)


def default_step(since: int, until: int) -> int:
    """The contract's resolution: <= 1 day 60 s, <= 8 days 300 s, longer 3600 s."""
    span = until - since
    return 60 if span <= 86400 else 300 if span <= 8 * 86400 else 3600


class BadInput(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def series(query: dict[str, list[str]], now: int) -> dict[str, Any]:
    """The answer of /api/v1/stats/series for a parsed query string; the year ends at `now`."""

    def integer(field: str, default: int | None = None) -> int | None:
        values = query.get(field)
        if not values:
            return default
        try:
            return int(values[-1])
        except ValueError:
            raise BadInput(field, f"{field} must be an integer (epoch seconds), not {values[-1]!r}") from None

    until = integer("until", now)
    since = integer("since", (until or now) - 86400)
    assert since is not None and until is not None
    if since >= until:
        raise BadInput("since", "since must be before until")
    step = integer("step") or default_step(since, until)
    if step < 60:
        raise BadInput("step", "step must be at least 60 seconds")
    if (until - since) // step > 20000:
        raise BadInput("step", "too many points: choose a larger step or a shorter period")
    names = query.get("name") or list(SERIES)
    for n in names:
        if n not in SERIES:
            raise BadInput("name", f"unknown series {n!r}")
    cameras = set(query.get("camera") or [])
    first = max(since, now - YEAR)  # the seeded year: nothing older
    start = -(-first // step) * step
    out = []
    for name in names:
        for labels in _labels_of(name):
            if cameras and labels.get("camera") not in cameras:
                continue
            points = []
            for t in range(start, min(until, now) + 1, step):
                v = _value(name, labels, t)
                if v is not None:
                    points.append([t, v])
            out.append({"name": name, "labels": labels, "unit": SERIES[name][0], "points": points})
    return {"since": since, "until": until, "step": step, "series": out}


def status(root: str) -> dict[str, Any]:
    from ctsys.alerts import recorded
    from ctsys.output import to_jsonable
    from ctsys.status import collect

    data: dict[str, Any] = to_jsonable(collect())
    data["alerts"] = [to_jsonable(a) for a in recorded(root)]
    return data


def storage_fill(root: str) -> dict[str, Any]:
    """The real `ctsys --root ROOT storage fill --json`, run as the API would run its function."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "ctsys.cli", "--root", root, "storage", "fill", "--json"],
        capture_output=True, text=True, timeout=60, env=env, cwd=str(REPO),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ctsys storage fill --json failed ({proc.returncode}): {proc.stderr.strip()}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class FakeApi:
    def __init__(self, root: str | Path, static_dir: str | Path, token: str) -> None:
        self.root = str(root)
        self.static_dir = Path(static_dir).resolve()
        self.token = token
        self.now = int(time.time())
        self.answers: dict[str, Any] = {}
        self.requests: list[tuple[str, str, int]] = []  # (path, authorization header, status)
        self.fail_mode: str | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet: the test keeps api.requests
                pass

            def do_GET(self) -> None:
                api._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-ct-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # ---- answers ----

    def _send(self, h: BaseHTTPRequestHandler, code: int, body: bytes, content_type: str) -> None:
        from ctsys.web.site import SECURITY_HEADERS

        h.send_response(code)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.send_header("Cache-Control", "no-store")
        for name, value in SECURITY_HEADERS:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def _json(self, h: BaseHTTPRequestHandler, code: int, data: Any) -> None:
        self._send(h, code, json.dumps(data).encode(), "application/json")

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path = parts.path
        auth = h.headers.get("Authorization", "")
        if not path.startswith("/api/"):
            code = self._static(h, path)
            with self._lock:
                self.requests.append((path, auth, code))
            return
        if self.fail_mode == "close":
            with self._lock:
                self.requests.append((path, auth, 0))
            h.close_connection = True
            h.connection.shutdown(2)  # no answer at all: the browser's fetch rejects
            return
        code, data = self._api(path, parse_qs(parts.query), auth)
        with self._lock:
            self.requests.append((path, auth, code))
            if code == 200:
                self.answers[path] = data
        self._json(h, code, data)

    def _api(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any]:
        if not auth.startswith("Bearer "):
            return 401, {"error": "no API token: send Authorization: Bearer TOKEN"}
        if auth.removeprefix("Bearer ").strip() != self.token:
            return 401, {"error": "unknown or revoked API token"}
        try:
            if path == "/api/v1/status":
                return 200, status(self.root)
            if path == "/api/v1/storage/fill":
                return 200, storage_fill(self.root)
            if path == "/api/v1/stats/series":
                return 200, series(query, self.now)
        except BadInput as exc:
            return 422, {"error": str(exc), "field": exc.field}
        return 404, {"error": f"no such endpoint {path}"}

    def _static(self, h: BaseHTTPRequestHandler, path: str) -> int:
        name = "index.html" if path in ("/", "") else path.lstrip("/")
        target = (self.static_dir / name).resolve()
        if target.parent != self.static_dir or not target.is_file():
            self._send(h, 404, b"not found\n", "text/plain; charset=utf-8")
            return 404
        self._send(h, 200, target.read_bytes(), CONTENT_TYPES.get(target.suffix, "application/octet-stream"))
        return 200
