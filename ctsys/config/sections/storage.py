"""`storage`: placeholder section, filled in by the storage issue."""

from __future__ import annotations

from ctsys.config.sections import Section


class StorageSection(Section):
    pass
