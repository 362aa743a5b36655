"""The OVF 1.0 descriptor of the OVA: written with ElementTree, and checked when read back.

One virtual system: 2 vCPU, 4096 MB, one streamOptimized vmdk on an LSI Logic
SCSI controller, one E1000 NIC on the network "management" (image/vmformats.py
packs it into the OVA).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

PRODUCT = "CT-Server"
VM_CPUS = 2
VM_MEMORY_MIB = 4096
VM_NETWORK = "management"

OVF_NS = "http://schemas.dmtf.org/ovf/envelope/1"
RASD_NS = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
VSSD_NS = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
VMDK_STREAM = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
CIM_OS_DEBIAN_64 = "96"  # CIM_OperatingSystem.OsType "Debian 64-Bit"
VIRTUAL_SYSTEM_TYPE = "vmx-13"  # VMware hardware family (ESXi 6.5+); VirtualBox accepts it

# CIM resource types used in the VirtualHardwareSection
RT_CPU, RT_MEMORY, RT_SCSI, RT_NIC, RT_DISK = 3, 4, 6, 10, 17


# ElementTree cannot put elements in a default namespace while the attributes
# keep an ovf: prefix for that same namespace (how VMware and VirtualBox write
# and expect OVF), so names carry their prefix and the root declares them.
ROOT_NAMESPACES = {
    "xmlns": OVF_NS, "xmlns:ovf": OVF_NS, "xmlns:rasd": RASD_NS, "xmlns:vssd": VSSD_NS, "xmlns:xsi": XSI_NS,
}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", ":", 1): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _item(section: ET.Element, **rasd: str | int) -> None:
    """A hardware Item; CIM's schema wants its rasd elements in alphabetical order."""
    item = _sub(section, "Item")
    for key in sorted(rasd):
        _sub(item, f"rasd:{key}", str(rasd[key]))


def ovf_descriptor(name: str, version: str, disk_href: str, disk_bytes: int, capacity: int,
                   populated: int) -> bytes:
    """The OVF 1.0 envelope: one VM (2 vCPU, 4096 MB, one SCSI disk, one E1000 NIC on "management")."""
    envelope = ET.Element("Envelope", {"ovf:version": "1.0", "xml:lang": "en-US", **ROOT_NAMESPACES})
    references = _sub(envelope, "References")
    _sub(references, "File", ovf_href=disk_href, ovf_id="file1", ovf_size=str(disk_bytes))

    disks = _sub(envelope, "DiskSection")
    _sub(disks, "Info", "Virtual disks of the appliance")
    _sub(disks, "Disk", ovf_capacity=str(capacity), ovf_diskId="vmdisk1", ovf_fileRef="file1",
         ovf_format=VMDK_STREAM, ovf_populatedSize=str(populated))

    networks = _sub(envelope, "NetworkSection")
    _sub(networks, "Info", "Logical networks of the appliance")
    network = _sub(networks, "Network", ovf_name=VM_NETWORK)
    _sub(network, "Description", "The management network (DHCP on eth0 by default)")

    system = _sub(envelope, "VirtualSystem", ovf_id=name)
    _sub(system, "Info", f"{PRODUCT} video-surveillance recording server")
    _sub(system, "Name", name)
    product = _sub(system, "ProductSection")
    _sub(product, "Info", "Product information")
    _sub(product, "Product", PRODUCT)
    _sub(product, "Version", version)
    _sub(product, "FullVersion", version)
    os_section = _sub(system, "OperatingSystemSection", ovf_id=CIM_OS_DEBIAN_64)
    _sub(os_section, "Info", "The guest operating system")
    _sub(os_section, "Description", "Debian 64-bit")

    hardware = _sub(system, "VirtualHardwareSection")
    _sub(hardware, "Info", f"{VM_CPUS} vCPU, {VM_MEMORY_MIB} MB memory, one disk, one NIC")
    vssd = _sub(hardware, "System")
    _sub(vssd, "vssd:ElementName", "Virtual Hardware Family")
    _sub(vssd, "vssd:InstanceID", "0")
    _sub(vssd, "vssd:VirtualSystemIdentifier", name)
    _sub(vssd, "vssd:VirtualSystemType", VIRTUAL_SYSTEM_TYPE)
    _item(hardware, AllocationUnits="hertz * 10^6", Description="Number of virtual CPUs",
          ElementName=f"{VM_CPUS} virtual CPUs", InstanceID=1, ResourceType=RT_CPU, VirtualQuantity=VM_CPUS)
    _item(hardware, AllocationUnits="byte * 2^20", Description="Memory size",
          ElementName=f"{VM_MEMORY_MIB} MB of memory", InstanceID=2, ResourceType=RT_MEMORY,
          VirtualQuantity=VM_MEMORY_MIB)
    # LSI Logic parallel SCSI: the one disk controller both VMware and VirtualBox import
    _item(hardware, Address=0, Description="SCSI controller", ElementName="SCSI controller 0",
          InstanceID=3, ResourceSubType="lsilogic", ResourceType=RT_SCSI)
    _item(hardware, AddressOnParent=0, ElementName="Hard disk 1", HostResource="ovf:/disk/vmdisk1",
          InstanceID=4, Parent=3, ResourceType=RT_DISK)
    _item(hardware, AutomaticAllocation="true", Connection=VM_NETWORK,
          Description=f"E1000 ethernet adapter on {VM_NETWORK}", ElementName="Network adapter 1",
          InstanceID=5, ResourceSubType="E1000", ResourceType=RT_NIC)
    ET.indent(envelope)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True) + b"\n"


def _rasd(item: ET.Element, key: str) -> str | None:
    return item.findtext(f"{{{RASD_NS}}}{key}")


def ovf_problems(root: ET.Element, virtual_size: int) -> list[str]:
    """What a parsed OVF envelope lacks or gets wrong for this appliance."""
    o = f"{{{OVF_NS}}}"
    if root.tag != f"{o}Envelope":
        return [f"root element {root.tag}, not an OVF 1.0 Envelope"]
    problems = []
    for required in ("References", "DiskSection", "NetworkSection", "VirtualSystem",
                     "VirtualSystem/ProductSection", "VirtualSystem/OperatingSystemSection",
                     "VirtualSystem/VirtualHardwareSection"):
        if root.find("/".join(o + part for part in required.split("/"))) is None:
            problems.append(f"OVF has no {required}")
    file_ids = {f.get(f"{o}id") for f in root.iterfind(f"{o}References/{o}File")}
    disks = root.findall(f"{o}DiskSection/{o}Disk")
    if len(disks) != 1:
        problems.append(f"OVF declares {len(disks)} disks, not 1")
    for disk in disks:
        if disk.get(f"{o}fileRef") not in file_ids:
            problems.append(f"disk {disk.get(f'{o}diskId')} refers to no File")
        if disk.get(f"{o}capacity") != str(virtual_size):
            problems.append(f"disk capacity {disk.get(f'{o}capacity')}, the raw disk has {virtual_size}")
    items = root.findall(f"{o}VirtualSystem/{o}VirtualHardwareSection/{o}Item")
    types = [_rasd(item, "ResourceType") for item in items]
    for resource, what in ((RT_CPU, "CPU"), (RT_MEMORY, "memory"), (RT_DISK, "disk"), (RT_NIC, "NIC")):
        if str(resource) not in types:
            problems.append(f"OVF hardware has no {what} item")
    if not {str(RT_SCSI), "20"} & set(types):
        problems.append("OVF hardware has no disk controller")
    return problems
