"""The rendered units pass `systemd-analyze verify`; the tool hooks raise real alerts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctsys.cli import cli
from tests.tools import require

pytestmark = pytest.mark.integration

UUID1 = "5c1a3f2e-8d7b-4f60-9a1e-2b3c4d5e6f70"


@pytest.fixture
def rendered_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    runner = CliRunner()
    volumes = f"[{{id: 1, uuid: {UUID1}}}]"
    changed = runner.invoke(cli, ["--root", str(root), "config", "set", "storage.volumes", volumes, "--no-apply"])
    assert changed.exit_code == 0
    result = runner.invoke(
        cli, ["--root", str(root), "apply", "--only", "storage", "--only", "mdadm", "--only", "smartd"]
    )
    assert result.exit_code == 0, result.output
    return root


def _env(root: Path) -> dict[str, str]:
    # The hooks call `ctsys` by name, as on the appliance: this venv's ctsys, acting on the test tree.
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "CTSYS_ROOT": str(root)}


def test_units_pass_systemd_analyze_verify(rendered_root: Path) -> None:
    require("systemd-analyze")
    unit_dir = rendered_root / "etc/systemd/system"
    units = sorted(
        str(p) for p in unit_dir.iterdir() if p.is_file() and (p.name.startswith(("srv-ctdata-", "ctsys-storage-")))
    )
    assert any(u.endswith("srv-ctdata-1.mount") for u in units)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        env=_env(rendered_root),
        timeout=60,
    )
    # ctsys is found by systemd's own search path on the appliance (/usr/bin), not on this host.
    problems = [
        line
        for line in result.stderr.splitlines()
        if "ct-recorder.service" not in line and "Command ctsys is not executable" not in line
    ]
    assert not problems, result.stderr


def test_smartd_hook_raises_a_critical_smart_alert(rendered_root: Path) -> None:
    hook = rendered_root / "etc/ctsys/storage/smartd-warning"
    env = {
        **_env(rendered_root),
        "SMARTD_DEVICE": "/dev/sdb",
        "SMARTD_FAILTYPE": "CurrentPendingSector",
        "SMARTD_MESSAGE": "Device: /dev/sdb [SAT], 8 Currently unreadable (pending) sectors",
    }
    subprocess.run([str(hook)], check=True, env=env, timeout=60)
    (alert,) = [json.loads(x) for x in (rendered_root / "var/log/ctsys/alerts.jsonl").read_text().splitlines()]
    assert (alert["kind"], alert["severity"], alert["subject"]) == ("smart", "critical", "/dev/sdb")
    assert "8 Currently unreadable" in alert["message"]


def test_mdadm_hook_raises_a_raid_alert(rendered_root: Path) -> None:
    hook = rendered_root / "etc/ctsys/storage/mdadm-event"
    subprocess.run([str(hook), "DegradedArray", "/dev/md0"], check=True, env=_env(rendered_root), timeout=60)
    (alert,) = [json.loads(x) for x in (rendered_root / "var/log/ctsys/alerts.jsonl").read_text().splitlines()]
    assert (alert["kind"], alert["severity"], alert["subject"]) == ("raid", "critical", "md0")
