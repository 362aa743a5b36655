"""ctimage's stages build the right command lines, cache the bootstrap by its
manifest, render the boot menu, and check the host before a build."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

import ctrun
from ctrun import Result
from image import REPO_ROOT, preflight, qemu
from image.config import make_config
from image.context import Context
from image.errors import ImageError, PreflightFailed
from image.stages import bootstrap, clean, iso, provision, squashfs

pytestmark = pytest.mark.unit

FIXED = {"source_date_epoch": 1700000000, "image_version": "1.2.3+test"}


def make_ctx(tmp_path: Path, **values: object) -> Context:
    config = make_config({**FIXED, "cache_dir": tmp_path / "cache",
                          "output_dir": tmp_path / "out", **values}, environ={})
    return Context(config, config.load_profile(), out=io.StringIO())


class Recorder:
    """In place of `ctrun._execute`, the one seam: records each command, runs none."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str], **options: object) -> Result:
        self.calls.append(args)
        if "mmdebstrap" in args:  # pretend: the target now holds a rootfs
            Path(args[-4]).mkdir(parents=True)
        return Result(tuple(args), 0, "", "")


def test_mmdebstrap_gets_every_package_and_the_profile_sources(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, extra_packages=("htop",))
    argv = bootstrap.mmdebstrap_argv(ctx, tmp_path / "root")
    include = next(a for a in argv if a.startswith("--include="))
    assert "htop" in include and "linux-image-amd64" in include and "live-boot" in include
    assert argv[argv.index("bookworm") + 1] == str(tmp_path / "root")
    assert any(a.startswith("deb http") and "bookworm-security" in a for a in argv)


def test_bootstrap_cache_key_changes_with_packages_and_mirror_only(tmp_path: Path) -> None:
    base = bootstrap.cache_entry(make_ctx(tmp_path))
    assert bootstrap.cache_entry(make_ctx(tmp_path)) == base
    assert bootstrap.cache_entry(make_ctx(tmp_path, image_version="other")) == base
    assert bootstrap.cache_entry(make_ctx(tmp_path, extra_packages=("htop",))) != base
    assert bootstrap.cache_entry(make_ctx(tmp_path, mirror="http://m.example/d")) != base


def test_initramfs_hooks_are_in_place_before_the_kernel_and_in_the_manifest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(tmp_path)
    argv = bootstrap.mmdebstrap_argv(ctx, tmp_path / "root")
    hook = bootstrap.INITRAMFS_HOOKS[0]
    assert f"--setup-hook=copy-in {hook} /etc/initramfs-tools/hooks" in argv
    assert argv.index('--setup-hook=mkdir -p "$1/etc/initramfs-tools/hooks"') < \
        argv.index(f"--setup-hook=copy-in {hook} /etc/initramfs-tools/hooks")
    base = bootstrap.cache_entry(ctx)
    changed = tmp_path / hook.name
    changed.write_text(hook.read_text() + "# changed\n")
    monkeypatch.setattr(bootstrap, "INITRAMFS_HOOKS", (changed,))
    assert bootstrap.cache_entry(ctx) != base  # a changed hook is a new bootstrap


