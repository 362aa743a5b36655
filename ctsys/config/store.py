"""Where the document lives, and how it changes: one lock, atomic writes, a history.

Layout under the root (/ on the appliance, a build tree with --root):
  etc/ctsys/appliance.yaml            the document
  var/lib/ctsys/history/000042.yaml   every accepted revision, in full
  var/lib/ctsys/history/000042.json   who made it, when, from where, with which command
  var/lib/ctsys/lock                  serializes every ctsys run that changes something
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.errors import CtsysError
from ctsys.fsutil import write_atomic
from ctsys.identity import Actor, current_actor

DOCUMENT = "etc/ctsys/appliance.yaml"
STATE_DIR = "var/lib/ctsys"
LOCK_TIMEOUT = 30.0


def _now() -> float:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return float(epoch) if epoch.isdigit() else time.time()


@dataclass(frozen=True)
class Revision:
    number: int
    time: str
    user: str
    origin: str
    command: str
    summary: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class ConfigStore:
    def __init__(self, root: str | Path = "/") -> None:
        self.root = Path(root)
        self.path = self.root / DOCUMENT
        self.state = self.root / STATE_DIR
        self.history_dir = self.state / "history"

    # -- reading -----------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def read_text(self) -> str:
        """The document's text; the defaults when the file does not exist yet."""
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return document.dump(document.defaults())

    def load(self) -> Appliance:
        try:
            return document.parse(self.read_text())
        except CtsysError as exc:
            raise CtsysError(
                f"{self.path} is not valid: {exc.message}",
                hint="restore a good revision with `ctsys config history` and `ctsys config rollback N`",
            ) from None

    # -- history -----------------------------------------------------------
    def revisions(self) -> list[Revision]:
        if not self.history_dir.is_dir():
            return []
        found = []
        for meta in sorted(self.history_dir.glob("*.json")):
            try:
                found.append(Revision(**json.loads(meta.read_text())))
            except (ValueError, TypeError):
                continue  # a torn metadata file is ignored, its document is still listed by number
        return found

    def revision_text(self, number: int) -> str:
        path = self.history_dir / f"{number:06d}.yaml"
        if not path.exists():
            known = [r.number for r in self.revisions()]
            span = f"{known[0]}..{known[-1]}" if known else "none yet"
            raise CtsysError(f"no revision {number} in the history (revisions: {span})")
        return path.read_text()

    def diff(self, a: int | None, b: int | None) -> str:
        """Unified diff between revisions a and b (None for b: the current document)."""
        revs = [r.number for r in self.revisions()]
        if a is None:
            a = revs[-2] if len(revs) >= 2 else (revs[-1] if revs else None)
        old = self.revision_text(a) if a is not None else ""
        new = self.revision_text(b) if b is not None else self.read_text()
        label_b = f"revision {b}" if b is not None else "current"
        return "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"revision {a}" if a is not None else "empty",
                tofile=label_b,
            )
        )

    def _record(self, text: str, actor: Actor, command: str, summary: str) -> Revision:
        self.history_dir.mkdir(parents=True, exist_ok=True)
        revs = self.revisions()
        number = (revs[-1].number + 1) if revs else 1
        rev = Revision(
            number=number,
            # An image build sets SOURCE_DATE_EPOCH: its first revision is then reproducible.
            time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_now())),
            user=actor.user,
            origin=actor.origin,
            command=command,
            summary=summary,
        )
        write_atomic(self.history_dir / f"{number:06d}.yaml", text, 0o600)
        write_atomic(self.history_dir / f"{number:06d}.json", json.dumps(rev.to_json()) + "\n", 0o600)
        return rev

    # -- changing ----------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the configuration lock: no other ctsys run changes anything meanwhile."""
        self.state.mkdir(parents=True, exist_ok=True)
        lock_path = self.state / "lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() > deadline:
                        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                        raise CtsysError(
                            f"another ctsys run (pid {holder}) is changing the configuration",
                            hint="wait for it to finish and try again",
                        ) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def commit(
        self, doc: Appliance, command: str, actor: Actor | None = None, summary: str | None = None
    ) -> Revision | None:
        """Write `doc` as the new document and record it; None when nothing changed.

        Call with the lock held (see `transaction`).
        """
        actor = actor or current_actor()
        new_text = document.dump(doc)
        old_text = self.read_text()
        if self.exists() and new_text == old_text:
            return None
        base = None
        if not self.revisions():
            # Keep what was there before the first change (the image's defaults) so it can be rolled back to.
            base = self._record(old_text, actor, "initial document", "initial document")
        write_atomic(self.path, new_text, 0o640)
        if new_text == old_text:
            return base
        if summary is None:
            summary = change_summary(old_text, new_text)
        return self._record(new_text, actor, command, summary)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Read-modify-write under the lock: `with store.transaction() as t: t.commit(new)`."""
        with self.locked():
            yield Transaction(self, self.load())


class Transaction:
    def __init__(self, store: ConfigStore, doc: Appliance) -> None:
        self.store = store
        self.doc = doc
        self.revision: Revision | None = None

    def commit(self, doc: Appliance, command: str, summary: str | None = None) -> Revision | None:
        self.revision = self.store.commit(doc, command, summary=summary)
        self.doc = doc
        return self.revision


def change_summary(old_text: str, new_text: str) -> str:
    """The dotted paths whose values differ, e.g. 'system.hostname, services.ssh.port'."""
    import yaml

    def flatten(value: object, prefix: str, out: dict[str, object]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
        else:
            out[prefix] = value

    old: dict[str, object] = {}
    new: dict[str, object] = {}
    flatten(yaml.safe_load(old_text) or {}, "", old)
    flatten(yaml.safe_load(new_text) or {}, "", new)
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    if not changed:
        return "no change"
    if len(changed) > 5:
        return ", ".join(changed[:5]) + f" and {len(changed) - 5} more"
    return ", ".join(changed)
