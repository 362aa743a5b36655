#!/usr/bin/env bash
# The project's main job: on a fresh Debian 12 machine, install what the
# builder needs, build the debian-12 server ISO and boot it in qemu until the
# appliance answers over SSH, then print how to log in.
#
#   ./scripts/build-and-boot.sh               # build + boot (BIOS, as a CD), as root
#   ./scripts/build-and-boot.sh --uefi        # boot under UEFI (OVMF)
#   ./scripts/build-and-boot.sh --usb         # boot as a USB stick
#   ./scripts/build-and-boot.sh --build-only  # build the ISO, print its path, do not boot
#
# It installs every host tool the build calls (.ci/packages/image.apt); the files
# rendered into the image are checked with the image's own tools (sshd, chronyd...).
# Environment: SSH_PORT (default 2222), CTIMAGE_* settings (see `ctimage settings`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "build-and-boot: run as root: the build uses mmdebstrap, chroot and mounts" >&2
    exit 1
fi

build_only=0
if [ "${1:-}" = "--build-only" ]; then
    build_only=1
    shift
fi

echo "== installing the build tools (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2046
apt-get install -y -qq --no-install-recommends $(sed -e 's/#.*//' .ci/packages/image.apt) >/dev/null

echo "== installing ctimage and Ansible into .venv (pip)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[builder]'

echo "== building the debian-12 server ISO"
iso=$(.venv/bin/ctimage build --profile debian-12 --flavour server | tail -n 1)

if [ $build_only -eq 1 ]; then
    echo "$iso"
    exit 0
fi

echo "== booting $iso in qemu"
exec .venv/bin/ctimage boot "$iso" --detach --ssh-port "${SSH_PORT:-2222}" "$@"
