"""chrony.conf and the sync timer rendered from the document (a pure function of it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.apply.module import StagedFiles
from ctsys.apply.render import render_module
from ctsys.config import document
from ctsys.time import roles
from ctsys.time.apply_modules import MODULES, check_chrony
from ctsys.time.render import ChronyPaths, render_chrony_conf

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"
MODULE = MODULES[0]


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def with_network(doc: document.Appliance, interfaces: list[dict[str, object]]) -> document.Appliance:
    # The network section belongs to another area: give the adapter plain data, as it tolerates.
    return doc.model_copy(update={"network": {"interfaces": interfaces}})


def test_default_document_follows_the_pool_and_serves_no_one() -> None:
    # serving is on, but no interface has the cameras role yet: no server at all
    conf = lines(render_chrony_conf(document.defaults()))
    assert "pool pool.ntp.org iburst" in conf
    assert "makestep 1 3" in conf and "manual" in conf
    assert not [x for x in conf if x.startswith(("allow", "local", "binddevice"))]


def test_a_camera_interface_is_served_by_default() -> None:
    doc = with_network(document.defaults(), [{"name": "eth1", "role": "cameras", "addresses": ["10.40.0.1/24"]}])
    conf = lines(render_chrony_conf(doc))
    assert "allow 10.40.0.0/24" in conf and "binddevice eth1" in conf
    assert "local stratum 10 orphan" in conf


def test_scheduled_mode_keeps_sources_offline_and_renders_a_timer_per_time() -> None:
    doc = document.parse((FIXTURES / "time-camera-server.yaml").read_text())
    files = render_module(MODULE, doc)
    conf = lines(files["/etc/chrony/chrony.conf"] or "")
    assert "pool 0.debian.pool.ntp.org iburst offline" in conf
    assert "server 192.0.2.10 iburst prefer offline" in conf
    timer = files["/etc/systemd/system/ctsys-time-sync.timer"] or ""
    assert "OnCalendar=*-*-* 03:00:00" in timer and "OnCalendar=*-*-* 15:30:00" in timer
    assert "Persistent=true" in timer
    assert "ExecStart=/usr/bin/ctsys time sync" in (files["/etc/systemd/system/ctsys-time-sync.service"] or "")


def test_continuous_mode_removes_the_timer_units() -> None:
    files = render_module(MODULE, document.defaults())
    assert files["/etc/systemd/system/ctsys-time-sync.timer"] is None
    assert files["/etc/systemd/system/ctsys-time-sync.service"] is None


def test_ntp_server_allows_subnets_and_role_interfaces_and_binds_to_the_single_camera_interface() -> None:
    doc = document.validate({"time": {"serve": {"enabled": True, "allow": ["10.20.0.0/16"], "roles": ["cameras"]}}})
    doc = with_network(
        doc,
        [
            {"name": "eth0", "role": "management", "addresses": ["192.168.1.10/24"]},
            {"name": "eth1", "role": "cameras", "addresses": ["10.30.0.1/24", "fd00:30::1/64"]},
        ],
    )
    conf = lines(render_chrony_conf(doc))
    assert [x for x in conf if x.startswith("allow")] == [
        "allow 10.20.0.0/16",
        "allow 10.30.0.0/24",
        "allow fd00:30::/64",
    ]
    assert "local stratum 10 orphan" in conf
    assert "binddevice eth1" in conf
    assert "deny all" not in conf  # it would cancel every allow line


def test_two_camera_interfaces_are_served_without_binding_to_one() -> None:
    doc = document.validate({"time": {"serve": {"enabled": True}}})
    doc = with_network(
        doc,
        [
            {"name": "eth1", "role": "cameras", "addresses": ["10.30.0.1/24"]},
            {"name": "eth2", "role": "cameras", "addresses": ["10.31.0.1/24"]},
        ],
    )
    conf = lines(render_chrony_conf(doc))
    assert "allow 10.30.0.0/24" in conf and "allow 10.31.0.0/24" in conf
    assert not [x for x in conf if x.startswith("binddevice")]


def test_the_ntp_service_switched_off_serves_no_one() -> None:
    doc = document.validate(
        {"services": {"ntp": {"enabled": False}}, "time": {"serve": {"enabled": True, "allow": ["10.0.0.0/8"]}}}
    )
    assert not [x for x in lines(render_chrony_conf(doc)) if x.startswith("allow")]


def test_roles_adapter_tolerates_a_network_section_without_those_fields() -> None:
    doc = document.defaults().model_copy(update={"network": {"something_else": 1}})
    assert roles.interfaces(doc) == []
    doc = document.defaults().model_copy(update={"network": {"interfaces": [{"name": "eth0"}, "junk"]}})
    assert roles.interfaces(doc) == []


def test_test_paths_replace_the_debian_ones() -> None:
    paths = ChronyPaths(driftfile="/tmp/x/drift", logdir=None, pidfile="/tmp/x/pid", cmdsocket="/tmp/x/run/sock")
    conf = lines(render_chrony_conf(document.defaults(), paths))
    assert "driftfile /tmp/x/drift" in conf and "pidfile /tmp/x/pid" in conf
    assert "bindcmdaddress /tmp/x/run/sock" in conf
    assert not [x for x in conf if x.startswith("logdir")]


def test_checker_runs_chronyd_parse_only_on_the_staged_file(fake_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    check_chrony(StagedFiles(tmp_path, {"/etc/chrony/chrony.conf": "server x\n"}))
    [argv] = fake_run.calls
    assert argv[1:] == ["-p", "-f", str(tmp_path / "etc/chrony/chrony.conf")]
    assert argv[0].endswith("chronyd")
