"""The revert is a plain function: document, files and activation commands go back to the snapshot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ctsys.apply.engine import Engine
from ctsys.config import document
from ctsys.config.store import ConfigStore
from ctsys.net import rollback
from ctsys.net.apply_modules import MODULES
from ctsys.net.host import NetHost
from ctsys.net.revert import revert

pytestmark = pytest.mark.unit
GOOD = "network: {interfaces: [{name: eth1, role: corporate, addresses: [10.7.0.1/24]}]}"
BAD = "network: {interfaces: [{name: eth1, role: corporate, addresses: [10.8.0.1/24]}]}"


def applied(root: Path, text: str) -> None:
    store = ConfigStore(root)
    doc = document.parse(text)
    with store.locked():
        store.commit(doc, "test")
    Engine(root, list(MODULES), live=False).apply(doc)


def test_unconfirmed_change_reverts_document_files_and_kernel(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CTSYS_NET_NETNS", "lab")
    fake_run.on("ip", "netns", "exec", "lab", "sysctl", "-n", stdout="0\n")
    applied(tmp_path, GOOD)
    pending = rollback.arm(tmp_path, 30, NetHost("lab"))
    assert pending is not None and "10.7.0.1/24" in pending.snapshot
    applied(tmp_path, BAD)
    assert "10.8.0.1/24" in (tmp_path / "etc/netplan/60-ctsys.yaml").read_text()
    fake_run.calls.clear()
    # Not due: --expired leaves it alone.
    assert revert(tmp_path, NetHost("lab"), expired_only=True) is None
    assert fake_run.calls == []
    monkeypatch.setattr(time, "time", lambda: pending.deadline + 1)
    assert revert(tmp_path, NetHost("lab"), expired_only=True) is not None
    assert ConfigStore(tmp_path).load().network.interfaces[0].addresses == ["10.7.0.1/24"]
    assert "10.7.0.1/24" in (tmp_path / "etc/netplan/60-ctsys.yaml").read_text()
    commands = fake_run.commands()
    assert "ip netns exec lab ip -4 addr replace 10.7.0.1/24 dev eth1" in commands
    assert any(c.startswith("ip netns exec lab nft -f ") for c in commands)
    # In a namespace there is no systemd: no timer is touched.
    assert not [c for c in commands if c.startswith("systemctl")]
    assert rollback.load_pending(tmp_path) is None
    assert ConfigStore(tmp_path).revisions()[-1].command == "ctsys net rollback"


def test_a_second_change_keeps_the_first_snapshot(tmp_path: Path, fake_run: Any) -> None:
    applied(tmp_path, GOOD)
    first = rollback.arm(tmp_path, 30, NetHost("lab"))
    applied(tmp_path, BAD)
    second = rollback.arm(tmp_path, 60, NetHost("lab"))
    assert first is not None and second is not None
    assert second.snapshot == first.snapshot and second.deadline > first.deadline


def test_nothing_to_roll_back_before_the_first_apply(tmp_path: Path, fake_run: Any) -> None:
    assert rollback.arm(tmp_path, 30, NetHost()) is None
    assert fake_run.calls == []


def test_forwarding_left_on_fails_the_apply(fake_run: Any) -> None:
    from ctsys.errors import CtsysError
    from ctsys.net.activate import check_forwarding_off

    fake_run.on("sysctl", "-n", "net.ipv4.ip_forward", stdout="1\n")
    with pytest.raises(CtsysError) as info:
        check_forwarding_off(NetHost())
    assert "net.ipv4.ip_forward is 1 after the apply" in str(info.value)
    fake_run.on("sysctl", "-n", stdout="0\n")
    check_forwarding_off(NetHost())


def test_a_bond_whose_mode_changes_is_recreated(tmp_path: Path) -> None:
    from ctsys.net.activate import bonds_to_recreate

    doc = document.parse("network: {interfaces: [{name: bond0, bond: {members: [eth1, eth2], mode: 802.3ad}},"
                         " {name: bond1, bond: {members: [eth3]}}]}")
    for name, mode in (("bond0", "active-backup 1"), ("bond1", "active-backup 1")):
        (tmp_path / "class/net" / name / "bonding").mkdir(parents=True)
        (tmp_path / "class/net" / name / "bonding/mode").write_text(mode + "\n")
    assert bonds_to_recreate(doc, tmp_path) == ["bond0"]


def test_the_countdown_starts_when_the_change_is_in_effect(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ctsys.net.apply_modules import APPLY_MARGIN_SECONDS, arm_rollback, restart_countdown

    applied(tmp_path, GOOD)
    doc = document.parse(BAD)  # rollback_seconds: the default 120
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    arm_rollback(tmp_path, doc, NetHost("lab"))  # before the change: N + a margin for a slow apply
    pending = rollback.load_pending(tmp_path)
    assert pending is not None and pending.deadline == 1000.0 + 120 + APPLY_MARGIN_SECONDS
    clock[0] = 1200.0  # the apply took 200 s (netplan under emulation)
    restart_countdown(tmp_path, doc, NetHost("lab"))
    pending = rollback.load_pending(tmp_path)
    assert pending is not None and pending.deadline == 1200.0 + 120
    assert "10.7.0.1/24" in pending.snapshot  # still the state before the change


def test_the_timer_run_waits_for_a_deadline_moved_later_and_stops_on_confirm(
    tmp_path: Path, fake_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied(tmp_path, GOOD)
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    rollback.arm(tmp_path, 30, NetHost("lab"))
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the countdown restarts once, after 10 s
        slept.append(seconds)
        clock[0] += seconds
        if len(slept) == 10:
            rollback.arm(tmp_path, 30, NetHost("lab"))

    assert rollback.wait_until_due(tmp_path, sleep=sleep) is True
    assert clock[0] >= 1000.0 + 10 + 30 - 0.5  # the later deadline, not the first one

    def confirm_after_a_while(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] > 1100:
            rollback.confirm(tmp_path, NetHost("lab"), session="new")

    rollback.arm(tmp_path, 120, NetHost("lab"))
    assert rollback.wait_until_due(tmp_path, sleep=confirm_after_a_while) is False
