"""Factory reset: the document back to its defaults, without losing recordings or the way in."""

from __future__ import annotations

from ctsys.config import document
from ctsys.config.document import Appliance

# Always kept: the data volumes (recordings stay reachable). Optionally kept: the network
# (an administrator resetting over SSH keeps the connection) and the admin's SSH keys.
ALWAYS_KEPT = ("storage",)


def factory_document(current: Appliance, keep_network: bool, keep_admin_keys: bool) -> Appliance:
    data = document.to_data(document.defaults())
    kept = document.to_data(current)
    for section in ALWAYS_KEPT + (("network",) if keep_network else ()):
        data[section] = kept[section]
    if keep_admin_keys:
        data["system"]["admin"]["authorized_keys"] = kept["system"]["admin"]["authorized_keys"]
    return document.validate(data)
