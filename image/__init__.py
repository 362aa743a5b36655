"""ctimage: builds the CT-Server appliance image (live hybrid ISO) from a profile."""

from __future__ import annotations

from pathlib import Path

# The repository root: roles/, iso/, live/ and packaging/ are read from here.
REPO_ROOT = Path(__file__).resolve().parent.parent
