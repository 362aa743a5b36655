"""The server test image boots under BIOS as a CD and under UEFI as a USB
stick, reaches multi-user with no failed unit, and answers on the console and
over SSH. The BIOS CD is the session's shared VM (its medium-removal and
verdict tests run last, after every other test on it); the UEFI USB boot is
this module's own and picks "Live, serial console" with its GRUB hotkey (the
Install entry runs `ctsys install`, whose own system tests boot it with a
target disk)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.system.conftest import ApplianceImage, booted_vm
from tests.system.harness import Vm

# the first test pays for the session build and the boot (TCG, shared CPU)
pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]

MEDIA = [
    pytest.param("bios-cd", id="bios-cd", marks=pytest.mark.shared_vm),
    pytest.param("uefi-usb", id="uefi-usb"),
]


@pytest.fixture(scope="module")
def module_vm(request: pytest.FixtureRequest, appliance_image: ApplianceImage) -> Iterator[Vm]:
    if request.param == "bios-cd":
        yield request.getfixturevalue("shared_machine").vm
        return
    with booted_vm(appliance_image, {"uefi": True, "usb": True, "boot_entry": "1"}, "test_boot-uefi-usb") as vm:
        yield vm


@pytest.mark.parametrize("module_vm", MEDIA, indirect=True)
class TestBootedAppliance:
    def test_firmware_is_the_one_asked_for(self, module_vm: Vm) -> None:
        rc, _ = module_vm.run("test -d /sys/firmware/efi")
        assert (rc == 0) == module_vm.spec.uefi

    def test_multi_user_reached_without_failed_units(self, module_vm: Vm) -> None:
        failed = module_vm.check("systemctl --failed --no-legend --plain")
        # the reason of each failure goes into the assertion message
        details = [module_vm.run(f"systemctl status --no-pager --lines 15 {line.split()[0]}")[1]
                   for line in failed.splitlines() if line.strip()]
        assert module_vm.state == "running", \
            f"system is {module_vm.state}; failed units:\n" + "\n\n".join(details)
        assert module_vm.check("systemctl is-active multi-user.target") == "active"

    def test_the_firewall_is_up_before_the_network(self, module_vm: Vm) -> None:
        # nothing has run ctsys apply on this boot: nftables.service loaded the document's ruleset
        assert module_vm.check("systemctl is-enabled nftables.service") == "enabled"
        ruleset = module_vm.check("nft list ruleset")
        assert "table inet ctsys {" in ruleset and "ctsys_fallback" not in ruleset
        assert "type filter hook input priority filter; policy drop;" in ruleset
        loaded = int(module_vm.check("systemctl show -P ActiveEnterTimestampMonotonic nftables.service"))
        networkd = int(module_vm.check("systemctl show -P ExecMainStartTimestampMonotonic systemd-networkd.service"))
        assert 0 < loaded <= networkd, (loaded, networkd)
        assert module_vm.check("sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding").split() == ["0", "0"]

    def test_networkd_owns_the_nics(self, module_vm: Vm) -> None:
        assert module_vm.check("systemctl list-units --all --no-legend --plain 'ifup@*'") == ""
        addresses = module_vm.check("ip -4 -br address show dev eth0")
        assert "10.0.2.15/" in addresses

    def test_boot_mode_is_the_menu_entry_chosen(self, module_vm: Vm) -> None:
        cmdline = module_vm.check("cat /proc/cmdline")
        assert "toram" in cmdline and "ctserver.mode=live" in cmdline
        # the serial variant (chosen by default or by hotkey) makes ttyS0 the main console
        assert cmdline.rstrip().endswith("console=ttyS0,115200n8")
        assert module_vm.check("systemctl is-enabled ct-install.service || true") != "enabled"

    def test_boot_spends_nothing_on_what_this_machine_lacks(self, module_vm: Vm) -> None:
        # no seed, no data disk here: both units skip before Python starts
        for unit in ("ctsys-seed.service", "ctsys-storage-adopt.service"):
            assert module_vm.check(f"systemctl show -P Result {unit}") == "exec-condition", unit
        assert module_vm.check("systemctl is-enabled e2scrub_reap.service || true") == "masked"
        # the initramfs holds storage drivers, not network or GPU ones, and loads no RAID code
        listing = module_vm.check("lsinitramfs /run/live/medium/live/initrd.img | grep -E "
                                  "'kernel/drivers/(net|gpu|scsi)/' | cut -d/ -f7 | sort | uniq -c")
        assert "scsi" in listing and "net" not in listing and "gpu" not in listing, listing
        module_vm.check("! grep -qE '^(raid456|raid6_pq) ' /proc/modules")

    def test_ctsys_status_answers(self, module_vm: Vm) -> None:
        out = module_vm.check("ctsys status --json", timeout=120)
        assert out.lstrip().startswith("{"), out

    def test_image_version_is_shown(self, module_vm: Vm,
                                    appliance_image: ApplianceImage) -> None:
        version = appliance_image.config.image_version
        assert version
        assert f"VERSION={version}" in module_vm.check("cat /etc/ct-server/image-release")
        assert version in module_vm.check("cat /etc/issue")
        status = module_vm.check("ctsys status --json", timeout=120)
        assert json.loads(status[status.index("{"):])["image_version"] == version

    def test_every_locale_the_document_accepts_is_compiled(self, module_vm: Vm) -> None:
        from ctsys.config.sections.system import LOCALES

        available = {name.lower().replace("utf8", "utf-8") for name in module_vm.check("locale -a").split()}
        assert {name.lower() for name in LOCALES} <= available, available
        for name in LOCALES:  # no "Cannot set LC_CTYPE to default locale" for any of them
            out = module_vm.check(f"LANG={name} LC_ALL= locale 2>&1 >/dev/null; echo done")
            assert out.strip() == "done", (name, out)

    def test_ssh_answers_for_admin_with_key(self, module_vm: Vm) -> None:
        result = module_vm.ssh("id -un && sudo -n true && ctsys --version", timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == "admin"

    def test_root_cannot_log_in_over_ssh(self, module_vm: Vm) -> None:
        effective = module_vm.check("sshd -T | grep -i '^permitrootlogin'")
        assert effective.lower().split() == ["permitrootlogin", "no"]

    @pytest.mark.ends_vm
    def test_live_keeps_running_after_the_medium_is_removed(self, module_vm: Vm) -> None:
        if module_vm.spec.usb:
            module_vm.monitor("device_del medium-dev")
        else:
            module_vm.monitor("eject -f medium")
        # the medium is gone (the CD reads nothing / the USB disk vanished) ...
        gone = "! dd if=/dev/sr0 of=/dev/null count=1 status=none 2>/dev/null" \
            if not module_vm.spec.usb else "sleep 3; ! lsblk -d -n -o TRAN | grep -q usb"
        module_vm.check(gone, timeout=60)
        # ... and the system, running from RAM, reads its whole /usr and works on
        module_vm.check("find /usr/lib/python3 /opt/ct-server -type f -print0 "
                        "| xargs -0 cat > /dev/null", timeout=300)
        module_vm.check("ctsys --version && systemctl is-active ssh")

    @pytest.mark.ends_vm
    def test_guest_reports_its_verdict_through_qemu_exit_status(self, module_vm: Vm) -> None:
        # last test of the class: qemu exits
        assert module_vm.verdict(ok=True) == 1
