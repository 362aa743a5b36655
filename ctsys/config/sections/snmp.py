"""`snmp`: placeholder section, filled in by the snmp issue."""

from __future__ import annotations

from ctsys.config.sections import Section


class SnmpSection(Section):
    pass
