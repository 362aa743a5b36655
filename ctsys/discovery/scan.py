"""A bounded TCP scan of a camera subnet for RTSP (554) and HTTP (80) ports."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress

from ctsys.discovery import FoundCamera
from ctsys.errors import CtsysError

PORTS = (554, 80, 8554)
MAX_HOSTS = 1024  # a /22: camera networks are local segments, not the Internet


def hosts(subnet: str) -> list[str]:
    net = ipaddress.ip_network(subnet, strict=False)
    if net.version != 4:
        raise CtsysError(f"{subnet}: only IPv4 camera subnets are scanned")
    if net.num_addresses > MAX_HOSTS + 2:
        raise CtsysError(f"{subnet} has {net.num_addresses} addresses: scan at most a /22 at a time")
    return [str(h) for h in net.hosts()]


async def _open(host: str, port: int, timeout: float) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def _is_rtsp(host: str, port: int, timeout: float) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"OPTIONS rtsp://{host}:{port}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        return line.startswith(b"RTSP/1.0")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


async def _scan(
    addresses: list[str], interface: str, ports: tuple[int, ...], timeout: float, width: int
) -> list[FoundCamera]:
    gate = asyncio.Semaphore(width)

    async def one(host: str) -> FoundCamera | None:
        async with gate:
            open_ports = [p for p in ports if await _open(host, p, timeout)]
            if not open_ports:
                return None
            rtsp = False
            for port in (p for p in open_ports if p in (554, 8554)):
                rtsp = rtsp or await _is_rtsp(host, port, timeout)
            return FoundCamera(address=host, interface=interface, method="scan", open_ports=open_ports, rtsp=rtsp)

    results = await asyncio.gather(*(one(h) for h in addresses))
    return [r for r in results if r is not None]


def scan(
    subnet: str, interface: str, ports: tuple[int, ...] = PORTS, timeout: float = 0.5, width: int = 64
) -> list[FoundCamera]:
    """Every host of `subnet` with one of `ports` open; RTSP confirmed by an OPTIONS answer."""
    return asyncio.run(_scan(hosts(subnet), interface, ports, timeout, width))
