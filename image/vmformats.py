"""VM images from an installed raw appliance disk: qcow2, vmdk, vhdx, OVA, Vagrant box.

The raw disk (GPT, BIOS + UEFI GRUB) comes from the installer; this module only
repackages it. The disk formats are thin layers over `qemu-img convert`; the
OVA is a ustar of OVF descriptor, streamOptimized vmdk and SHA256 manifest (in
that order, as the OVF specification requires for streaming imports); the
Vagrant box is a gzip'd tar for the libvirt provider around the qcow2.

Everything is written into a temporary directory beside the outputs, verified,
then renamed into place: a failure leaves no half-written image behind.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import math
import os
import re
import struct
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, ClassVar

from image.errors import ImageError
from image.ovf import OVF_NS, ovf_descriptor, ovf_problems
from image.run import run

GIB = 1 << 30

MANIFEST_LINE = re.compile(r"^SHA256\((?P<name>[^)]+)\)= (?P<digest>[0-9a-f]{64})$")

BOX_VAGRANTFILE = """\
# CT-Server appliance box for the libvirt provider, made by ctimage (image/vmformats.py).
Vagrant.configure("2") do |config|
  # The appliance's administrator. No password is known: the first boot shows a
  # one-time password on the console, which SSH refuses until it is changed
  # there. Give Vagrant your key: put it in a CT-SEED disk's ct-seed.yaml
  # (admin_authorized_keys) and set config.ssh.private_key_path to its private
  # half. ctsys renders authorized_keys from its document, so Vagrant must not
  # insert a key of its own.
  config.ssh.username = "admin"
  config.ssh.insert_key = false
  # No rsync or NFS client on the appliance: no synced folders.
  config.vm.synced_folder ".", "/vagrant", disabled: true

  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "kvm"
    libvirt.cpus = 2
    libvirt.memory = 4096
  end
end
"""


@dataclass(frozen=True)
class VmImage:
    format: str
    path: Path
    bytes: int
    seconds: float
    virtual_size: int  # bytes the guest sees: the raw disk's size


@dataclass(frozen=True)
class Source:
    """What every format is written from: the installed raw disk and the build's facts."""

    raw: Path
    name: str  # the image's name: the files' stem
    version: str
    virtual_size: int  # the raw disk's size
    populated: int  # the bytes it really holds
    mtime: int  # archive members get the disk's time: same disk, same archive


class VmFormat:
    """One VM image format: its file, how it is written from the raw disk, how it is checked.

    A container (`carries` names a disk format) is written around that disk,
    converted once for every container and for the disk format itself.
    """

    name: ClassVar[str]
    carries: ClassVar[str | None] = None

    def file_name(self, image_name: str) -> str:
        return f"{image_name}.{self.name}"

    def write(self, source: Source, path: Path, disk: Path | None) -> None:
        """Write the image at `path`; `disk`: the converted disk a container carries."""
        raise NotImplementedError

    def verify(self, image: VmImage) -> list[str]:
        """The problems of a written image ([] when it is sound)."""
        raise NotImplementedError


class DiskFormat(VmFormat):
    """A disk that `qemu-img convert` makes of the raw disk, with its output options."""

    options: ClassVar[tuple[str, ...]] = ()

    def convert_argv(self, raw: Path, output: Path) -> list[str]:
        """qemu-img converts sparsely by default: zero runs of the raw disk are not written."""
        return ["qemu-img", "convert", "-f", "raw", "-O", self.name, *self.options, str(raw), str(output)]

    def write(self, source: Source, path: Path, disk: Path | None) -> None:
        run(self.convert_argv(source.raw, path))

    def verify(self, image: VmImage) -> list[str]:
        problems = []
        check = run(["qemu-img", "check", "-f", image.format, "--output=json", str(image.path)], check=False)
        if check.returncode != 0:
            problems.append(f"qemu-img check exit {check.returncode}: {(check.stderr or check.stdout).strip()}")
        info = run(["qemu-img", "info", "--output=json", str(image.path)], check=False)
        if info.returncode != 0:
            return [*problems, f"qemu-img info failed: {info.stderr.strip()}"]
        data = json.loads(info.stdout)
        if data.get("format") != image.format:
            problems.append(f"qemu-img sees format {data.get('format')!r}")
        if data.get("virtual-size") != image.virtual_size:
            problems.append(f"virtual size {data.get('virtual-size')}, the raw disk has {image.virtual_size}")
        return problems + self.info_problems(data)

    def info_problems(self, info: Mapping[str, Any]) -> list[str]:
        """What this format adds to the checks of `qemu-img info`'s JSON."""
        return []


