"""`ctsys apply`: put the document into effect."""

from __future__ import annotations

from dataclasses import asdict

import click

from ctsys.cli import Obj
from ctsys.commands import run_apply
from ctsys.output import print_json, table


def preview(obj: Obj, force: bool, only: tuple[str, ...], as_json: bool) -> None:
    """--dry-run: the diff of every file an apply would change (`force`: of every module)."""
    from ctsys.change import preview_current

    outcomes, diff = preview_current(obj.root, only, everything=force)
    if as_json:
        print_json({"modules": [asdict(o) for o in outcomes], "diff": diff})
    else:
        click.echo(diff.rstrip() if diff else "nothing would change")


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

    JSON keys: modules[] (module, status, reasons, files, services, error, seconds), warnings[], ok.
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
    if dry_run:
        preview(obj, force, only, as_json)
    else:
        run_apply(obj, only=only, everything=force, as_json=as_json)
