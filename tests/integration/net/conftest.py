"""Fixtures of the network integration tests: a namespace lab, torn down even on failure."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.integration.net.netlab import Lab
from tests.tools import require


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    require("ip", "nft", "tc", "netplan", "nginx", "curl", "openssl", "sysctl")
    lab = Lab(str(os.getpid() % 100000))
    try:
        lab.create()
        # Every ctsys activation in the test runs inside the appliance namespace.
        monkeypatch.setenv("CTSYS_NET_NETNS", lab.srv)
        monkeypatch.delenv("SSH_CONNECTION", raising=False)
        yield lab
    finally:
        lab.close()
