"""The seed and adopt units' ExecCondition, run for real with sh, blkid and lsblk:
the seed unit's must say "a seed may be here" exactly when ctsys's own search
(ctsys/seed/sources.py) finds one, or Python would start for nothing at each boot
of a VM (no seed), or worse, a seed would be skipped. The adopt unit's must say
yes whenever a disk holds ext4 (what adopt looks into)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from ctsys.apply.engine import Engine
from ctsys.config.document import defaults
from ctsys.seed import sources
from tests.integration.seed.test_seed_apply import SEED, MakeSeed

pytestmark = pytest.mark.integration


def condition(root: Path, unit: str) -> list[str]:
    """The unit's ExecCondition as systemd runs it ($$ is a literal $)."""
    text = (root / "etc/systemd/system" / unit).read_text()
    (line,) = [line for line in text.splitlines() if line.startswith("ExecCondition=")]
    return shlex.split(line.removeprefix("ExecCondition=").replace("$$", "$"))


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ctsys.apply.registry import all_modules

    root = tmp_path_factory.mktemp("root")
    wanted = [m for m in all_modules() if m.name in ("seed", "storage")]
    outcomes = Engine(root, wanted, live=False).apply(defaults())
    assert all(o.status == "applied" for o in outcomes), [o.error for o in outcomes]
    return root


def says_seed(root: Path) -> bool:
    rc = subprocess.run(condition(root, "ctsys-seed.service"), timeout=60, check=False).returncode
    assert rc in (0, 1), f"ExecCondition exited {rc}: systemd would count the unit failed"
    return rc == 0


def python_finds_seed() -> bool:
    return bool(sources.list_candidates()) or Path(sources.ESP_SEED).is_file()


def test_seed_condition_agrees_with_ctsys_search_without_and_with_seed_disks(
        units: Path, seed_disk: MakeSeed) -> None:
    assert says_seed(units) == python_finds_seed()
    seed_disk("ext4", "ct-seed", {"ct-seed.yaml": yaml.safe_dump(SEED)})  # the label in lower case
    assert python_finds_seed() and says_seed(units)


def test_seed_condition_sees_a_nocloud_iso(units: Path, seed_disk: MakeSeed) -> None:
    seed_disk("iso9660", "cidata", {"meta-data": "instance-id: i-1\n", "user-data": "#cloud-config\n"})
    assert says_seed(units)


def test_a_filesystem_with_another_label_is_no_seed(units: Path, seed_disk: MakeSeed) -> None:
    before = says_seed(units)
    seed_disk("ext4", "CT-SEEDS", {"ct-seed.yaml": yaml.safe_dump(SEED)})
    assert says_seed(units) == before == python_finds_seed()


def test_adopt_condition_sees_an_ext4_data_disk(units: Path, seed_disk: MakeSeed) -> None:
    seed_disk("ext4", "ctdata-1", {"note": "data"})
    rc = subprocess.run(condition(units, "ctsys-storage-adopt.service"), timeout=60, check=False).returncode
    assert rc == 0
