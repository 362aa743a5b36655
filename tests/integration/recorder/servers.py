"""Sources for the recorder under test: the RTSP simulator, HTTP MJPEG, hostile peers."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).parent
SYSTEM_PYTHON = "/usr/bin/python3"  # the gst-rtsp-server bindings are Debian's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RtspSimulator:
    def __init__(self, mounts: dict[str, str], log: Path, auth: str | None = None) -> None:
        self.port = free_port()
        args = [SYSTEM_PYTHON, str(HERE / "rtsp_sim.py"), str(self.port)]
        if auth:
            args.append(f"--auth={auth}")
        args += [f"{name}={spec}" for name, spec in mounts.items()]
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "ready PORT" once it listens
        if not line.startswith("ready"):
            self.stop()
            raise RuntimeError(f"RTSP simulator did not start; see {log}")

    def url(self, mount: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{mount}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


class _MediaHandler(BaseHTTPRequestHandler):
    server: MediaServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/mjpeg":
            self._mjpeg()
        elif self.path == "/back.ts":
            data = self.server.ts_file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_error(404)

    def _mjpeg(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace;boundary=ctframe")
        self.end_headers()
        frames = self.server.frames
        deadline = time.monotonic() + 600  # bounded even if a client never leaves
        n = 0
        with contextlib.suppress(OSError):
            while not self.server.stopping.is_set() and time.monotonic() < deadline:
                jpeg = frames[n % len(frames)]
                self.wfile.write(
                    b"--ctframe\r\nContent-Type: image/jpeg\r\n"
                    + f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                    + jpeg
                    + b"\r\n"
                )
                n += 1
                time.sleep(0.1)  # 10 fps, like the RTSP clips


class MediaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, jpeg_dir: Path, ts_file: Path) -> None:
        super().__init__(("127.0.0.1", 0), _MediaHandler)
        self.frames = [p.read_bytes() for p in sorted(jpeg_dir.glob("*.jpg"))]
        self.ts_file = ts_file
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class HostilePeer:
    """A TCP server that answers every connection with garbage, or with silence."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = int(self.sock.getsockname()[1])
        self.stopping = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        held: list[socket.socket] = []
        rng = random.Random(6)
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            self.connections += 1
            if self.mode == "garbage":
                with contextlib.suppress(OSError):
                    conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n" + rng.randbytes(65536))
                conn.close()
            else:
                held.append(conn)  # accept, then never say anything: a stalled camera
        for conn in held:
            conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()
        self.thread.join(5)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class FreezingProxy:
    """A TCP relay to an upstream server that can freeze: it keeps every socket open but
    stops passing bytes, like a camera that hangs without closing its connection."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = int(self.sock.getsockname()[1])
        self.frozen = threading.Event()
        self.stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(src, dst), daemon=True).start()

    def _relay(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.2)
        while not self.stopping.is_set():
            if self.frozen.is_set():
                time.sleep(0.1)  # hold the connection, pass nothing
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.close()

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()
