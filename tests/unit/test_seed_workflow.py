"""The seed workflow as a function (ctsys.seed.workflow.apply_seed), with only the run() seam faked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.cli import Obj
from ctsys.config.store import ConfigStore
from ctsys.errors import ValidationError
from ctsys.seed import firstboot
from ctsys.seed.workflow import SeedApply, apply_seed
from tests.conftest import FakeRun

pytestmark = pytest.mark.unit


@pytest.fixture
def root(tmp_path: Path, fake_run: FakeRun) -> Path:
    """A tree without seed disks, with ct-seed.yaml on its ESP."""
    fake_run.on("lsblk", stdout='{"blockdevices": []}')
    seed = tmp_path / "boot/efi/ct-seed.yaml"
    seed.parent.mkdir(parents=True)
    seed.write_text("hostname: vm-gate-07\n")
    return tmp_path


def test_the_plan_is_shown_before_the_change_then_the_revision_and_the_apply_are_reported(root: Path) -> None:
    seen: list[tuple[str, int]] = []
    lines: list[str] = []

    def planned(result: SeedApply) -> None:
        assert result.plan is not None
        seen.append((result.plan.changes[0].path, len(ConfigStore(root).revisions())))

    result = apply_seed(Obj(str(root), 0), progress=lambda line, err=False: lines.append(line), planned=planned)
    assert result.status == "applied" and result.applied and result.revision == 2
    assert seen == [("system.hostname", 0)]  # nothing was written when the plan was shown
    assert lines[0] == "revision 2: seed: hostname from /boot/efi/ct-seed.yaml"
    assert any(line.startswith("system: applied") for line in lines[1:])  # `ctsys apply`'s own lines
    assert (root / "etc/hostname").read_text() == "vm-gate-07\n"
    assert [e["revision"] for e in firstboot.applied(root)] == [2]


def test_at_first_boot_a_seed_applied_before_is_skipped_unplanned(root: Path) -> None:
    apply_seed(Obj(str(root), 0))
    calls: list[SeedApply] = []
    result = apply_seed(Obj(str(root), 0), first_boot=True, planned=calls.append)
    assert (result.status, result.applied_before, calls) == ("applied-before", True, [])
    assert len(ConfigStore(root).revisions()) == 2


def test_no_seed_and_a_dry_run_change_nothing(root: Path) -> None:
    result = apply_seed(Obj(str(root), 0), dry_run=True)
    assert result.status == "dry-run" and result.plan is not None and not result.applied
    assert not ConfigStore(root).exists() and firstboot.applied(root) == []
    (root / "boot/efi/ct-seed.yaml").unlink()
    result = apply_seed(Obj(str(root), 0))
    assert result.status == "not-found" and result.seed is None and result.looked


def test_a_bad_seed_raises_before_the_plan_is_shown(root: Path) -> None:
    (root / "boot/efi/ct-seed.yaml").write_text("hostname: -bad-\n")
    calls: list[SeedApply] = []
    with pytest.raises(ValidationError):
        apply_seed(Obj(str(root), 0), planned=calls.append)
    assert calls == [] and not ConfigStore(root).exists()
