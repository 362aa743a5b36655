"""Kernel and system hardening on the booted appliance (the shared Live VM, no boot of its own).

What roles/hardening sets must be in force on the running system, not only
written: every sysctl of `hardening__sysctl` as the kernel reports it, /tmp
and /dev/shm mounted with their options, no compiler on the PATH, the
disabled protocols and filesystems refused by modprobe (and a DCCP or SCTP
socket refused by the kernel), no core dumps for logins or services. The
filesystems and drivers the appliance needs stay loadable. Read-only: the
shared VM is left as it was. docs/security.md says why each setting.
"""

from __future__ import annotations

import re

import pytest
import yaml

from image import REPO_ROOT
from tests.system.harness import Vm

pytestmark = [pytest.mark.system]

DEFAULTS = yaml.safe_load((REPO_ROOT / "roles/hardening/defaults/main.yml").read_text())
BASE_DEFAULTS = yaml.safe_load((REPO_ROOT / "roles/base/defaults/main.yml").read_text())
# what the appliance mounts or loads: must never be disabled
NEEDED_MODULES = ("ext4", "xfs", "vfat", "iso9660", "squashfs", "overlay", "usb-storage",
                  "uas", "bonding", "8021q", "raid1")


def mount_options(vm: Vm, target: str) -> tuple[str, set[str]]:
    out = vm.check(f"findmnt -n -o FSTYPE,OPTIONS -M {target}")
    fstype, _, options = out.strip().splitlines()[-1].partition(" ")
    return fstype, set(options.strip().split(","))


@pytest.mark.timeout(3300)  # the first test on the shared VM pays for the build and the boot
def test_every_hardening_sysctl_is_in_force(shared_vm: Vm) -> None:
    wanted = {key: str(value) for key, value in DEFAULTS["hardening__sysctl"].items()}
    out = shared_vm.check("sysctl " + " ".join(sorted(wanted)))
    seen = dict(re.findall(r"^(\S+) = (.*)$", out, re.MULTILINE))
    wrong = {key: (seen.get(key), value) for key, value in wanted.items()
             if seen.get(key, "").strip() != value}
    assert not wrong, f"sysctl (found, wanted): {wrong}\n{out}"


@pytest.mark.timeout(3300)
def test_tmp_and_dev_shm_have_restrictive_mount_options(shared_vm: Vm) -> None:
    fstype, options = mount_options(shared_vm, "/tmp")
    assert fstype == "tmpfs" and {"nodev", "nosuid"} <= options, (fstype, options)
    fstype, options = mount_options(shared_vm, "/dev/shm")
    assert fstype == "tmpfs" and {"nodev", "nosuid", "noexec"} <= options, (fstype, options)
    # the mounts come from our units (also on an installed system, whose fstab has no /tmp)
    shared_vm.check("systemctl is-active tmp.mount ct-dev-shm.service")
    # noexec is real: a script on /dev/shm does not run
    out = shared_vm.check("printf '#!/bin/sh\\nexit 0\\n' >/dev/shm/ct-x && chmod +x "
                          "/dev/shm/ct-x; /dev/shm/ct-x; echo rc=$?; rm -f /dev/shm/ct-x")
    assert "rc=126" in out, out  # "Permission denied": not executable there


@pytest.mark.timeout(3300)
def test_no_compiler_in_the_image(shared_vm: Vm) -> None:
    rc, out = shared_vm.run("command -v gcc cc c++ g++ clang tcc as ld")
    assert rc != 0 and out.strip() == "", f"compilers on the PATH:\n{out}"
    rc, out = shared_vm.run("dpkg-query -W -f '${Package} ${Status}\\n' build-essential gcc "
                            "binutils 2>/dev/null | grep ' installed'")
    assert out.strip() == "", out


@pytest.mark.timeout(3300)
def test_unused_protocols_and_filesystems_cannot_load(shared_vm: Vm) -> None:
    for name in DEFAULTS["hardening__disabled_modules"]:
        out = shared_vm.check(f"modprobe -n -v {name} 2>&1 || true")
        assert re.search(r"install /bin/(false|true)", out), f"{name} is loadable: {out!r}"
    # the kernel refuses the sockets (the module would load on demand otherwise)
    for family, kind, proto in (("AF_INET", 6, 33), ("AF_INET", "socket.SOCK_STREAM", 132)):
        rc, out = shared_vm.run(
            f"python3 -c 'import socket; socket.socket(socket.{family}, {kind}, {proto})'")
        assert rc != 0, f"a socket of protocol {proto} opened"
    out = shared_vm.check("lsmod")
    for name in ("dccp", "sctp", "rds", "tipc"):
        assert not re.search(rf"^{name}\s", out, re.MULTILINE), f"{name} is loaded"


@pytest.mark.timeout(3300)
def test_needed_filesystems_and_drivers_stay_loadable(shared_vm: Vm) -> None:
    for name in NEEDED_MODULES:
        out = shared_vm.check(f"modprobe -n -v {name} 2>&1")
        assert "/bin/false" not in out, f"{name} is disabled: {out!r}"


@pytest.mark.timeout(3300)
def test_no_core_dumps_private_homes_and_the_recorder_still_runs(shared_vm: Vm) -> None:
    assert shared_vm.check("ulimit -Hc").strip().splitlines()[-1] == "0"
    assert "DefaultLimitCORE=0" in shared_vm.check("systemctl show -p DefaultLimitCORE")
    assert "LimitCORE=0" in shared_vm.check("systemctl show -p LimitCORE ct-recorder.service")
    shared_vm.check("systemctl is-active ct-recorder.service")
    assert re.search(r"^UMASK\s+027$", shared_vm.check("grep '^UMASK' /etc/login.defs"),
                     re.MULTILINE)
    for home in DEFAULTS["hardening__private_homes"]:
        assert shared_vm.check(f"stat -c %a {home}").strip().splitlines()[-1] == "750", home


def test_the_legal_banner_is_on_the_console_and_for_network_logins(shared_vm: Vm) -> None:
    # roles/base owns the login texts (hardening does not touch them): one writer, so a
    # second provisioning run changes nothing
    lines = BASE_DEFAULTS["base__legal_banner"].splitlines()
    for path in ("/etc/issue", "/etc/issue.net"):
        text = shared_vm.check(f"cat {path}")
        for line in lines:
            assert line in text, (path, line)
    # base's first lines (version, how to log in) stay first on the console
    assert shared_vm.check("head -1 /etc/issue").strip().splitlines()[-1].startswith("CT-Server ")


def test_nginx_offers_no_tls_below_1_2_anywhere(shared_vm: Vm) -> None:
    # nginx -T: the whole configuration nginx would load, Debian's nginx.conf included
    out = shared_vm.check("nginx -T 2>/dev/null | grep -E '^\\s*ssl_protocols'")
    protocols = re.findall(r"^\s*ssl_protocols\s+([^;]+);", out, re.MULTILINE)
    assert protocols, out
    weak = [line for line in protocols if re.search(r"\b(SSLv3|TLSv1|TLSv1\.1)\b(?!\.)", line)]
    assert not weak, protocols
