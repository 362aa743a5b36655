"""Render every apply module against every fixture document, validated by each
component's own checker (sshd -t, netplan generate, nft -c, chronyd -p, ...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.apply.engine import Engine
from ctsys.apply.registry import all_modules
from ctsys.config import document
from tests.tools import require

pytestmark = pytest.mark.integration
FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("*.yaml"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_every_module_renders_and_passes_its_checker(fixture: Path, tmp_path: Path) -> None:
    require("sshd", "ssh-keygen")
    doc = document.parse(fixture.read_text())
    outcomes = Engine(tmp_path, all_modules(), live=False).apply(doc)
    failed = [f"{o.module}: {o.error}" for o in outcomes if o.status not in ("applied", "unchanged")]
    assert not failed, "\n".join(failed)
    assert any(o.status == "applied" for o in outcomes)
    # Rendering is a pure function of the document: a second pass changes nothing.
    again = Engine(tmp_path, all_modules(), live=False).apply(doc)
    assert [o.status for o in again] == ["unchanged"] * len(again)


def test_sshd_checker_rejects_a_broken_config(tmp_path: Path) -> None:
    """The checker is real: a config sshd refuses makes the module fail, files untouched."""
    require("sshd")
    from ctsys.apply.module import StagedFiles
    from ctsys.errors import CommandError
    from ctsys.services.apply_modules import check_sshd

    target = tmp_path / "etc/ssh/sshd_config"
    target.parent.mkdir(parents=True)
    target.write_text("Port 22\nNoSuchKeyword yes\n")
    with pytest.raises(CommandError) as info:
        check_sshd(StagedFiles(tmp_path, {"/etc/ssh/sshd_config": target.read_text()}))
    assert "NoSuchKeyword" in info.value.stderr
