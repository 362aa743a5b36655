"""Plan and apply: which modules' inputs or files changed, render them, check, write, reload.

For each module, in dependency order:
  1. dirty?   never applied, a consumed section or a template changed, or a file
              it owns was edited or removed by hand (or --force)
  2. render   pure function of the document
  3. check    the component's own checker on the staged files (nft -c, sshd -t, ...)
  4. write    atomically; the previous contents are kept in memory
  5. reload   live only: `systemctl try-reload-or-restart` the module's units, then `activate`
A failure in 3-5 restores the previous files; modules that come after it are skipped.
"""

from __future__ import annotations

import difflib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ctsys.apply import render
from ctsys.apply.checkers import CheckSystem
from ctsys.apply.module import ApplyContext, Module, PreflightContext, StagedFiles
from ctsys.apply.state import ApplyState, content_hash, disk_hash
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.fsutil import fsync_dir, remove_durable, under_root, write_atomic
from ctsys.run import run

log = logging.getLogger("ctsys.apply")


@dataclass
class FileChange:
    target: str
    old: str | None
    new: str | None
    symlink: bool = False

    def diff(self) -> str:
        old = [] if self.old is None else self.old.splitlines(keepends=True)
        new = [] if self.new is None else self.new.splitlines(keepends=True)
        if self.symlink:
            old = [f"-> {self.old}\n"] if self.old is not None else []
            new = [f"-> {self.new}\n"] if self.new is not None else []
        text = "".join(
            difflib.unified_diff(
                old,
                new,
                fromfile=self.target if self.old is not None else "/dev/null",
                tofile=self.target if self.new is not None else "/dev/null",
            )
        )
        return text if text.endswith("\n") or not text else text + "\n\\ No newline at end of file\n"


@dataclass
class Outcome:
    module: str
    status: str  # unchanged | applied | would-apply | failed | skipped
    reasons: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def read_current(path: Path, symlink: bool) -> str | None:
    if path.is_symlink():
        return os.readlink(path)
    if symlink:
        return None if not path.exists() else f"(not a symlink) {path}"
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def dirty_reasons(module: Module, doc: Appliance, state: ApplyState, root: Path) -> list[str]:
    previous = state.module(module.name)
    if previous is None:
        return ["never applied"]
    reasons = []
    inputs = render.input_digests(module, doc)
    old_inputs = previous.get("inputs", {})
    changed = [k for k in inputs if old_inputs.get(k) != inputs[k]]
    if changed:
        reasons.append("changed: " + ", ".join(changed))
    for target, digest in sorted(previous.get("files", {}).items()):
        if disk_hash(under_root(root, target)) != digest:
            reasons.append(f"edited on disk: {target}")
    return reasons


def _symlinks(module: Module, doc: Appliance) -> set[str]:
    return {s.target_for(doc) for s in module.file_specs(doc) if s.symlink}


def plan_changes(
    module: Module, doc: Appliance, state: ApplyState, root: Path
) -> tuple[dict[str, str | None], list[FileChange]]:
    rendered = render.render_module(module, doc)
    # Files this module wrote last time but no longer renders (a target that moved) are removed.
    previous = state.module(module.name) or {}
    for target in previous.get("files", {}):
        rendered.setdefault(target, None)
    links = _symlinks(module, doc)
    changes = []
    for target, new in sorted(rendered.items()):
        old = read_current(under_root(root, target), target in links)
        if old != new:
            changes.append(FileChange(target, old, new, target in links))
    return rendered, changes


def _write(root: Path, change: FileChange, mode: int) -> None:
    path = under_root(root, change.target)
    if change.new is None:
        remove_durable(path)
    elif change.symlink:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.ctsys-link")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(change.new, tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    else:
        if path.is_symlink():
            path.unlink()
        write_atomic(path, change.new, mode)


def _restore(root: Path, changes: list[FileChange], modes: dict[str, int]) -> None:
    for change in changes:
        undo = FileChange(change.target, change.new, change.old, change.symlink)
        try:
            _write(root, undo, modes.get(change.target, 0o644))
        except OSError as exc:
            log.error("could not restore %s: %s", change.target, exc)


def _stage(module: Module, rendered: dict[str, str | None], links: set[str], root: Path) -> StagedFiles:
    system = CheckSystem.for_root(root)
    scratch = Path(tempfile.mkdtemp(prefix=f"ctsys-check-{module.name}-", dir=system.scratch_parent()))
    staged = StagedFiles(scratch, rendered, system)
    for target, content in rendered.items():
        if content is None:
            continue
        path = staged.path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        if target in links:
            os.symlink(content, path)
        else:
            path.write_text(content)
    return staged


