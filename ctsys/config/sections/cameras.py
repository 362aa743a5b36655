"""`cameras`: placeholder section, filled in by the cameras issue."""

from __future__ import annotations

from ctsys.config.sections import Section


class CamerasSection(Section):
    pass
