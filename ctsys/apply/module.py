"""What an area declares to the apply engine: its inputs, files, services and order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctsys.apply.checkers import CheckSystem, Tool

if TYPE_CHECKING:
    from ctsys.config.document import Appliance


@dataclass(frozen=True)
class FileSpec:
    """One rendered file. `target` is an absolute system path, or a function of the document.

    `when(doc)` false: the file must not exist (it is removed if it does).
    `symlink`: the rendered text (stripped) is the link's target instead of file content.
    """

    target: str | Callable[[Appliance], str]
    template: str
    mode: int = 0o644
    when: Callable[[Appliance], bool] | None = None
    symlink: bool = False
    # Extra template variables for this file only: one template, several files (srv-ctdata-N.mount).
    params: tuple[tuple[str, Any], ...] = ()

    def target_for(self, doc: Appliance) -> str:
        return self.target(doc) if callable(self.target) else self.target


@dataclass
class StagedFiles:
    """A module's rendered files, written under a scratch root so checkers can read them."""

    root: Path
    files: dict[str, str | None]  # target -> content; None means "remove"
    # The system the files are for: its own checkers validate them (see ctsys.apply.checkers).
    system: CheckSystem = field(default_factory=CheckSystem)

    def path(self, target: str) -> Path:
        return self.root / target.lstrip("/")

    def tool(self, name: str, package: str, purpose: str) -> Tool:
        return self.system.tool(name, package, purpose)


@dataclass
class ApplyContext:
    """Passed to a module's `activate`: only called on the running system (not with --root)."""

    root: Path
    doc: Appliance
    module: Module
    changed: list[str] = field(default_factory=list)


@dataclass
class PreflightContext:
    """Passed to a module's `preflight`: on the running system, before any module writes a file.

    `force` is the caller's --force (`ctsys net ... --force`): a refusal that the
    caller may override becomes a warning, returned by the preflight.
    """

    root: Path
    doc: Appliance
    module: Module
    force: bool = False


@dataclass(frozen=True)
class Module:
    name: str
    sections: tuple[str, ...]
    # A fixed tuple, or a function of the document for files that come and go with it
    # (one mount unit per data volume, one file per interface...).
    files: tuple[FileSpec, ...] | Callable[[Appliance], tuple[FileSpec, ...]] = ()
    services: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    description: str = ""
    context: Callable[[Appliance], dict[str, Any]] | None = None
    check: Callable[[StagedFiles], None] | None = None
    activate: Callable[[ApplyContext], None] | None = None
    # Live only, before anything is written, when the module is about to be applied:
    # raise CtsysError to refuse the whole apply, or return warnings.
    preflight: Callable[[PreflightContext], list[str]] | None = None

    def file_specs(self, doc: Appliance) -> tuple[FileSpec, ...]:
        return self.files(doc) if callable(self.files) else self.files
