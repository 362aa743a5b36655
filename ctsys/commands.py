"""What every command that changes the document shares: the apply flag, the service call, the printing.

A change command parses its arguments into a mutation, then:

    outcome = run_change(obj, "system.hostname", lambda doc: edit.set_value(doc, PATH, value), apply_now)

`run_change` calls the change service (ctsys.change), prints the commit and each
module as they happen (`ChangePrinter`), then what is left (`finish_change`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ctsys.cli import Obj
from ctsys.output import print_json

if TYPE_CHECKING:
    from ctsys.apply.engine import Outcome as ModuleOutcome
    from ctsys.apply.runner import ApplyReport
    from ctsys.change import Apply, Mutate, Outcome
    from ctsys.config.document import Appliance

F = TypeVar("F", bound=Callable[..., Any])
# What `--json` prints for a change (ctsys.change.Outcome.to_dict), for the commands' help.
CHANGE_JSON_KEYS = (
    "JSON keys (--json): action, changed, revision {number, time, user, origin, command, summary} or null, "
    "warnings[], applied {modules[] (module, status, reasons, files, services, error, seconds), warnings[], ok} "
    "or null, ok."
)


def apply_option(later: str = "ctsys apply") -> Callable[[F], F]:
    """`--apply/--no-apply` of every change command (the command receives `apply_now: bool`).

    One default for every group: the change is put into effect at once, so the
    document and the running system never silently differ. `--apply` stays as an
    alias of that default, for the scripts that wrote it out.
    """
    return click.option(
        "--apply/--no-apply", "apply_now", default=True,
        help=f"Apply the change now (the default). --no-apply: change the document only, "
        f"and apply it later with `{later}`.",
    )


def module_line(o: ModuleOutcome) -> str:
    """One apply module's outcome as a line."""
    if o.status == "failed":
        return f"{o.module}: FAILED: {o.error}"
    if o.status == "skipped":
        return f"{o.module}: skipped ({o.error})"
    if o.status == "unchanged":
        return f"{o.module}: unchanged"
    what = ", ".join(o.files) or "no file changed"
    reload = f"; reloaded {', '.join(o.services)}" if o.services else ""
    return f"{o.module}: {o.status}: {what}{reload} ({'; '.join(o.reasons)})"


class ChangePrinter:
    """Prints a change as the service makes it (a `ctsys.change.Listener`).

    With `as_json` only the warnings (on standard error) are printed as they come.
    """

    def __init__(self, as_json: bool = False) -> None:
        self.as_json = as_json

    def committed(self, outcome: Outcome) -> None:
        for warning in outcome.warnings:
            click.echo(f"warning: {warning}", err=True)
        if self.as_json:
            return
        rev = outcome.revision
        text = f"revision {rev.number}: {rev.summary}" if rev else "no change: the document already says that"
        click.echo(text)

    def module(self, result: ModuleOutcome) -> None:
        if result.status != "unchanged" and not self.as_json:
            click.echo(module_line(result))


def finish_change(outcome: Outcome, later: str = "ctsys apply") -> None:
    """After `ctsys.change.change` or `apply_current`: what is left to say.

    Exit status 1 (CtsysError) when a module was not applied.
    """
    report = outcome.applied
    if report is None:
        if outcome.changed:
            click.echo(f"run `{later}` to put it into effect")
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if not report.applied and not report.failed:
            click.echo("nothing changed")
    raise_if_failed(report)


def raise_if_failed(report: ApplyReport | None) -> None:
    """An apply with failed modules: exit 1, naming them."""
    from ctsys.errors import CtsysError

    if report is not None and report.failed:
        names = ", ".join(o.module for o in report.failed)
        raise CtsysError(f"{len(report.failed)} module(s) not applied: {names}")


def run_change(
    obj: Obj,
    action: str,
    mutate: Mutate,
    apply_now: Apply = True,
    later: str = "ctsys apply",
    as_json: bool = False,
    **options: Any,
) -> Outcome:
    """Make the change through the service and print it; `options` go to `ctsys.change.change`.

    `apply_now`: True (every module whose inputs changed), a tuple of module names,
    or False (the document only; the last line then says to run `later`).
    `as_json`: print `Outcome.to_dict()` instead of the lines (CHANGE_JSON_KEYS).
    """
    from ctsys.change import change

    outcome = change(obj.root, action, mutate, apply=apply_now, listener=ChangePrinter(as_json), **options)
    if as_json:
        print_json(outcome.to_dict())
        raise_if_failed(outcome.applied)
    else:
        finish_change(outcome, later=later)
    return outcome


def change_data(
    obj: Obj, action: str, mutate: Callable[[dict[str, Any]], None], apply_now: Apply = True, **options: Any
) -> Appliance:
    """`run_change` for a mutation of the document's plain data (dicts and lists); the new document.

    The whole document is validated afterwards, so an error names the field
    (`time.servers[1].host: ...`) and nothing is written.
    """
    from ctsys.config.edit import edit_data

    doc = run_change(obj, action, edit_data(mutate), apply_now, **options).doc
    assert doc is not None
    return doc


def current(obj: Obj) -> Appliance:
    """The document as it is now, for a command that reads it."""
    from ctsys.config.store import ConfigStore

    return ConfigStore(obj.root).load()


def run_apply(
    obj: Obj, only: tuple[str, ...] = (), everything: bool = False, force: bool = False, as_json: bool = False
) -> Outcome:
    """Put the current document into effect through the service and print it (`ctsys apply`, `ctsys net apply`).

    JSON keys: modules[] (module, status, reasons, files, services, error, seconds), warnings[], ok.
    """
    from ctsys.change import apply_current

    outcome = apply_current(obj.root, only=only, everything=everything, force=force,
                            listener=ChangePrinter(as_json))
    if as_json:
        print_json(outcome.applied.to_dict() if outcome.applied else {})
        raise_if_failed(outcome.applied)
    else:
        finish_change(outcome)
    return outcome