def test_unchanged_bootstrap_is_copied_from_the_cache(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(tmp_path)
    ctx.config.output_dir.mkdir(parents=True)
    ctx.log_file.write_text("")
    recorder = Recorder()
    monkeypatch.setattr(ctrun, "_execute", recorder)
    assert bootstrap.run_stage(ctx) == "built"
    assert any("mmdebstrap" in c for c in recorder.calls)
    recorder.calls.clear()
    assert bootstrap.run_stage(ctx) == "cached"
    assert not any("mmdebstrap" in c for c in recorder.calls)
    assert recorder.calls[-1][:3] == ["cp", "-a", "--reflink=auto"]
    manifest = json.loads((bootstrap.cache_entry(ctx) / "manifest.json").read_text())
    assert manifest["release"] == "bookworm" and "chrony" in manifest["packages"]


def test_mksquashfs_is_reproducible_and_compresses_as_asked() -> None:
    argv = squashfs.mksquashfs_argv(Path("/r"), Path("/o.sqfs"), "xz", 1700000000)
    assert argv[argv.index("-comp") + 1] == "xz"
    assert argv[argv.index("-all-time") + 1] == "1700000000"
    assert argv[argv.index("-mkfs-time") + 1] == "1700000000"
    zstd = squashfs.mksquashfs_argv(Path("/r"), Path("/o.sqfs"), "zstd", None)
    assert "zstd" in zstd and "-all-time" not in zstd


def test_xorriso_makes_a_bios_and_uefi_hybrid_with_a_fixed_date() -> None:
    argv = iso.xorriso_argv(Path("/s"), Path("/o.iso"), 1700000000)
    assert "boot/grub/i386-pc/eltorito.img" in argv          # BIOS, El Torito
    assert "--grub2-mbr" in argv                             # BIOS, USB stick (hybrid MBR)
    assert argv[argv.index("--efi-boot") + 1] == "boot/grub/efi.img"  # UEFI
    assert "-efi-boot-part" in argv                          # EFI partition for USB
    assert "--modification-date=2023111422132000" in argv


def test_boot_menu_offers_every_mode_with_serial_variants(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, boot_default="live-serial")
    menu = iso.render_menu(ctx, memtest=True)
    for entry in ("live", "install", "diagnostics", "live-serial", "install-serial",
                  "diagnostics-serial", "memtest"):
        assert f"--id {entry} " in menu, entry
    assert "set default=live-serial" in menu
    assert menu.count("toram") == 6 and "@" not in menu
    assert "ctserver.mode=install" in menu and "ctserver.mode=diagnostics" in menu
    assert "memtest" not in iso.render_menu(ctx, memtest=False)


def test_grub_images_search_the_medium_by_marker() -> None:
    embedded = (REPO_ROOT / "iso" / "embedded.cfg").read_text()
    stub = (REPO_ROOT / "iso" / "efi-stub.cfg").read_text()
    for text in (embedded, stub):
        assert "search --no-floppy --file --set=root /.disk/@MARKER@" in text


def test_playbook_runs_the_flavour_roles_over_the_chroot(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    inventory, playbook, extra = provision.write_playbook(ctx, Path("/r"), tmp_path / "a")
    assert "ansible_connection=community.general.chroot ansible_host=/r" in inventory.read_text()
    play = json.loads(playbook.read_text())[0]
    assert play["roles"] == list(ctx.config.roles(ctx.profile))
    values = json.loads(extra.read_text())
    assert values["ctimage_build"] is True and values["base__image_version"] == "1.2.3+test"
    assert "ssh__authorized_keys" not in values  # only test builds carry the harness key


def test_recap_is_parsed_from_the_last_play_recap() -> None:
    out = "PLAY RECAP ***\nrootfs : ok=36   changed=0    unreachable=0    failed=0    skipped=3"
    recap = provision.parse_recap(out)
    assert (recap.ok, recap.changed, recap.failed) == (36, 0, 0)


def test_preflight_lists_every_missing_tool_with_its_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(tmp_path)
    monkeypatch.setattr(preflight.shutil, "which", lambda tool: None)
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 1000)
    with pytest.raises(PreflightFailed) as info:
        preflight.check(ctx.config, ctx.profile)
    text = str(info.value)
    assert "root" in text and "mmdebstrap" in text and "squashfs-tools" in text
    assert "xorriso" in text and "mtools" in text


def test_qemu_networking_never_leaves_the_host(tmp_path: Path) -> None:
    image = tmp_path / "x.iso"
    image.write_bytes(b"")
    spec = qemu.VmSpec(image=image, nics=3, ssh_port=2222)
    files = qemu.VmFiles(spec)
    argv = qemu.qemu_argv(spec, files, "tcg")
    netdevs = [argv[i + 1] for i, a in enumerate(argv) if a == "-netdev"]
    assert len(netdevs) == 3 and all("restrict=on" in n for n in netdevs)
    assert "hostfwd=tcp:127.0.0.1:2222-:22" in netdevs[0]
    assert argv[argv.index("-accel") + 1] == "tcg,thread=multi"


def test_qemu_serial_on_stdio_passes_ctrl_c_to_the_guest(tmp_path: Path) -> None:
    image = tmp_path / "x.iso"
    image.write_bytes(b"")
    spec = qemu.VmSpec(image=image)
    argv = qemu.qemu_argv(spec, qemu.VmFiles(spec), "tcg")
    chardev = argv[argv.index("-chardev") + 1]
    assert chardev.startswith("stdio,") and "signal=off" in chardev.split(",")
    assert argv[argv.index("-serial") + 1] == "chardev:serial0"
    logged = qemu.qemu_argv(spec, qemu.VmFiles(spec), "tcg", serial="file:/tmp/log")
    assert logged[logged.index("-serial") + 1] == "file:/tmp/log" and "-chardev" not in logged


def test_qemu_uefi_usb_boots_ovmf_from_a_usb_stick(tmp_path: Path) -> None:
    image = tmp_path / "x.iso"
    image.write_bytes(b"")
    spec = qemu.VmSpec(image=image, uefi=True, usb=True, disks=2, disk_bus="nvme")
    files = qemu.VmFiles(spec)
    files.ovmf_vars = tmp_path / "vars.fd"
    files.disks = [tmp_path / "d0", tmp_path / "d1"]
    text = " ".join(qemu.qemu_argv(spec, files, "kvm"))
    assert "if=pflash" in text and "OVMF_CODE" in text
    assert "usb-storage,id=medium-dev" in text and "scsi-cd" not in text
    assert text.count("-device nvme,") == 2 and "-cpu host" in text


def test_qemu_boots_an_installed_disk_without_medium_and_the_installer_directly(tmp_path: Path) -> None:
    system, data = tmp_path / "system.raw", tmp_path / "data.qcow2"
    for f in (system, data):
        f.write_bytes(b"")
    spec = qemu.VmSpec(image=None, attach=(system, data))
    argv = qemu.qemu_argv(spec, qemu.VmFiles(spec), "tcg")
    text = " ".join(argv)
    assert "medium" not in text and "-kernel" not in text
    assert f"format=raw,file={system}" in text and f"format=qcow2,file={data}" in text
    assert "serial=CTATT0000,bootindex=1" in text and "serial=CTATT0001 " in text + " "
    with pytest.raises(ImageError, match="nothing to boot"):
        qemu.VmSpec(image=None)
    with pytest.raises(ImageError, match="no image"):
        qemu.VmSpec(image=None, attach=(tmp_path / "missing.raw",))
    from image.vmdisk import install_command_line

    direct = qemu.DirectBoot(tmp_path / "vmlinuz", tmp_path / "initrd.img", install_command_line())
    iso = tmp_path / "x.iso"
    iso.write_bytes(b"")
    argv = qemu.qemu_argv(qemu.VmSpec(image=iso, attach=(system,), direct=direct), qemu.VmFiles(spec), "tcg")
    append = argv[argv.index("-append") + 1]
    assert "ctserver.mode=install" in append and "ctserver.disk=CTATT0000" in append
    assert "ctserver.finish=poweroff" in append and "boot=live" in append


@pytest.mark.parametrize(("mode", "expected"), [
    ("install", "multi-user.target.wants/ct-install.service"),
    ("diagnostics", "serial-getty@ttyS0.service.d/zz-ct-diagnostics.conf"),
    ("live", None),
])
def test_boot_mode_generator_turns_the_mode_into_units(tmp_path: Path, mode: str,
                                                       expected: str | None) -> None:
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"boot=live toram ctserver.mode={mode} quiet\n")
    out, early = tmp_path / "gen", tmp_path / "early"
    out.mkdir()
    subprocess.run(["sh", str(REPO_ROOT / "live" / "ct-boot-mode-generator"), str(out), str(early)],
                   env={"CT_CMDLINE_FILE": str(cmdline)}, check=True)
    created = sorted(str(p.relative_to(out)) for p in out.rglob("*") if not p.is_dir())
    masked = sorted(p.name for p in early.glob("*") if p.is_symlink() and str(p.readlink()) == "/dev/null")
    if expected is None:
        assert created == [] and masked == []
    else:
        assert expected in created
    # only the Install mode leaves the recording server's services off
    assert ("ct-recorder.service" in masked) == (mode == "install")
    assert ("ctsys-storage-adopt.service" in masked) == (mode == "install")


