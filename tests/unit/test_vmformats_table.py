"""The VM formats are one table of objects, each with write() and verify(), that
ctimage's --outputs choices and help, the vm stage and vmformats all read."""

from __future__ import annotations

from pathlib import Path

import pytest

from image import config, vmformats
from image.cli import main
from image.vmformats import FORMATS, TABLE, DiskFormat, Source, VmFormat, VmImage

pytestmark = pytest.mark.unit


def test_every_format_writes_and_verifies_in_its_own_way() -> None:
    assert FORMATS == ("qcow2", "vmdk", "vhdx", "ova", "vagrant")
    for name, fmt in TABLE.items():
        assert isinstance(fmt, VmFormat) and fmt.name == name
        assert type(fmt).write is not VmFormat.write, name
        assert type(fmt).verify is not VmFormat.verify, name


def test_names_and_files_are_unique() -> None:
    assert len({type(f) for f in TABLE.values()}) == len(TABLE)
    files = [f.file_name("ct") for f in TABLE.values()]
    assert len(set(files)) == len(files)
    assert vmformats.output_name("ct", "vagrant") == "ct-libvirt.box"
    assert vmformats.output_name("ct", "vmdk") == "ct.vmdk"


def test_a_container_carries_a_disk_format_built_before_it() -> None:
    for name, fmt in TABLE.items():
        if fmt.carries is None:
            assert isinstance(fmt, DiskFormat), name
        else:
            assert isinstance(TABLE[fmt.carries], DiskFormat), name
            assert FORMATS.index(fmt.carries) < FORMATS.index(name)
    assert {n: f.carries for n, f in TABLE.items() if f.carries} == {"ova": "vmdk", "vagrant": "qcow2"}


def test_the_outputs_setting_offers_the_table() -> None:
    assert ("iso", "raw", *FORMATS) == config.OUTPUT_FORMATS
    assert ("raw", *FORMATS) == config.VM_OUTPUTS
    outputs = next(s for s in config.SETTINGS if s.name == "outputs")
    assert outputs.parse("iso,ova") == ("iso", "ova")
    with pytest.raises(ValueError, match="vdi"):
        outputs.parse("vdi")
    assert outputs.help.endswith("iso, and VM images raw, " + ", ".join(FORMATS))
    build = main.commands["build"]
    (option,) = [p for p in build.params if p.name == "outputs"]
    assert ", ".join(FORMATS) in (option.help or "")


def test_a_disk_format_writes_by_qemu_img_convert(fake_run: object, tmp_path: Path) -> None:
    from tests.conftest import FakeRun

    assert isinstance(fake_run, FakeRun)
    source = Source(tmp_path / "d.raw", "ct", "1.0", 1 << 20, 4096, 0)
    TABLE["vhdx"].write(source, tmp_path / "ct.vhdx", None)
    assert fake_run.calls == [["qemu-img", "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic",
                               str(tmp_path / "d.raw"), str(tmp_path / "ct.vhdx")]]


def test_a_disk_format_verifies_by_qemu_img_and_a_vmdk_must_be_stream_optimized(
        fake_run: object, tmp_path: Path) -> None:
    from tests.conftest import FakeRun

    assert isinstance(fake_run, FakeRun)
    path = tmp_path / "ct.vmdk"
    image = VmImage("vmdk", path, 0, 0.0, 1 << 20)
    fake_run.on("qemu-img", "info", stdout='{"format": "vmdk", "virtual-size": 1048576, '
                '"format-specific": {"data": {"create-type": "monolithicSparse"}}}')
    assert TABLE["vmdk"].verify(image) == ["vmdk create type 'monolithicSparse', not streamOptimized"]
    assert fake_run.commands() == [f"qemu-img check -f vmdk --output=json {path}",
                                   f"qemu-img info --output=json {path}"]
    assert TABLE["qcow2"].verify(VmImage("qcow2", path, 0, 0.0, 1 << 20)) == ["qemu-img sees format 'vmdk'"]
