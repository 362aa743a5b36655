"""First-boot seed: host name, admin keys and network for a VM image, without a console.

A seed is looked for, in order: a filesystem labelled CT-SEED, then one labelled
cidata (the NoCloud convention), on any disk, holding `ct-seed.yaml`; on a cidata
filesystem without it, the NoCloud `meta-data` and `user-data` (a documented
subset); then `ct-seed.yaml` on the system disk's EFI system partition
(/boot/efi). `ct-seed.yaml` is the installer's answer file without `disk` and
`finish`. `ctsys-seed.service` runs `ctsys seed apply --first-boot` early at every
boot; a seed is applied once per content (its sha256 is remembered).
"""
