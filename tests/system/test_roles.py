"""The Ansible roles are idempotent: run again over the image's rootfs (after
ctsys rendered the defaults into it), they change nothing."""

from __future__ import annotations

import pytest

from image.build import reprovision
from tests.system.conftest import ApplianceImage

# the first test pays for the session build and the boot (TCG, shared CPU)
pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]


def test_second_provisioning_run_changes_nothing(appliance_image: ApplianceImage) -> None:
    recap = reprovision(appliance_image.config)
    assert recap.failed == 0 and recap.unreachable == 0
    assert recap.changed == 0, f"roles changed {recap.changed} things on a second run " \
        f"(see {appliance_image.config.output_dir}/{appliance_image.config.image_name}.log)"
