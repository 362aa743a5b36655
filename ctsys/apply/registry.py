"""Find every area's apply modules and order them by their `after` declarations."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from graphlib import CycleError, TopologicalSorter

import ctsys
from ctsys.apply.module import Module
from ctsys.errors import CtsysError


def discover() -> list[Module]:
    """Import `ctsys.<area>.apply_modules` for every area package that has one."""
    modules: list[Module] = []
    for info in sorted(pkgutil.iter_modules(ctsys.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        name = f"ctsys.{info.name}.apply_modules"
        if importlib.util.find_spec(name) is None:
            continue
        modules.extend(importlib.import_module(name).MODULES)
    return modules


def ordered(modules: list[Module]) -> list[Module]:
    """Modules in dependency order (ties broken by name, so the order is stable)."""
    by_name: dict[str, Module] = {}
    for m in modules:
        if m.name in by_name:
            raise CtsysError(f"two apply modules are named {m.name!r}")
        by_name[m.name] = m
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for m in sorted(modules, key=lambda m: m.name):
        missing = [a for a in m.after if a not in by_name]
        if missing:
            raise CtsysError(f"apply module {m.name!r} comes after unknown module(s): {', '.join(missing)}")
        sorter.add(m.name, *sorted(m.after))
    try:
        sorter.prepare()
    except CycleError as exc:
        raise CtsysError(f"apply modules depend on each other in a cycle: {exc.args[1]}") from None
    result: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        result.extend(ready)
        sorter.done(*ready)
    return [by_name[n] for n in result]


def all_modules() -> list[Module]:
    return ordered(discover())
