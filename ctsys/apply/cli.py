"""`ctsys apply`: put the document into effect."""

from __future__ import annotations

from dataclasses import asdict

import click

from ctsys.cli import Obj
from ctsys.output import print_json, table


def _line(o: object) -> str:
    from ctsys.apply.engine import Outcome

    assert isinstance(o, Outcome)
    if o.status == "failed":
        return f"{o.module}: FAILED: {o.error}"
    if o.status == "skipped":
        return f"{o.module}: skipped ({o.error})"
    if o.status == "unchanged":
        return f"{o.module}: unchanged"
    what = ", ".join(o.files) or "no file changed"
    reload = f"; reloaded {', '.join(o.services)}" if o.services else ""
    return f"{o.module}: {o.status}: {what}{reload} ({'; '.join(o.reasons)})"


def run_apply(obj: Obj, dry_run: bool, force: bool, only: tuple[str, ...], as_json: bool) -> None:
    from ctsys import journal
    from ctsys.apply.engine import Engine, Outcome
    from ctsys.apply.registry import all_modules
    from ctsys.config.store import ConfigStore
    from ctsys.errors import CtsysError
    from ctsys.identity import command_line

    store = ConfigStore(obj.root)
    def progress(outcome: Outcome) -> None:
        if outcome.status != "unchanged" and not as_json:
            click.echo(_line(outcome))

    engine = Engine(obj.root, all_modules(), live=obj.live, progress=progress)
    if dry_run:
        doc = store.load()
        outcomes, diff = engine.diff(doc, force=force, only=only)
        if as_json:
            print_json({"modules": [asdict(o) for o in outcomes], "diff": diff})
        else:
            click.echo(diff.rstrip() if diff else "nothing would change")
        return
    with store.locked():
        doc = store.load()
        if not store.exists():
            # First apply on a fresh tree (the image build): the defaults become the document.
            store.commit(doc, command_line(), summary="initial document")
        outcomes = engine.apply(doc, force=force, only=only)
    failed = [o for o in outcomes if o.status in ("failed", "skipped")]
    applied = [o.module for o in outcomes if o.status == "applied"]
    result = "ok" if not failed else "error: " + "; ".join(f"{o.module}: {o.error}" for o in failed)[:300]
    journal.record(obj.root, "apply", result, {"applied": ",".join(applied)})
    if as_json:
        print_json({"modules": [asdict(o) for o in outcomes], "ok": not failed})
    elif not applied and not failed:
        click.echo("nothing changed")
    if failed:
        raise CtsysError(f"{len(failed)} module(s) not applied: " + ", ".join(o.module for o in failed))


@click.command("apply")
@click.option(
    "-n", "--dry-run", is_flag=True, help="Print a unified diff of every file that would change; change nothing."
)
@click.option("--force", is_flag=True, help="Re-apply every module even when its inputs did not change.")
@click.option("--only", multiple=True, metavar="MODULE", help="Apply only this module (repeatable).")
@click.option("--list", "list_modules", is_flag=True, help="List the apply modules in order and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print each module's outcome as JSON.")
@click.pass_obj
def apply_cmd(
    obj: Obj, dry_run: bool, force: bool, only: tuple[str, ...], list_modules: bool, as_json: bool
) -> None:
    """Render the system files from the document and reload the affected services.

    Only modules whose inputs (document sections, templates) changed, or whose
    files were edited by hand, are rendered; services are reloaded in dependency
    order. With --root DIR, files are written under DIR and no service is touched.
    A module that fails keeps its previous files; its error names the command.

    JSON keys: modules[] (module, status, reasons, files, services, error, seconds), ok.
    """
    if list_modules:
        from ctsys.apply.registry import all_modules

        mods = all_modules()
        rows = [
            {
                "name": m.name,
                "sections": m.sections,
                "services": m.services,
                "after": m.after,
                "files": "per document" if callable(m.files) else [
                    f.target if isinstance(f.target, str) else f.template for f in m.files
                ],
            }
            for m in mods
        ]
        if as_json:
            print_json(rows)
        else:
            click.echo(
                table(
                    [(r["name"], ",".join(r["sections"]), ",".join(r["services"]), ",".join(r["after"])) for r in rows],
                    ["module", "sections", "services", "after"],
                )
            )
        return
    run_apply(obj, dry_run, force, only, as_json)
