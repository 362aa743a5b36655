"""The OVF descriptor of the OVA, read back with ElementTree as an importer would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from image.errors import ImageError
from image.ovf import OVF_NS, RASD_NS, VSSD_NS, ovf_descriptor, ovf_problems
from image.vmformats import FORMATS, check_formats, convert_argv

pytestmark = pytest.mark.unit
OVF = f"{{{OVF_NS}}}"
CAPACITY = 8 * 2**30
VMDK = "ct-server.vmdk"


def descriptor(version: str = "1.2.3+gabc") -> ET.Element:
    return ET.fromstring(ovf_descriptor("ct-server", version, VMDK, 123_456_789, CAPACITY, 2 * 2**30))


def items(root: ET.Element) -> dict[str, ET.Element]:
    """VirtualHardwareSection items by CIM resource type."""
    found = root.findall(f"{OVF}VirtualSystem/{OVF}VirtualHardwareSection/{OVF}Item")
    return {item.findtext(f"{{{RASD_NS}}}ResourceType", ""): item for item in found}


def rasd(item: ET.Element, key: str) -> str | None:
    return item.findtext(f"{{{RASD_NS}}}{key}")


def test_descriptor_is_an_ovf_1_0_envelope_with_every_required_section() -> None:
    root = descriptor()
    assert root.tag == f"{OVF}Envelope"
    assert root.get(f"{OVF}version") == "1.0"
    assert ovf_problems(root, CAPACITY) == []


def test_virtual_machine_has_two_vcpus_and_4096_mb() -> None:
    by_type = items(descriptor())
    assert rasd(by_type["3"], "VirtualQuantity") == "2"
    assert rasd(by_type["4"], "VirtualQuantity") == "4096"
    assert rasd(by_type["4"], "AllocationUnits") == "byte * 2^20"


def test_disk_declares_the_raw_capacity_and_its_file() -> None:
    root = descriptor()
    file = root.find(f"{OVF}References/{OVF}File")
    disk = root.find(f"{OVF}DiskSection/{OVF}Disk")
    assert file is not None and disk is not None
    assert (file.get(f"{OVF}href"), file.get(f"{OVF}size")) == (VMDK, "123456789")
    assert disk.get(f"{OVF}capacity") == str(CAPACITY)
    assert disk.get(f"{OVF}populatedSize") == str(2 * 2**30)
    assert disk.get(f"{OVF}fileRef") == file.get(f"{OVF}id")
    assert disk.get(f"{OVF}format", "").endswith("#streamOptimized")
    by_type = items(root)
    assert rasd(by_type["17"], "HostResource") == f"ovf:/disk/{disk.get(f'{OVF}diskId')}"
    assert rasd(by_type["17"], "Parent") == rasd(by_type["6"], "InstanceID")  # on the SCSI controller
    assert rasd(by_type["6"], "ResourceSubType") == "lsilogic"


def test_one_e1000_nic_on_the_declared_management_network() -> None:
    root = descriptor()
    nics = [item for item in root.iter(f"{OVF}Item") if rasd(item, "ResourceType") == "10"]
    assert len(nics) == 1
    assert rasd(nics[0], "ResourceSubType") == "E1000"
    assert rasd(nics[0], "Connection") == "management"
    assert [n.get(f"{OVF}name") for n in root.iterfind(f"{OVF}NetworkSection/{OVF}Network")] == ["management"]


def test_product_version_and_debian_64_bit_guest() -> None:
    root = descriptor(version="0.1.0+g1234567")
    system = root.find(f"{OVF}VirtualSystem")
    assert system is not None
    assert system.findtext(f"{OVF}ProductSection/{OVF}Product") == "CT-Server"
    assert system.findtext(f"{OVF}ProductSection/{OVF}Version") == "0.1.0+g1234567"
    os_section = system.find(f"{OVF}OperatingSystemSection")
    assert os_section is not None
    assert os_section.get(f"{OVF}id") == "96"  # CIM OsType Debian 64-Bit
    assert os_section.findtext(f"{OVF}Description") == "Debian 64-bit"
    family = system.findtext(f"{OVF}VirtualHardwareSection/{OVF}System/{{{VSSD_NS}}}VirtualSystemType", "")
    assert family.startswith("vmx-")


def test_rasd_elements_are_in_the_schema_s_alphabetical_order() -> None:
    for item in descriptor().iter(f"{OVF}Item"):
        keys = [child.tag.split("}")[1] for child in item]
        assert keys == sorted(keys)


def test_markup_in_the_version_is_escaped_not_injected() -> None:
    root = descriptor(version='1.0 <beta> & "rc"')
    assert root.findtext(f"{OVF}VirtualSystem/{OVF}ProductSection/{OVF}Version") == '1.0 <beta> & "rc"'


def test_missing_nic_and_wrong_capacity_are_reported() -> None:
    root = descriptor()
    hardware = root.find(f"{OVF}VirtualSystem/{OVF}VirtualHardwareSection")
    assert hardware is not None
    hardware.remove(items(root)["10"])
    assert ovf_problems(root, CAPACITY + 512) == [
        f"disk capacity {CAPACITY}, the raw disk has {CAPACITY + 512}",
        "OVF hardware has no NIC item",
    ]


def test_formats_are_built_disks_first_and_unknown_ones_refused() -> None:
    assert check_formats(["vagrant", "qcow2", "qcow2"]) == ("qcow2", "vagrant")
    with pytest.raises(ImageError, match="vdi") as refused:
        check_formats(["vdi"])
    assert refused.value.hint == f"valid formats: {', '.join(FORMATS)}"


def test_qemu_img_argv_per_disk_format() -> None:
    raw, out = Path("d.raw"), Path("d.out")
    assert convert_argv(raw, "qcow2", out) == ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", "d.raw", "d.out"]
    assert convert_argv(raw, "vmdk", out)[6:8] == ["-o", "subformat=streamOptimized,adapter_type=lsilogic"]
    assert convert_argv(raw, "vhdx", out)[6:8] == ["-o", "subformat=dynamic"]