class Engine:
    def __init__(
        self,
        root: str | Path,
        modules: list[Module],
        live: bool,
        progress: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.root = Path(root)
        self.modules = modules
        self.live = live
        self.progress = progress or (lambda _o: None)

    def diff(self, doc: Appliance, force: bool = False, only: tuple[str, ...] = ()) -> tuple[list[Outcome], str]:
        """What apply would do, and the unified diff of every file it would change."""
        state = ApplyState(self.root)
        outcomes: list[Outcome] = []
        diffs: list[str] = []
        for module in self._selected(only):
            reasons = dirty_reasons(module, doc, state, self.root) or (["forced"] if force else [])
            if not reasons:
                outcomes.append(Outcome(module.name, "unchanged"))
                continue
            _, changes = plan_changes(module, doc, state, self.root)
            diffs.extend(c.diff() for c in changes)
            status = "would-apply" if changes else "unchanged"
            outcomes.append(Outcome(module.name, status, reasons, [c.target for c in changes]))
        return outcomes, "".join(diffs)

    def _selected(self, only: tuple[str, ...]) -> list[Module]:
        if not only:
            return self.modules
        names = {m.name for m in self.modules}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise CtsysError(
                f"unknown apply module(s): {', '.join(unknown)}", hint=f"modules: {', '.join(sorted(names))}"
            )
        return [m for m in self.modules if m.name in only]

    def preflight(
        self, doc: Appliance, force: bool = False, only: tuple[str, ...] = (), override: bool = False
    ) -> list[str]:
        """Live only: the `preflight` of every module this apply would render; their warnings.

        A preflight refuses by raising, before any module has written a file. `force`
        re-renders unchanged modules (as in `apply`); `override` is the caller's
        --force that turns an overridable refusal into a warning.
        """
        if not self.live:
            return []
        state = ApplyState(self.root)
        warnings: list[str] = []
        for module in self._selected(only):
            if module.preflight is None:
                continue
            if force or dirty_reasons(module, doc, state, self.root):
                warnings += module.preflight(PreflightContext(self.root, doc, module, override))
        return warnings

    def apply(self, doc: Appliance, force: bool = False, only: tuple[str, ...] = ()) -> list[Outcome]:
        state = ApplyState(self.root)
        failed: set[str] = set()
        outcomes = []
        for module in self._selected(only):
            blocked = [a for a in module.after if a in failed]
            if blocked:
                failed.add(module.name)
                outcome = Outcome(module.name, "skipped", error=f"comes after failed module {blocked[0]}")
            else:
                outcome = self._apply_one(module, doc, state, force)
                if outcome.status == "failed":
                    failed.add(module.name)
            outcomes.append(outcome)
            self.progress(outcome)
        state.save()
        return outcomes

    def _apply_one(self, module: Module, doc: Appliance, state: ApplyState, force: bool) -> Outcome:
        started = time.monotonic()
        reasons = dirty_reasons(module, doc, state, self.root) or (["forced"] if force else [])
        if not reasons:
            return Outcome(module.name, "unchanged")
        outcome = Outcome(module.name, "applied", reasons)
        changes: list[FileChange] = []
        modes = {s.target_for(doc): s.mode for s in module.file_specs(doc)}
        links = _symlinks(module, doc)
        try:
            rendered, changes = plan_changes(module, doc, state, self.root)
            if module.check is not None and changes:
                staged = _stage(module, rendered, links, self.root)
                try:
                    module.check(staged)
                finally:
                    shutil.rmtree(staged.root, ignore_errors=True)
            written: list[FileChange] = []
            try:
                for change in changes:
                    _write(self.root, change, modes.get(change.target, 0o644))
                    written.append(change)
                outcome.files = [c.target for c in changes]
                if self.live:
                    if changes:
                        for unit in module.services:
                            run(["systemctl", "try-reload-or-restart", unit], timeout=120)
                            outcome.services.append(unit)
                    if module.activate is not None:
                        module.activate(ApplyContext(self.root, doc, module, outcome.files))
            except Exception:
                _restore(self.root, written, modes)
                raise
        except CtsysError as exc:
            outcome.status, outcome.error, outcome.files = "failed", str(exc), []
        except OSError as exc:
            outcome.status, outcome.error, outcome.files = "failed", f"{exc.filename or ''}: {exc.strerror}", []
        outcome.seconds = round(time.monotonic() - started, 3)
        if outcome.status == "applied":
            hashes = {t: content_hash(c, t in links) for t, c in rendered.items() if c is not None}
            state.set_module(module.name, render.input_digests(module, doc), hashes)
            if not changes:
                outcome.status = "unchanged"
        return outcome
