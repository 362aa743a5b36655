"""Storage: disks, data volumes (/srv/ctdata/N), RAID (mdadm), SMART, fill, re-adoption.

Plain functions returning dataclasses, importable by the recorder (volumes and
fill figures) and by the SNMP agent (disk, RAID and SMART figures):

    ctsys.storage.inventory.list_disks()      -> list[Disk]        (lsblk; cheap)
    ctsys.storage.volumes.mounted_volumes()   -> list[VolumeUsage] (statvfs; cheap)
    ctsys.storage.mdstat.read_mdstat()        -> list[MdArray]     (/proc/mdstat; cheap)
    ctsys.storage.smart.read_smart(path)      -> SmartSummary      (one smartctl run)
"""

DATA_ROOT = "/srv/ctdata"


def human_size(size: int | float) -> str:
    """Decimal units, as disk vendors label them (a "4 TB" disk shows as 4.00 TB)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(value) < 1000 or unit == "PB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