def test_the_vm_disk_builder_reads_the_installer_lines_on_the_console() -> None:
    from image.vmdisk import DONE, FAILED

    ok = "[  292.01] install-entry[453]: installed on /dev/vda in 177 s (partition 4 s)\r\n"
    assert DONE.search(ok) is not None and FAILED.search(ok) is None
    bad = "[  213.5] install-entry[467]: error: no disk can take the system:\r\n"
    found = FAILED.search(bad)
    assert found is not None and "no disk can take the system" in found.group(0)
    assert FAILED.search("[  5.0] systemd[1]: error: something else\r\n") is None


def test_python_is_compiled_in_the_image_with_hash_checked_pycs(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from image.stages import packages

    ctx = make_ctx(tmp_path)
    for tree in ("usr/lib/python3", "opt/ct-server"):
        (ctx.rootfs / tree).mkdir(parents=True)
    recorder = Recorder()
    monkeypatch.setattr(ctrun, "_execute", recorder)
    packages.compile_python(ctx)
    (argv,) = [c for c in recorder.calls if c[0] == "chroot"]
    assert recorder.calls[-1][0] == "umount"  # the API filesystems went again
    assert argv[:2] == ["chroot", str(ctx.rootfs)] and "compileall" in argv
    assert argv[argv.index("--invalidation-mode") + 1] == "checked-hash"
    assert "PYTHONHASHSEED=0" in argv  # reproducible pycs
    # only the trees the image holds
    assert argv[-2:] == ["/usr/lib/python3", "/opt/ct-server"]


def test_test_packages_go_only_into_images_with_test_access(tmp_path: Path) -> None:
    product = make_ctx(tmp_path)
    test = make_ctx(tmp_path, test_access=True)
    assert "lynis" in test.profile.test_packages
    assert "lynis" not in product.config.packages(product.profile)
    assert "lynis" in test.config.packages(test.profile)
    assert "lynis" not in bootstrap.manifest(product)["packages"]
    assert bootstrap.cache_entry(product) != bootstrap.cache_entry(test)


@pytest.mark.parametrize("path", ["usr/bin/gcc", "usr/bin/cc", "usr/bin/gcc-12",
                                  "usr/bin/x86_64-linux-gnu-gcc-12", "usr/bin/as", "usr/bin/ld"])
def test_a_compiler_in_the_rootfs_fails_the_build(tmp_path: Path, path: str) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "usr/bin").mkdir(parents=True)
    for harmless in ("ldd", "ld.so", "ccache-stats", "python3"):
        (rootfs / "usr/bin" / harmless).write_text("")
    clean.refuse_compilers(rootfs)  # nothing yet
    (rootfs / path).symlink_to("/nowhere")  # a dangling alternatives link counts too
    assert clean.compilers(rootfs) == [path]
    with pytest.raises(ImageError, match=path):
        clean.refuse_compilers(rootfs)


def test_a_package_without_its_commands_fails_the_build(tmp_path: Path) -> None:
    from image.stages import packages

    rootfs = tmp_path / "rootfs"
    (rootfs / "usr/bin").mkdir(parents=True)
    (rootfs / "opt/ct-server/bin").mkdir(parents=True)
    for name in ("ctsys", "ct-recorder"):
        (rootfs / "usr/bin" / name).symlink_to(f"/opt/ct-server/bin/{name}")
    (rootfs / "opt/ct-server/bin/ctsys").write_text("#!/opt/ct-server/bin/python3\n")
    assert packages.missing_commands(rootfs) == ["/usr/bin/ct-recorder"]
    (rootfs / "opt/ct-server/bin/ct-recorder").write_text("#!/opt/ct-server/bin/python3\n")
    assert packages.missing_commands(rootfs) == []
