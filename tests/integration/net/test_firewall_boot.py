"""The firewall at boot: the nftables.service drop-in that ctsys renders loads the
document's ruleset, or, when that file does not load, the fallback ruleset (SSH
from the management role only) and says why. Run for real: the drop-in's own
command, with sh and nft, inside a network namespace of the test (its ruleset is
the namespace's alone); the paths point into the rendered tree."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctsys.apply.engine import Engine
from ctsys.config.document import defaults
from ctsys.net import firewall
from ctsys.net.apply_modules import MODULES
from tests.tools import require

pytestmark = pytest.mark.integration
NS = "ctsys-fwboot"


@pytest.fixture
def netns() -> Iterator[str]:
    require("ip", "nft")
    subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=30)
    subprocess.run(["ip", "netns", "add", NS], check=True, timeout=30)
    try:
        yield NS
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True, timeout=30)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    wanted = [m for m in MODULES if m.name in ("network", "firewall")]
    outcomes = Engine(tmp_path, wanted, live=False).apply(defaults())
    assert all(o.status == "applied" for o in outcomes), [o.error for o in outcomes]
    return tmp_path


def boot_command(root: Path) -> list[str]:
    """The drop-in's ExecStart (the last one: the empty one resets Debian's), its paths under root."""
    text = (root / firewall.NFTABLES_DROPIN.lstrip("/")).read_text()
    start = [line for line in text.splitlines() if line.startswith("ExecStart=")][-1]
    for path in (firewall.NFTABLES_FILE, firewall.FALLBACK_FILE):
        start = start.replace(path, str(root / path.lstrip("/")))
    return shlex.split(start.removeprefix("ExecStart="))


def load_at_boot(root: Path, ns: str) -> tuple[subprocess.CompletedProcess[str], str]:
    result = subprocess.run(["ip", "netns", "exec", ns, *boot_command(root)], capture_output=True, text=True,
                            timeout=60)
    ruleset = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    return result, ruleset


def test_the_documents_ruleset_loads_at_boot(root: Path, netns: str) -> None:
    result, ruleset = load_at_boot(root, netns)
    assert result.returncode == 0, result.stderr
    assert "table inet ctsys {" in ruleset and "ctsys_fallback" not in ruleset
    assert "policy drop" in ruleset and result.stderr == ""


@pytest.mark.parametrize("damage", ["broken", "missing"])
def test_a_ruleset_that_does_not_load_gives_the_fallback_not_an_open_box(root: Path, netns: str, damage: str) -> None:
    conf = root / firewall.NFTABLES_FILE.lstrip("/")
    if damage == "broken":
        conf.write_text(conf.read_text().replace("policy drop;", "policy maybe;", 1))
    else:
        conf.unlink()
    result, ruleset = load_at_boot(root, netns)
    assert result.returncode == 0, result.stderr  # the unit succeeds: a firewall is up
    assert "did not load: the fallback ruleset" in result.stderr
    assert "table inet ctsys_fallback" in ruleset and "table inet ctsys {" not in ruleset
    input_chain = ruleset[ruleset.index("chain input"):ruleset.index("chain forward")]
    assert "policy drop" in input_chain
    assert 'iifname "eth0" tcp dport 22 accept' in input_chain  # SSH from management (eth0) only
    assert input_chain.count("dport 22") == 1 and "dport 443" not in input_chain


def test_the_fallback_is_checked_like_the_ruleset(root: Path) -> None:
    require("nft")
    fallback = root / firewall.FALLBACK_FILE.lstrip("/")
    assert subprocess.run(["nft", "-c", "-f", str(fallback)], capture_output=True, timeout=60).returncode == 0
    enabled = root / firewall.NFTABLES_ENABLED.lstrip("/")
    assert enabled.is_symlink() and str(enabled.readlink()) == "/lib/systemd/system/nftables.service"