class Qcow2(DiskFormat):
    name = "qcow2"


class Vmdk(DiskFormat):
    """streamOptimized (compressed grains), the vmdk an OVA carries; the adapter
    type matches the SCSI controller the OVF declares."""

    name = "vmdk"
    options = ("-o", "subformat=streamOptimized,adapter_type=lsilogic")

    def info_problems(self, info: Mapping[str, Any]) -> list[str]:
        create_type = info.get("format-specific", {}).get("data", {}).get("create-type")
        return [] if create_type == "streamOptimized" else [f"vmdk create type {create_type!r}, not streamOptimized"]


class Vhdx(DiskFormat):
    name = "vhdx"
    options = ("-o", "subformat=dynamic")


class Ova(VmFormat):
    """A ustar of OVF descriptor, streamOptimized vmdk and SHA256 manifest."""

    name = "ova"
    carries = "vmdk"

    def write(self, source: Source, path: Path, disk: Path | None) -> None:
        assert disk is not None
        write_ova(path, source.name, disk, source.virtual_size, source.populated, source.version, source.mtime)

    def verify(self, image: VmImage) -> list[str]:
        return _verify_ova(image)


class VagrantBox(VmFormat):
    """A gzip'd tar for Vagrant's libvirt provider around the qcow2."""

    name = "vagrant"
    carries = "qcow2"

    def file_name(self, image_name: str) -> str:
        return f"{image_name}-libvirt.box"

    def write(self, source: Source, path: Path, disk: Path | None) -> None:
        assert disk is not None
        write_vagrant_box(path, disk, source.virtual_size, source.mtime)

    def verify(self, image: VmImage) -> list[str]:
        return _verify_box(image)


# The one table of VM formats, in build order (disks before their containers):
# ctimage's --outputs choices and help (image/config.py) and the vm stage read it.
TABLE: dict[str, VmFormat] = {f.name: f for f in (Qcow2(), Vmdk(), Vhdx(), Ova(), VagrantBox())}
FORMATS = tuple(TABLE)


def _quiet(_message: str) -> None:
    pass


def output_name(name: str, fmt: str) -> str:
    return TABLE[fmt].file_name(name)


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The requested formats in build order (disks before their containers), without repeats."""
    unknown = [f for f in formats if f not in TABLE]
    if unknown:
        raise ImageError(f"unknown VM image format(s): {', '.join(unknown)}",
                         hint=f"valid formats: {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in formats)


def convert_argv(raw: Path, fmt: str, output: Path) -> list[str]:
    disk = TABLE[fmt]
    assert isinstance(disk, DiskFormat), f"{fmt} is no disk format"
    return disk.convert_argv(raw, output)


def make_vm_images(raw: Path, out_dir: Path, name: str, formats: Sequence[str], version: str,
                   progress: Callable[[str], None] = _quiet) -> dict[str, VmImage]:
    """Make `formats` of `raw` in `out_dir`; every image is verified before it is renamed into place."""
    wanted = check_formats(formats)
    if not name or "/" in name or len(output_name(name, "vagrant")) > 100:
        raise ImageError(f"bad image name {name!r}", hint="a file name of at most 88 characters, no '/'")
    if not raw.is_file():
        raise ImageError(f"raw disk {raw} is not a file", hint="pass the installed disk image")
    source = Source(raw, name, version, raw.stat().st_size, populated_size(raw), int(raw.stat().st_mtime))
    virtual_size = source.virtual_size
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.vm-", dir=out_dir) as tmp:
        work = Path(tmp)
        converted: dict[str, tuple[Path, float]] = {}

        def disk(fmt: str) -> tuple[Path, float]:
            if fmt not in converted:
                path = work / output_name(name, fmt)
                progress(f"converting {raw.name} to {fmt}")
                start = time.monotonic()
                TABLE[fmt].write(source, path, None)
                converted[fmt] = (path, time.monotonic() - start)
            return converted[fmt]

        made: dict[str, VmImage] = {}
        for fmt in wanted:
            kind = TABLE[fmt]
            if kind.carries is None:
                path, seconds = disk(fmt)
            else:
                inner, convert_seconds = disk(kind.carries)
                path = work / output_name(name, fmt)
                progress(f"packing {path.name}")
                start = time.monotonic()
                kind.write(source, path, inner)
                # a disk made only for this container counts towards its time
                seconds = time.monotonic() - start + (0.0 if kind.carries in wanted else convert_seconds)
            made[fmt] = VmImage(fmt, path, path.stat().st_size, round(seconds, 2), virtual_size)

        progress(f"verifying {', '.join(wanted)}")
        problems = verify(made)
        if problems:
            raise ImageError("VM images failed verification:\n" + "\n".join(f"  - {p}" for p in problems),
                             hint="nothing was written; the raw disk or qemu-img is at fault")
        final: dict[str, VmImage] = {}
        for fmt, image in made.items():
            target = out_dir / output_name(name, fmt)
            os.replace(image.path, target)
            final[fmt] = replace(image, path=target)
            progress(f"{target.name}: {image.bytes / 2**20:.0f} MiB in {image.seconds:.1f} s")
    return final


def populated_size(raw: Path) -> int:
    """Bytes the raw disk really holds (its allocated blocks): OVF's populatedSize hint."""
    st = raw.stat()
    return min(st.st_blocks * 512, st.st_size)


