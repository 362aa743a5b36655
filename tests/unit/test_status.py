"""`ctsys status --json`: the documented keys, real figures from this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
CTSYS = str(Path(sys.executable).parent / "ctsys")


def test_status_json_has_the_documented_keys() -> None:
    out = subprocess.run([CTSYS, "status", "--json"], capture_output=True, text=True, timeout=60, check=True).stdout
    data = json.loads(out)
    assert set(data) == {
        "hostname",
        "version",
        "image_version",
        "uptime_seconds",
        "load",
        "cpus",
        "memory",
        "services",
        "volumes",
        "links",
    }
    assert data["cpus"] == os.cpu_count() and data["memory"]["total_bytes"] > 0
    assert len(data["load"]) == 3 and data["uptime_seconds"] >= 0
    assert "ssh.service" in data["services"]


def test_status_does_not_import_the_document_schema() -> None:
    """Kept fast by laziness: pydantic and jinja2 stay unloaded for `ctsys status`."""
    code = (
        "import sys; from ctsys.cli import main\n"
        "sys.argv=['ctsys','status','--json']\n"
        "try: main()\n"
        "except SystemExit: pass\n"
        "print('LOADED', sorted(m for m in ('pydantic','jinja2','yaml') if m in sys.modules), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "LOADED []" in proc.stderr, proc.stderr


def test_image_version_is_read_from_the_release_file(tmp_path: Path) -> None:
    from ctsys.status import RELEASE_FILE, image_version

    (tmp_path / RELEASE_FILE).parent.mkdir(parents=True)
    (tmp_path / RELEASE_FILE).write_text('NAME="CT-Server"\nVERSION="0.1.0+20261128"\n')
    assert image_version(str(tmp_path)) == "0.1.0+20261128"
    assert image_version(str(tmp_path / "nowhere")) == "unknown"


def test_the_release_file_read_is_the_one_the_image_writes() -> None:
    from ctsys.status import RELEASE_FILE

    repo = Path(__file__).resolve().parents[2]
    assert f"- {RELEASE_FILE}" in (repo / "roles/base/tasks/main.yml").read_text()
    assert (repo / "roles/base/templates" / f"{RELEASE_FILE}.j2").is_file()
