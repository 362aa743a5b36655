"""What a seed changes in the document: the install's own mapping, checked in full first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ctsys.config import edit
from ctsys.config.document import Appliance
from ctsys.errors import ValidationError
from ctsys.install.system import AnswerField, answers_into_document
from ctsys.seed.parse import Seed


@dataclass
class Change:
    path: str  # in the document
    old: Any
    new: Any


@dataclass
class Plan:
    doc: Appliance  # the document with the seed's settings
    fields: list[AnswerField]  # every field the seed sets, changed or not
    changes: list[Change] = field(default_factory=list)  # those whose value differs

    @property
    def summary(self) -> str:
        """History's summary: 'seed: hostname, admin keys, network from /dev/vdb (CT-SEED)'."""
        return ", ".join(f.label for f in self.fields) or "nothing"


def plan(doc: Appliance, seed: Seed) -> Plan:
    """`doc` with the seed applied; a ValidationError names the seed's file and field for every problem."""
    problems = list(seed.problems)
    try:
        new, fields = answers_into_document(doc, seed.answers)
    except ValidationError as exc:
        problems += [(seed.name(path), reason) for path, reason in exc.problems]
    if problems:
        raise ValidationError(problems)
    changes = []
    for f in fields:
        old_value, new_value = edit.get(doc, f.path), edit.get(new, f.path)
        if old_value != new_value:
            changes.append(Change(f.path, old_value, new_value))
    return Plan(new, fields, changes)


def summary(seed: Seed, result: Plan) -> str:
    return f"seed: {result.summary} from {seed.where}"
