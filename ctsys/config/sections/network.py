"""`network`: placeholder section, filled in by the network issue."""

from __future__ import annotations

from ctsys.config.sections import Section


class NetworkSection(Section):
    pass
