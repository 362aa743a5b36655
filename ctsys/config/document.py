"""The whole appliance document: parse, validate with path-naming errors, serialize."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

import yaml
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from ctsys.config.sections import Section
from ctsys.config.sections.network import NetworkSection
from ctsys.config.sections.services import ServicesSection
from ctsys.config.sections.snmp import SnmpSection
from ctsys.config.sections.storage import StorageSection
from ctsys.config.sections.system import SystemSection
from ctsys.config.sections.time import TimeSection
from ctsys.errors import ValidationError
from recorder.schema import CamerasSection  # the recorder's own schema of its section

SCHEMA_VERSION = 1


class Appliance(Section):
    """The root of /etc/ctsys/appliance.yaml. Every section has working defaults."""

    version: int = Field(SCHEMA_VERSION, description="Schema version of the document.")
    system: SystemSection = Field(default_factory=SystemSection)
    services: ServicesSection = Field(default_factory=ServicesSection)
    network: NetworkSection = Field(default_factory=NetworkSection)
    time: TimeSection = Field(default_factory=TimeSection)
    storage: StorageSection = Field(default_factory=StorageSection)
    snmp: SnmpSection = Field(default_factory=SnmpSection)
    cameras: CamerasSection = Field(default_factory=CamerasSection)


SECTIONS: tuple[str, ...] = tuple(n for n in Appliance.model_fields if n != "version")


def format_path(loc: tuple[Any, ...]) -> str:
    """('network', 'interfaces', 2, 'address') -> 'network.interfaces[2].address'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class inside Optional[...], list[...] or dict[str, ...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (list, tuple, set, dict, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model that holds the key at `loc` (for suggestions)."""
    model: type[BaseModel] | None = Appliance
    for part in loc[:-1]:
        if model is None:
            return []
        if isinstance(part, int) or part not in model.model_fields:
            continue  # list index or dict key: stay on the element's model
        model = _model_of(model.model_fields[part].annotation)
    return list(model.model_fields) if model is not None else []


def _reason(error: Any) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _fields_at(loc), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "is required"
    message = str(error["msg"])
    if kind in ("value_error", "assertion_error"):
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return f"{shown}: {message[0].lower()}{message[1:]}"


def _problem(error: Any) -> tuple[str, str]:
    path = format_path(tuple(error["loc"]))
    reason = _reason(error)
    # A cross-field validator names the field it blames as "@rel.path: reason".
    if reason.startswith("@") and ": " in reason:
        rel, reason = reason[1:].split(": ", 1)
        joiner = "" if rel.startswith("[") or not path else "."
        path = f"{path}{joiner}{rel}"
    return path, reason


def errors_from_pydantic(exc: PydanticValidationError) -> ValidationError:
    return ValidationError([_problem(e) for e in exc.errors()])


def validate(data: Any) -> Appliance:
    """Validate a parsed document (a mapping); raise ValidationError naming each bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError([("", f"the document must be a mapping of sections, not {type(data).__name__}")])
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ValidationError([("", f"section names must be strings, not {bad_keys[0]!r}")])
    try:
        return Appliance.model_validate(data)
    except PydanticValidationError as exc:
        raise errors_from_pydantic(exc) from None


def parse(text: str) -> Appliance:
    """Parse YAML text into a validated document."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValidationError([("", f"YAML syntax error{where}: {problem}")]) from None
    return validate(data)


def to_data(doc: Appliance) -> dict[str, Any]:
    return doc.model_dump(mode="json")


def dump(doc: Appliance) -> str:
    """Serialize a document to YAML: stable key order (schema order), block style."""
    header = "# CT-Server appliance configuration. Change it with `ctsys`; see `ctsys config --help`.\n"
    return header + yaml.safe_dump(to_data(doc), sort_keys=False, default_flow_style=False, allow_unicode=True)


def defaults() -> Appliance:
    return Appliance()
