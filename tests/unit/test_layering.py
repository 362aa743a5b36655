"""The layers of ctsys: front ends -> change service -> apply engine -> modules -> run().

No module below the front ends imports one (a `cli` module, ctsys.cli, ctsys.commands),
not even inside a function: the HTTPS API will call the service without Click.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
PACKAGE = Path(__file__).resolve().parents[2] / "ctsys"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str) -> set[str]:
    """The ctsys modules `name` imports anywhere in its text (a function's imports too)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in found if n in MODULES}


def front_end(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "cli" or last.startswith("cli_") or name == "ctsys.commands"


def below(roots: list[str]) -> dict[str, str]:
    """Every module reachable from `roots`, with the module that first imports it."""
    seen: dict[str, str] = {r: "" for r in roots}
    todo = list(roots)
    while todo:
        current = todo.pop()
        for name in sorted(imports(current)):
            if name not in seen:
                seen[name] = current
                todo.append(name)
    return seen


def test_nothing_below_the_front_ends_imports_one() -> None:
    roots = ["ctsys.change", "ctsys.apply.registry"] + [n for n in MODULES if n.endswith(".apply_modules")]
    reached = below(roots)
    assert "ctsys.apply.runner" in reached and "ctsys.net.change" in reached  # the walk does follow imports
    upward = sorted(f"{reached[n]} -> {n}" for n in reached if front_end(n))
    assert upward == []


def test_the_network_modules_rollback_and_checks_import_no_circle() -> None:
    for start in ("ctsys.net.apply_modules", "ctsys.net.change", "ctsys.net.rollback"):
        reached = below([start])
        back = [n for n in reached if n != start and start in imports(n)]
        assert back == [], f"{start} is imported back by {back}"
