"""A fake camera for discovery tests, run inside the camera namespace:
ONVIF WS-Discovery answers from the independent `wsdiscovery` package,
an RTSP port answering OPTIONS, and an HTTP port. Stops by itself after --seconds."""

from __future__ import annotations

import argparse
import socketserver
import threading
import time

from wsdiscovery import QName, Scope
from wsdiscovery.publishing import ThreadedWSPublishing


class Rtsp(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.rfile.readline()
        self.wfile.write(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n")


class Http(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.rfile.readline()
        self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")


def serve(port: int, handler: type[socketserver.BaseRequestHandler]) -> None:
    server = socketserver.ThreadingTCPServer(("0.0.0.0", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--onvif", action="store_true")
    args = parser.parse_args()
    serve(554, Rtsp)
    serve(80, Http)
    if args.onvif:
        wsp = ThreadedWSPublishing()
        wsp.start()
        wsp.publishService(
            types=[QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter", "dn")],
            scopes=[
                Scope(f"onvif://www.onvif.org/name/{args.name}"),
                Scope("onvif://www.onvif.org/hardware/TestCam-2000"),
                Scope("onvif://www.onvif.org/location/gate"),
            ],
            xAddrs=[f"http://{args.address}/onvif/device_service"],
        )
    print("ready", flush=True)
    time.sleep(args.seconds)


if __name__ == "__main__":
    main()
