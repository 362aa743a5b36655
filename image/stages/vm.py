"""VM images (`--outputs qcow2,vmdk,vhdx,ova,vagrant,raw`): the ISO's installer
writes a raw system disk in qemu (image/vmdisk.py), which is then converted
(image/vmformats.py). Skipped when only the ISO is asked for."""

from __future__ import annotations

from image.config import VM_OUTPUTS
from image.context import Context


def run_stage(ctx: Context) -> str:
    wanted = [f for f in ctx.config.outputs if f in VM_OUTPUTS]
    if not wanted:
        return "skipped (no VM format asked for)"
    from image.vmdisk import install_to_disk
    from image.vmformats import make_vm_images

    name = ctx.config.image_name
    out = ctx.config.output_dir
    raw = out / f"{name}.raw"
    disk = install_to_disk(ctx.artifacts["iso"], raw, out / f"{name}.install.log", progress=ctx.progress)
    ctx.artifacts["raw"] = raw
    notes = [f"installer {disk.install_seconds} s ({disk.seconds:.0f} s with the VM boot)"]
    converted = [f for f in wanted if f != "raw"]
    if converted:
        images = make_vm_images(raw, out, name, converted, ctx.config.image_version or "", progress=ctx.progress)
        for fmt, image in images.items():
            ctx.artifacts[fmt] = image.path
            notes.append(f"{fmt} {image.bytes / 2**20:.0f} MiB in {image.seconds:.0f} s")
    if "raw" not in wanted:
        raw.unlink()
        del ctx.artifacts["raw"]
    return "; ".join(notes)
