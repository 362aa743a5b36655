"""The installer: the live system onto one disk, in minutes, never touching the others.

Layout of the system disk (GPT):
  1  bios   1 MiB    BIOS boot partition (EF02): GRUB's core image for BIOS boot
  2  efi    256 MiB  EFI system partition (EF00), FAT32, label CT-EFI, /boot/efi
  3  root   the rest Linux x86-64 root (8304), ext4, label ct-root, /

Data disks (ctdata volumes), RAID members, removable media and the disk that
holds the live medium are never written: they are listed as kept.
"""
