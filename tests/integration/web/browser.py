"""Debian's headless Chromium driven over the Chrome DevTools protocol (websocket-client).

`Browser.launch(profile_dir)` starts `chromium --headless` with a debugging port chosen by
Chromium itself (read back from DevToolsActivePort), attaches to its page and keeps every
console message, log entry and network request it sees. Every wait is bounded; `close()` ends
the browser by its PID (the process group it leads) and is safe to call twice.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = "chromium"


class CdpError(RuntimeError):
    pass


class Browser:
    def __init__(self, proc: subprocess.Popen[bytes], ws: websocket.WebSocket, stderr_path: Path) -> None:
        self.proc = proc
        self.ws = ws
        self.stderr_path = stderr_path
        self._id = 0
        self.events: list[dict[str, Any]] = []

    @classmethod
    def launch(cls, profile_dir: Path, width: int = 1280, height: int = 900, timeout: float = 30) -> Browser:
        profile_dir.mkdir(parents=True, exist_ok=True)
        stderr_path = profile_dir / "chromium.stderr"
        argv = [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # the integration tier runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",  # no request anywhere but the test server
            "--disable-component-update",
            "--disable-sync",
            "--metrics-recording-only",
            "--hide-scrollbars",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile_dir}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            port = cls._port(proc, profile_dir / "DevToolsActivePort", timeout)
            ws_url = cls._page_socket(port, timeout)
            ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        except BaseException:
            cls._kill(proc)
            raise
        browser = cls(proc, ws, stderr_path)
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable")
        return browser

    @staticmethod
    def _port(proc: subprocess.Popen[bytes], active_port: Path, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CdpError(f"chromium exited with {proc.returncode} before it listened")
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(active_port.read_text().split()[0])
            time.sleep(0.1)
        raise CdpError(f"chromium wrote no {active_port} within {timeout} s")

    @staticmethod
    def _page_socket(port: int, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError, ValueError),
                urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as resp,
            ):
                for target in json.load(resp):
                    if target.get("type") == "page":
                        return str(target["webSocketDebuggerUrl"])
            time.sleep(0.2)
        raise CdpError(f"no page target on the DevTools port {port} within {timeout} s")

    # ---- protocol ----

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            message = json.loads(self.ws.recv())
            if message.get("id") == my_id:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)
        raise CdpError(f"{method}: no answer within {timeout} s")

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise), as JSON."""
        result = self.call(
            "Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30, what: str = "") -> Any:
        """Poll a JavaScript expression until it is truthy; fail naming it after `timeout` s."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout} s waiting for {what or expression} (last value {value!r})")

    def navigate(self, url: str, timeout: float = 30) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", timeout, f"{url} to load")

    def set_viewport(self, width: int, height: int, mobile: bool = False) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile
        )

    def screenshot(self, path: Path, selector: str | None = None) -> Path:
        """A PNG of the page, or of one element (scrolled into view, whole even if taller than the view)."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if selector is not None:
            rect = self.evaluate(
                f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
                " const r = e.getBoundingClientRect();"
                " return {x: r.left + window.scrollX, y: r.top + window.scrollY,"
                " width: r.width, height: r.height}; })()"
            )
            if not rect:
                raise AssertionError(f"nothing matches {selector} to take a screenshot of")
            params["clip"] = {**rect, "scale": 1}
        data = self.call("Page.captureScreenshot", timeout=60, **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def drain(self, seconds: float = 0.3) -> None:
        """Read the events that arrived meanwhile (console messages, requests) without a call."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in message:
                self.events.append(message)

    def problems(self) -> list[str]:
        """Console errors, log errors (CSP refusals are reported there) and uncaught exceptions."""
        found = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") == "error":
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif e["method"] == "Runtime.exceptionThrown":
                found.append("exception: " + p["exceptionDetails"].get("text", ""))
        return found

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]

    # ---- end ----

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # its own session: the group holds only its children
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        self._kill(self.proc)
