"""`time`: placeholder section, filled in by the time issue."""

from __future__ import annotations

from ctsys.config.sections import Section


class TimeSection(Section):
    pass
