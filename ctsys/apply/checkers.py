"""Where a module's checker runs: the system the files are for.

`ctsys apply` on the running system checks with this machine's tools. `ctsys --root DIR
apply` into a tree that holds a system (the image build's rootfs) checks with the tree's
own tools, run in the tree by chroot: the image's sshd validates the image's sshd_config,
whatever release the build host runs. A tree without the tool (a bare directory used to
preview files) falls back to this machine's; with neither, the error names the package.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ctsys.errors import CommandError, CtsysError
from ctsys.run import Result, run

# Where a Debian system keeps the tools we check with (merged /usr first).
TOOL_DIRS = ("usr/sbin", "usr/bin", "sbin", "bin")


def tool_in_tree(tree: Path, tool: str) -> str | None:
    """The tool's path inside `tree` (as the tree sees it), or None."""
    for directory in TOOL_DIRS:
        if os.path.lexists(tree / directory / tool):
            return f"/{directory}/{tool}"
    return None


def tool_on_host(tool: str) -> str:
    """How to call `tool` here: its name when it is on PATH, else its sbin path (a non-root
    PATH lacks sbin), else its name, so that running it reports it missing."""
    if shutil.which(tool):
        return tool
    return shutil.which(tool, path="/usr/sbin:/sbin") or tool


@dataclass(frozen=True)
class Tool:
    """A checker found for one system: its argv prefix, and how it sees this machine's paths."""

    argv: tuple[str, ...]
    package: str
    purpose: str  # what it is for, for the error: "validate sshd_config"
    chroot: Path | None = None

    def path(self, path: Path) -> str:
        """`path` (on this machine) as the tool sees it: inside the chroot, relative to it."""
        if self.chroot is None:
            return str(path)
        return "/" + str(path.resolve().relative_to(self.chroot))

    def __call__(self, *args: str | Path) -> list[str]:
        return [*self.argv, *(str(a) for a in args)]

    def run(self, *args: str | Path) -> Result:
        """Run the tool; a tool that is not there is named with the package that provides it."""
        try:
            return run(self(*args))
        except CommandError as exc:
            if exc.returncode != 127:
                raise
            name = self.argv[-1].rsplit("/", 1)[-1]
            where = f" (neither in {self.chroot} nor on this machine)" if self.chroot else ""
            raise CtsysError(f"cannot {self.purpose}: {name} is not installed{where}",
                             hint=f"apt-get install {self.package}") from exc


@dataclass(frozen=True)
class CheckSystem:
    """The system whose tools validate staged files: "/" is this machine."""

    tree: Path = Path("/")
    as_root: bool = True  # chroot needs root; without it the tree's tools cannot run

    @classmethod
    def for_root(cls, root: str | Path) -> CheckSystem:
        return cls(Path(root).resolve(), os.geteuid() == 0)

    @property
    def runs_in_tree(self) -> bool:
        """A tree of its own that we may chroot into (it has a /tmp for the staged files)."""
        return self.tree != Path("/") and self.as_root and (self.tree / "tmp").is_dir()

    def scratch_parent(self) -> Path | None:
        """Where staged files go: inside the tree when its tools may check them."""
        return self.tree / "tmp" if self.runs_in_tree else None

    def tool(self, name: str, package: str, purpose: str) -> Tool:
        """The tree's own `name` (run by chroot), else this machine's."""
        if self.runs_in_tree:
            inside = tool_in_tree(self.tree, name)
            if inside is not None:
                return Tool(("chroot", str(self.tree), inside), package, purpose, self.tree)
        return Tool((tool_on_host(name),), package, purpose)