# -- OVF / OVA ----------------------------------------------------------------

def manifest(digests: Mapping[str, str]) -> bytes:
    return "".join(f"SHA256({name})= {digest}\n" for name, digest in digests.items()).encode()


class _HashingReader:
    """Hashes what tarfile copies, so the vmdk is read once for both tar and manifest."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.sha.update(data)
        return data


def _tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    return info


def write_ova(path: Path, name: str, vmdk: Path, capacity: int, populated: int, version: str,
              mtime: int) -> None:
    disk_href = f"{name}.vmdk"
    vmdk_bytes = vmdk.stat().st_size
    ovf = ovf_descriptor(name, version, disk_href, vmdk_bytes, capacity, populated)
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(_tarinfo(f"{name}.ovf", len(ovf), mtime), io.BytesIO(ovf))
        with vmdk.open("rb") as f:
            reader = _HashingReader(f)
            tar.addfile(_tarinfo(disk_href, vmdk_bytes, mtime), reader)
        mf = manifest({f"{name}.ovf": hashlib.sha256(ovf).hexdigest(), disk_href: reader.sha.hexdigest()})
        tar.addfile(_tarinfo(f"{name}.mf", len(mf), mtime), io.BytesIO(mf))


# -- Vagrant box ----------------------------------------------------------------

def box_metadata(virtual_size: int) -> dict[str, Any]:
    return {"provider": "libvirt", "format": "qcow2", "virtual_size": math.ceil(virtual_size / GIB)}


def write_vagrant_box(path: Path, qcow2: Path, virtual_size: int, mtime: int) -> None:
    metadata = (json.dumps(box_metadata(virtual_size), indent=2) + "\n").encode()
    vagrantfile = BOX_VAGRANTFILE.encode()
    # gzip's header carries a time too: fixed like the members'
    with open(path, "wb") as raw_out, gzip.GzipFile(fileobj=raw_out, mode="wb", mtime=mtime,
                                                   compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(_tarinfo("metadata.json", len(metadata), mtime), io.BytesIO(metadata))
        tar.addfile(_tarinfo("Vagrantfile", len(vagrantfile), mtime), io.BytesIO(vagrantfile))
        with qcow2.open("rb") as f:
            tar.addfile(_tarinfo("box.img", qcow2.stat().st_size, mtime), f)


# -- verification ---------------------------------------------------------------

def verify(images: Mapping[str, VmImage]) -> list[str]:
    """Problems found in `images` ([] when all are sound)."""
    problems: list[str] = []
    for fmt, image in images.items():
        if not image.path.is_file():
            problems.append(f"{fmt}: {image.path} is missing")
            continue
        if image.path.stat().st_size != image.bytes:
            problems.append(f"{fmt}: {image.path} has {image.path.stat().st_size} bytes, not {image.bytes}")
        if image.format not in TABLE:
            problems.append(f"{fmt}: unknown format {image.format!r}")
            continue
        try:
            problems += [f"{fmt}: {p}" for p in TABLE[image.format].verify(image)]
        except (OSError, tarfile.TarError, EOFError, gzip.BadGzipFile) as e:
            problems.append(f"{fmt}: {image.path} cannot be read: {e}")
    return problems


def _ustar_headers_ok(f: IO[bytes], members: Sequence[tarfile.TarInfo]) -> bool:
    for member in members:
        f.seek(member.offset + 257)
        if f.read(8) != b"ustar\x0000":
            return False
    return True


def _member_digest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    sha = hashlib.sha256()
    with _member(tar, member) as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _verify_ova(image: VmImage) -> list[str]:
    with image.path.open("rb") as raw_file, tarfile.open(fileobj=raw_file, mode="r:") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        problems = [] if _ustar_headers_ok(raw_file, members) else ["not a ustar archive"]
        if len(names) < 3 or not names[0].endswith(".ovf"):
            return [*problems, f"members {names}: the OVF descriptor must come first"]
        manifest_name = names[0][: -len(".ovf")] + ".mf"
        if names[-1] != manifest_name:
            problems.append(f"members {names}: the manifest {manifest_name} must come last")
        by_name = {m.name: m for m in members}
        try:
            with _member(tar, members[0]) as descriptor:
                root = ET.fromstring(descriptor.read())
        except ET.ParseError as e:
            return [*problems, f"{names[0]} does not parse: {e}"]
        files = root.findall(f"{{{OVF_NS}}}References/{{{OVF_NS}}}File")
        hrefs = [f.get(f"{{{OVF_NS}}}href", "") for f in files]
        if names[1:-1] != hrefs:
            problems.append(f"members {names}: expected the OVF, then {hrefs}, then the manifest")
        for file, href in zip(files, hrefs, strict=True):
            member = by_name.get(href)
            if member is None:
                problems.append(f"{href} (referenced by the OVF) is not in the archive")
            elif str(member.size) != file.get(f"{{{OVF_NS}}}size"):
                problems.append(f"{href} has {member.size} bytes, the OVF declares {file.get(f'{{{OVF_NS}}}size')}")
            elif href.endswith(".vmdk"):
                problems += _vmdk_member_problems(tar, member, image.virtual_size)
        problems += ovf_problems(root, image.virtual_size)
        if manifest_name in by_name:
            problems += _manifest_problems(tar, by_name[manifest_name], [m for m in members if m.name != manifest_name])
    return problems


def _vmdk_member_problems(tar: tarfile.TarFile, member: tarfile.TarInfo, virtual_size: int) -> list[str]:
    with _member(tar, member) as f:
        head = f.read(64 << 10)
    if head[:4] != b"KDMV":
        return [f"{member.name} is not a sparse vmdk"]
    problems = []
    capacity = struct.unpack_from("<Q", head, 12)[0] * 512
    if capacity != virtual_size:
        problems.append(f"{member.name} holds {capacity} bytes, the raw disk has {virtual_size}")
    if b'createType="streamOptimized"' not in head:
        problems.append(f"{member.name} is not streamOptimized")
    return problems


def _manifest_problems(tar: tarfile.TarFile, mf: tarfile.TarInfo, members: Sequence[tarfile.TarInfo]) -> list[str]:
    with _member(tar, mf) as f:
        text = f.read().decode(errors="replace")
    listed: dict[str, str] = {}
    problems = []
    for line in text.splitlines():
        match = MANIFEST_LINE.match(line.strip())
        if match is None:
            problems.append(f"{mf.name}: bad line {line!r}")
        else:
            listed[match["name"]] = match["digest"]
    for member in members:
        if member.name not in listed:
            problems.append(f"{mf.name} has no digest for {member.name}")
        elif _member_digest(tar, member) != listed[member.name]:
            problems.append(f"{member.name}: SHA256 differs from {mf.name}")
    extra = sorted(set(listed) - {m.name for m in members})
    if extra:
        problems.append(f"{mf.name} lists files not in the archive: {', '.join(extra)}")
    return problems


def _qcow2_header(f: IO[bytes]) -> tuple[bytes, int]:
    head = f.read(32)
    return head[:4], struct.unpack_from(">Q", head, 24)[0] if len(head) == 32 else -1


def _verify_box(image: VmImage) -> list[str]:
    problems = []
    with tarfile.open(image.path, mode="r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
        if set(members) != {"metadata.json", "Vagrantfile", "box.img"}:
            return [f"box members {sorted(members)}, expected box.img, metadata.json and Vagrantfile"]
        with _member(tar, "metadata.json") as f:
            try:
                metadata = json.loads(f.read())
            except ValueError as e:
                metadata = {}
                problems.append(f"metadata.json does not parse: {e}")
        if metadata and metadata != box_metadata(image.virtual_size):
            problems.append(f"metadata.json is {metadata}, expected {box_metadata(image.virtual_size)}")
        with _member(tar, "Vagrantfile") as f:
            if b"provider :libvirt" not in f.read():
                problems.append("Vagrantfile configures no libvirt provider")
        with _member(tar, "box.img") as f:
            magic, size = _qcow2_header(f)
        if magic != b"QFI\xfb":
            problems.append("box.img is not qcow2")
        elif size != image.virtual_size:
            problems.append(f"box.img holds {size} bytes, the raw disk has {image.virtual_size}")
    return problems


@contextlib.contextmanager
def _member(tar: tarfile.TarFile, member: str | tarfile.TarInfo) -> Iterator[IO[bytes]]:
    f = tar.extractfile(member)
    if f is None:
        raise tarfile.TarError(f"{member} is not a regular file")
    with f:
        yield f
