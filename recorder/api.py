"""The daemon's HTTP endpoint (localhost by default): alarm input, statistics, health.

POST /api/cameras/CAM/alarm[?seconds=N]   start or extend an alarm
GET  /api/alarm?camera=CAM[&seconds=N]    the same, for cameras that can only GET
GET  /api/stats                           per-camera statistics (JSON)
GET  /api/health                          {"ok": true}
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

TriggerFn = Callable[[str, float | None], float | None]  # camera, seconds -> active_until or None
StatsFn = Callable[[], dict[str, Any]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s: " + format, self.client_address[0], *args)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _alarm(self, camera: str, query: dict[str, list[str]]) -> None:
        seconds: float | None = None
        if "seconds" in query:
            try:
                seconds = float(query["seconds"][0])
            except ValueError:
                self._send(400, {"error": "seconds must be a number"})
                return
            if not 0 < seconds <= 3600:
                self._send(400, {"error": "seconds must be in 0..3600"})
                return
        until = self.server.trigger(camera, seconds)
        if until is None:
            self._send(404, {"error": f"no camera {camera!r} with alarm recording"})
        else:
            self._send(200, {"camera": camera, "active_until": until})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 65536))
        if len(parts) == 4 and parts[:2] == ["api", "cameras"] and parts[3] == "alarm":
            self._alarm(parts[2], parse_qs(url.query))
        else:
            self._send(404, {"error": "not found"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/api/stats":
            self._send(200, self.server.stats())
        elif url.path == "/api/health":
            self._send(200, {"ok": True})
        elif url.path == "/api/alarm" and "camera" in query:
            self._alarm(query["camera"][0], query)
        else:
            self._send(404, {"error": "not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], trigger: TriggerFn, stats: StatsFn) -> None:
        super().__init__(address, _Handler)
        self.trigger = trigger
        self.stats = stats


class ApiServer:
    def __init__(self, address: str, port: int, trigger: TriggerFn, stats: StatsFn) -> None:
        self._server = _Server((address, port), trigger, stats)
        self._thread = threading.Thread(target=self._server.serve_forever, name="api", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
