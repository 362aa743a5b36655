"""Change the document from an area's command: mutate its data, validate all, commit, journal.

Commands edit the plain data (dicts and lists) and the whole document is
validated again, so an error names the field (`time.servers[1].host: ...`)
and nothing is written when anything is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ctsys.cli import Obj
from ctsys.config.document import Appliance

Mutation = Callable[[dict[str, Any]], None]


def change(obj: Obj, action: str, mutate: Mutation, apply_now: bool) -> Appliance:
    """Apply `mutate` to the document's data under the lock; returns the new document."""
    from ctsys.config import document
    from ctsys.config.change import change_document

    result: list[Appliance] = []

    def edit(doc: Appliance) -> Appliance:
        data = copy.deepcopy(document.to_data(doc))
        mutate(data)
        result.append(document.validate(data))
        return result[-1]

    change_document(obj, action, edit, apply=apply_now)
    return result[-1]


def load(obj: Obj) -> Appliance:
    from ctsys.config.store import ConfigStore

    return ConfigStore(obj.root).load()
