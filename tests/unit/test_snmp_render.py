"""snmpd.conf, the v3 users file, the subagent config and the alert hook, from the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctsys.apply.render import render_module
from ctsys.config import document
from ctsys.snmp.apply_modules import HOOK, MODULES
from ctsys.snmp.render import render_snmpd_conf
from ctsys.snmp.users import merged

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"
MODULE = MODULES[0]


def fixture() -> document.Appliance:
    return document.parse((FIXTURES / "snmp-agent.yaml").read_text())


def lines(text: str | None) -> list[str]:
    return [x for x in (text or "").splitlines() if x and not x.startswith("#")]


def test_snmpd_conf_restricts_communities_to_their_subnets_and_users_to_authpriv() -> None:
    conf = lines(render_snmpd_conf(fixture()))
    assert "rocommunity n0c-read 192.0.2.0/24 -V ctsys" in conf
    assert "rocommunity6 n0c-read 2001:db8::/32 -V ctsys" in conf
    assert "rouser nms priv -V ctsys" in conf
    assert "sysContact NOC <noc@site.example>" in conf and "sysLocation Building B, rack 4" in conf
    assert "pass_persist .1.3.6.1.4.1.99999.1 /usr/bin/ctsys snmp agent --config /etc/snmp/ctsys-agent.json" in conf
    # No community means no read access at all: never a default "public".
    assert not [x for x in lines(render_snmpd_conf(document.defaults())) if x.startswith("rocommunity")]


def test_snmpd_listens_on_loopback_and_the_addresses_of_the_allowed_roles() -> None:
    doc = fixture().model_copy(update={"network": {"interfaces": [
        {"name": "eth0", "role": "management", "addresses": ["192.168.1.10/24", "fd00:1::10/64"]},
        {"name": "eth1", "role": "cameras", "addresses": ["10.30.0.1/24"]},
    ]}})  # fmt: skip
    [listen] = [x for x in lines(render_snmpd_conf(doc)) if x.startswith("agentAddress")]
    assert listen == "agentAddress udp:127.0.0.1:161,udp:192.168.1.10:161,udp6:[fd00:1::10]:161"


def test_the_enterprise_number_moves_the_served_subtree() -> None:
    data = document.to_data(fixture())
    data["snmp"]["enterprise_number"] = 4242
    conf = lines(render_snmpd_conf(document.validate(data)))
    assert next(x for x in conf if x.startswith("pass_persist")).startswith("pass_persist .1.3.6.1.4.1.4242.1 ")


def test_module_renders_users_agent_config_and_hook_with_tight_modes() -> None:
    files = render_module(MODULE, fixture())
    assert lines(files["/etc/snmp/ctsys-users.conf"]) == ['createUser nms SHA "auth-pass-123" AES "priv-pass-456"']
    agent = json.loads(files["/etc/snmp/ctsys-agent.json"] or "")
    assert agent["enterprise_number"] == 99999 and agent["services"]["recorder"] == "ct-recorder.service"
    assert "exec ctsys --root" in (files[HOOK] or "") and "snmp notify" in (files[HOOK] or "")
    assert "ExecStartPre=/usr/bin/ctsys snmp sync-users" in (
        files["/etc/systemd/system/snmpd.service.d/ctsys.conf"] or ""
    )
    modes = {s.target_for(fixture()): s.mode for s in MODULE.files}
    assert modes["/etc/snmp/ctsys-users.conf"] == 0o600 and modes[HOOK] == 0o755


def test_snmp_switched_off_removes_its_files_and_the_hook() -> None:
    files = render_module(MODULE, document.defaults())
    kept = {target for target, content in files.items() if content is not None}
    # Only the service/camera watch stays: its alerts serve the other hooks too.
    assert kept == {"/etc/systemd/system/ctsys-snmp-watch.service", "/etc/systemd/system/ctsys-snmp-watch.timer"}


def test_users_replace_old_user_lines_and_keep_the_engine_state() -> None:
    persistent = "engineBoots 7\noldEngineID 0x80001f88\nusmUser 1 3 0x80 0x6e6d73 ...\ncreateUser old SHA x AES y\n"
    out = merged(persistent, '# managed\ncreateUser nms SHA "a-pass-123" AES "p-pass-456"\n').splitlines()
    assert out == ["engineBoots 7", "oldEngineID 0x80001f88", 'createUser nms SHA "a-pass-123" AES "p-pass-456"']


def test_a_dhcp_interface_of_an_allowed_role_makes_snmpd_listen_on_every_address() -> None:
    doc = fixture().model_copy(update={"network": {"interfaces": [
        {"name": "eth0", "role": "management", "dhcp4": True, "addresses": []},
        {"name": "eth1", "role": "cameras", "addresses": ["10.30.0.1/24"]},
    ]}})  # fmt: skip
    [listen] = [x for x in lines(render_snmpd_conf(doc)) if x.startswith("agentAddress")]
    assert listen == "agentAddress udp:0.0.0.0:161"


def test_sync_users_writes_the_persistent_file_privately(tmp_path: Path) -> None:
    from ctsys.snmp.users import sync

    users = tmp_path / "users.conf"
    users.write_text('createUser nms SHA "auth-pass-123" AES "priv-pass-456"\n')
    persistent = tmp_path / "var/lib/snmp/snmpd.conf"
    assert sync(users, persistent) == 1
    assert persistent.stat().st_mode & 0o777 == 0o600
    assert sync(tmp_path / "absent.conf", persistent) == 0  # no user file: every user removed
