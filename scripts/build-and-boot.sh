#!/usr/bin/env bash
# The project's main job: on a fresh Debian 12 machine, install what the
# builder needs, build the debian-12 server ISO and boot it in qemu until the
# appliance answers over SSH, then print how to log in.
#
#   sudo scripts/build-and-boot.sh            # build + boot (BIOS, as a CD)
#   sudo scripts/build-and-boot.sh --uefi     # boot under UEFI (OVMF)
#   sudo scripts/build-and-boot.sh --usb      # boot as a USB stick
#
# Environment: SSH_PORT (default 2222), CTIMAGE_* settings (see `ctimage settings`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "build-and-boot: run as root (sudo $0): the build uses mmdebstrap, chroot and mounts" >&2
    exit 1
fi

echo "== installing the build tools (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2046
apt-get install -y -qq --no-install-recommends python3 python3-pip \
    $(grep -hv '^\s*#' .ci/packages/image.apt) >/dev/null

echo "== installing ctimage and Ansible into .venv (pip)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[builder]'

echo "== building the debian-12 server ISO"
iso=$(.venv/bin/ctimage build --profile debian-12 --flavour server | tail -n 1)

echo "== booting $iso in qemu"
exec .venv/bin/ctimage boot "$iso" --detach --ssh-port "${SSH_PORT:-2222}" "$@"
