"""Where network changes take effect: the running system, or a network namespace.

CTSYS_NET_NETNS=NAME makes every activation command run inside that namespace,
and replaces `netplan apply` (which needs systemd-networkd) by programming
addresses, MTU and routes with `ip`. Integration tests use it; so can a lab.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV_NETNS = "CTSYS_NET_NETNS"


@dataclass(frozen=True)
class NetHost:
    netns: str | None = None

    @classmethod
    def current(cls) -> NetHost:
        return cls(os.environ.get(ENV_NETNS) or None)

    def argv(self, *argv: str) -> list[str]:
        """The command, run inside the namespace when there is one."""
        if self.netns:
            return ["ip", "netns", "exec", self.netns, *argv]
        return list(argv)

    @property
    def systemd(self) -> bool:
        """True on the appliance itself: units and `netplan apply` are available."""
        return self.netns is None
