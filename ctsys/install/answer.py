"""The answer file: what an unattended install needs to know.

Looked for, in order: --answer FILE; the kernel parameter `ctserver.answer=PATH`
(a path on the live medium); `ct-install.yaml` at the root of the live medium.
The kernel parameters `ctserver.disk=SERIAL|/dev/NAME` and
`ctserver.finish=prompt|reboot|poweroff` override `disk` and `finish`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from ctsys.config.sections import Section
from ctsys.config.types import Hostname, TimeZone
from ctsys.errors import CtsysError, ValidationError

MEDIUM = Path("/run/live/medium")
DEFAULT_NAME = "ct-install.yaml"


class Answers(Section):
    disk: str = Field("auto", description="Target: a serial number, /dev/NAME, or auto (the only suitable disk).")
    hostname: Hostname | None = None
    timezone: TimeZone | None = None
    admin_authorized_keys: list[str] = Field(default_factory=list)
    admin_password_hash: str | None = None
    network: dict[str, Any] | None = Field(None, description="A `network` section for the installed system.")
    finish: Literal["prompt", "reboot", "poweroff"] = Field(
        "prompt", description="At the end: prompt for a reboot, reboot, or power off (VM image builds)."
    )


def kernel_parameters(cmdline: str) -> dict[str, str]:
    params = {}
    for word in cmdline.split():
        key, _, value = word.partition("=")
        if key.startswith("ctserver."):
            params[key.removeprefix("ctserver.")] = value
    return params


def load_mapping(text: str, source: str) -> dict[str, Any]:
    """YAML text that must be a mapping (an answer file, a seed's files); errors name `source`."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CtsysError(f"{source}: YAML syntax error: {exc}") from None
    if not isinstance(data, dict):
        raise CtsysError(f"{source}: must be a mapping of keys to values, not {type(data).__name__}")
    return data


def parse(text: str, source: str) -> Answers:
    return validate(load_mapping(text, source), source)


def validate(data: dict[str, Any], source: str) -> Answers:
    from ctsys.config.document import format_path

    try:
        return Answers.model_validate(data)
    except PydanticValidationError as exc:
        problems = [
            (f"{source}: {format_path(tuple(e['loc']))}", str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors()
        ]
        raise ValidationError(problems) from None


def load(answer_file: str | None, cmdline: str, medium: Path = MEDIUM) -> Answers:
    params = kernel_parameters(cmdline)
    path: Path | None = None
    if answer_file:
        path = Path(answer_file)
    elif "answer" in params:
        path = medium / params["answer"].lstrip("/")
    elif (medium / DEFAULT_NAME).exists():
        path = medium / DEFAULT_NAME
    if path is not None and not path.exists():
        raise CtsysError(f"answer file {path} does not exist")
    answers = parse(path.read_text(), str(path)) if path is not None else Answers()
    overrides = {key: params[key] for key in ("disk", "finish") if key in params}
    if overrides:
        # validated like the file's fields: a bad ctserver.finish= is named, not ignored
        answers = validate({**answers.model_dump(), **overrides}, "kernel command line (ctserver.*)")
    return answers
