"""VM images from a raw disk with the real qemu-img: every format verifies, converts
back to the same bytes, and verify() catches a tampered OVA or box."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from image import vmformats
from image.errors import ImageError
from image.vmformats import FORMATS, VmImage, make_vm_images, verify
from tests.tools import require

pytestmark = pytest.mark.integration
NAME = "ct-server-test"
MIB = 1 << 20
# (offset, bytes) written into the raw disk: start, inside partitions, last MiB before the backup GPT
DATA = (
    (1 * MIB, b"BIOS boot partition payload " * 1000),
    (5 * MIB, os.urandom(3 * MIB)),
    (40 * MIB + 123, b"\x01\x02\x03 unaligned write"),
    (62 * MIB, bytes(range(256)) * 2048),
)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(MIB):
            h.update(chunk)
    return h.hexdigest()


def to_raw(image: Path, out: Path) -> Path:
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(image), str(out)], check=True, timeout=120)
    return out


@pytest.fixture(scope="module")
def raw_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """64 MiB sparse disk with a GPT (BIOS boot, ESP, root) and known data at known offsets."""
    require("qemu-img", "sgdisk")
    raw = tmp_path_factory.mktemp("raw") / "disk.raw"
    with raw.open("wb") as f:
        f.truncate(64 * MIB)
    subprocess.run(["sgdisk", "-o", "-n", "1:2048:+1M", "-t", "1:ef02", "-n", "2:0:+16M", "-t", "2:ef00",
                    "-n", "3:0:0", "-t", "3:8300", str(raw)], check=True, capture_output=True, timeout=30)
    with raw.open("r+b") as f:
        for offset, data in DATA:
            f.seek(offset)
            f.write(data)
    return raw


@pytest.fixture(scope="module")
def images(raw_disk: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, VmImage]:
    return make_vm_images(raw_disk, tmp_path_factory.mktemp("out"), NAME, FORMATS, "1.2.3+gtest")


def rewrite_tar(source: Path, target: Path, order: list[int], edit: dict[str, bytes] | None = None,
                gz: bool = False) -> None:
    """Copy an archive's members in another order, with some members' content replaced."""
    edit = edit or {}
    with tarfile.open(source, "r:gz" if gz else "r:") as src, \
            tarfile.open(target, "w:gz" if gz else "w", format=tarfile.USTAR_FORMAT) as dst:
        members = src.getmembers()
        for index in order:
            member = members[index]
            data = edit.get(member.name)
            if data is None:
                f = src.extractfile(member)
                assert f is not None
                data = f.read()
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def member_bytes(archive: Path, name: str, gz: bool = False) -> bytes:
    with tarfile.open(archive, "r:gz" if gz else "r:") as tar:
        f = tar.extractfile(name)
        assert f is not None
        return f.read()


def test_every_format_is_made_under_its_name_and_verifies_clean(images: dict[str, VmImage], raw_disk: Path) -> None:
    assert list(images) == list(FORMATS)
    names = {fmt: image.path.name for fmt, image in images.items()}
    assert names == {"qcow2": f"{NAME}.qcow2", "vmdk": f"{NAME}.vmdk", "vhdx": f"{NAME}.vhdx",
                     "ova": f"{NAME}.ova", "vagrant": f"{NAME}-libvirt.box"}
    for image in images.values():
        assert image.bytes == image.path.stat().st_size
        assert image.virtual_size == raw_disk.stat().st_size
    assert verify(images) == []
    # only the images: the work directory is gone
    assert sorted(os.listdir(images["qcow2"].path.parent)) == sorted(names.values())


def test_qcow2_and_vhdx_are_sparse(images: dict[str, VmImage], raw_disk: Path) -> None:
    assert images["qcow2"].bytes < raw_disk.stat().st_size // 4
    assert images["vhdx"].path.stat().st_blocks * 512 < raw_disk.stat().st_size // 4


@pytest.mark.parametrize("fmt", ["qcow2", "vmdk", "vhdx"])
def test_disk_format_converts_back_to_the_raw_bytes(images: dict[str, VmImage], raw_disk: Path, fmt: str,
                                                    tmp_path: Path) -> None:
    assert sha256(to_raw(images[fmt].path, tmp_path / "back.raw")) == sha256(raw_disk)


def test_disks_inside_the_ova_and_the_box_convert_back_to_the_raw_bytes(
        images: dict[str, VmImage], raw_disk: Path, tmp_path: Path) -> None:
    vmdk = tmp_path / "inner.vmdk"
    vmdk.write_bytes(member_bytes(images["ova"].path, f"{NAME}.vmdk"))
    box_img = tmp_path / "box.img"
    box_img.write_bytes(member_bytes(images["vagrant"].path, "box.img", gz=True))
    assert sha256(vmdk) == sha256(images["vmdk"].path)  # the same file goes into the OVA
    assert sha256(to_raw(vmdk, tmp_path / "ova.raw")) == sha256(raw_disk)
    assert sha256(to_raw(box_img, tmp_path / "box.raw")) == sha256(raw_disk)


def test_ova_holds_descriptor_then_disk_then_manifest(images: dict[str, VmImage]) -> None:
    with tarfile.open(images["ova"].path) as tar:
        assert tar.getnames() == [f"{NAME}.ovf", f"{NAME}.vmdk", f"{NAME}.mf"]
    manifest = member_bytes(images["ova"].path, f"{NAME}.mf").decode().splitlines()
    ovf = member_bytes(images["ova"].path, f"{NAME}.ovf")
    assert manifest[0] == f"SHA256({NAME}.ovf)= {hashlib.sha256(ovf).hexdigest()}"
    assert manifest[1] == f"SHA256({NAME}.vmdk)= {sha256(images['vmdk'].path)}"


def test_box_holds_qcow2_metadata_and_vagrantfile(images: dict[str, VmImage]) -> None:
    box = images["vagrant"].path
    with tarfile.open(box, "r:gz") as tar:
        assert sorted(tar.getnames()) == ["Vagrantfile", "box.img", "metadata.json"]
    assert json.loads(member_bytes(box, "metadata.json", gz=True)) == \
        {"provider": "libvirt", "format": "qcow2", "virtual_size": 1}
    vagrantfile = member_bytes(box, "Vagrantfile", gz=True).decode()
    assert 'config.ssh.username = "admin"' in vagrantfile
    assert 'disabled: true' in vagrantfile


def test_tampered_manifest_is_detected(images: dict[str, VmImage], tmp_path: Path) -> None:
    ova = images["ova"].path
    manifest = member_bytes(ova, f"{NAME}.mf").decode()
    digest = manifest.splitlines()[1].rsplit(" ", 1)[1]
    tampered = tmp_path / "tampered.ova"
    rewrite_tar(ova, tampered, [0, 1, 2], {f"{NAME}.mf": manifest.replace(digest, "0" * 64).encode()})
    problems = verify({"ova": VmImage("ova", tampered, tampered.stat().st_size, 0, images["ova"].virtual_size)})
    assert problems == [f"ova: {NAME}.vmdk: SHA256 differs from {NAME}.mf"]


def test_tampered_disk_is_detected_by_the_manifest(images: dict[str, VmImage], tmp_path: Path) -> None:
    vmdk = bytearray(member_bytes(images["ova"].path, f"{NAME}.vmdk"))
    vmdk[-2000] ^= 0xFF
    tampered = tmp_path / "tampered.ova"
    rewrite_tar(images["ova"].path, tampered, [0, 1, 2], {f"{NAME}.vmdk": bytes(vmdk)})
    problems = verify({"ova": VmImage("ova", tampered, tampered.stat().st_size, 0, images["ova"].virtual_size)})
    assert f"ova: {NAME}.vmdk: SHA256 differs from {NAME}.mf" in problems


@pytest.mark.parametrize("order", [[1, 0, 2], [0, 2, 1]], ids=["disk-first", "manifest-before-disk"])
def test_wrong_member_order_is_detected(images: dict[str, VmImage], tmp_path: Path, order: list[int]) -> None:
    reordered = tmp_path / "reordered.ova"
    rewrite_tar(images["ova"].path, reordered, order)
    problems = verify({"ova": VmImage("ova", reordered, reordered.stat().st_size, 0, images["ova"].virtual_size)})
    assert problems
    assert all("must come" in p or "expected the OVF" in p for p in problems), problems


def test_box_with_wrong_metadata_is_detected(images: dict[str, VmImage], tmp_path: Path) -> None:
    box = tmp_path / "bad.box"
    rewrite_tar(images["vagrant"].path, box, [0, 1, 2], gz=True,
                edit={"metadata.json": b'{"provider": "virtualbox", "format": "qcow2", "virtual_size": 1}'})
    problems = verify({"vagrant": VmImage("vagrant", box, box.stat().st_size, 0, images["vagrant"].virtual_size)})
    assert len(problems) == 1 and "metadata.json" in problems[0]


def test_disk_of_the_wrong_format_or_size_is_detected(images: dict[str, VmImage]) -> None:
    qcow2 = images["qcow2"]
    problems = verify({"vhdx": VmImage("vhdx", qcow2.path, qcow2.bytes, 0, qcow2.virtual_size + MIB)})
    assert any("qemu-img check exit" in p for p in problems)
    assert "vhdx: qemu-img sees format 'qcow2'" in problems
    assert any("virtual size" in p for p in problems)


def test_unknown_format_is_refused_before_anything_is_written(raw_disk: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ImageError) as refused:
        make_vm_images(raw_disk, out, NAME, ["qcow2", "vdi"], "1.2.3")
    assert "vdi" in str(refused.value)
    assert all(fmt in str(refused.value) for fmt in FORMATS)
    assert not out.exists()


def test_failed_verification_leaves_no_file(raw_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vmformats, "verify", lambda images: ["forced problem"])
    out = tmp_path / "out"
    with pytest.raises(ImageError, match="forced problem"):
        make_vm_images(raw_disk, out, NAME, ["qcow2", "ova"], "1.2.3")
    assert os.listdir(out) == []
