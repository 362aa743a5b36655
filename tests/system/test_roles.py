"""The Ansible roles are idempotent: run again over the image's rootfs (after
ctsys rendered the defaults into it), they change nothing."""

from __future__ import annotations

import json

import pytest

from image.build import reprovision, workspace_lock
from image.config import Config
from tests.system.conftest import ApplianceImage

# the first test pays for the session build and the boot (TCG, shared CPU)
pytestmark = [pytest.mark.system, pytest.mark.timeout(3600)]


def test_second_provisioning_run_changes_nothing(appliance_image: ApplianceImage) -> None:
    session = appliance_image.config
    with workspace_lock(session):
        # the settings of the build that made this rootfs (another session may
        # have rebuilt the shared workspace since this one started)
        report = session.output_dir / f"{session.image_name}.build.json"
        config = Config.from_dict(json.loads(report.read_text())["config"])
        recap = reprovision(config, lock=False)
    assert recap.failed == 0 and recap.unreachable == 0
    assert recap.changed == 0, f"roles changed {recap.changed} things on a second run " \
        f"(see {config.output_dir}/{config.image_name}.log)"
