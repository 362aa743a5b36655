"""A newcomer's machine, simulated on this one: only the commands of a minimal Debian 12
(priority required) and of what `scripts/build-and-boot.sh` installs
itself (`.ci/packages/image.apt` and their dependencies) are visible.

Run as a wrapper (root): `python3 -m tests.system.newcomer -- CMD...`. In a private
mount namespace of its own (unshare), it overlays /usr/bin and /usr/sbin (so /bin and
/sbin, merged into /usr) with tmpfs directories holding only the allowed commands (each
bind-mounted from the real one, so a program still finds its own path) and the symbolic
links among them, hides /usr/local/bin and /usr/local/sbin, then runs CMD with a standard
PATH. The mounts end with the namespace; their mount points (a scratch directory in /run)
are removed after. The CI host has every tool the tests installed: a build that calls one
the script does not install fails here as it would on a fresh machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT_PACKAGES = REPO / ".ci" / "packages" / "image.apt"
COMMAND_DIRS = ("/usr/bin", "/usr/sbin")
HIDDEN_DIRS = ("/usr/local/bin", "/usr/local/sbin")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def listed_packages(path: Path = SCRIPT_PACKAGES) -> list[str]:
    names = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [n for n in names if n]


def installed() -> dict[str, str]:
    """Installed package -> priority."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Priority}\n"],
                         capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "installed":
            found[parts[1]] = parts[2]
    return found


def closure(packages: list[str]) -> set[str]:
    """The packages and everything they Depend or Pre-Depend on, recursively."""
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--important", *packages],
                         capture_output=True, text=True, check=True).stdout
    return {line.strip() for line in out.splitlines() if line and not line[0].isspace()
            and not line.startswith("<")}


def allowed_packages() -> set[str]:
    have = installed()
    base = [name for name, priority in have.items() if priority == "required"]
    return closure(base + listed_packages()) & set(have)


def package_files(packages: set[str]) -> set[str]:
    out = subprocess.run(["dpkg-query", "-L", *sorted(packages)], capture_output=True, text=True,
                         check=False).stdout
    files = set()
    for line in out.splitlines():
        path = line.strip()
        for merged, real in (("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/")):
            if path.startswith(merged):
                path = real + path[len(merged):]
        if os.path.dirname(path) in COMMAND_DIRS:
            files.add(path)
    return files


MOUNT = ["mount"]


def _mount(*args: str) -> None:
    subprocess.run([*MOUNT, *args], check=True)


def overlay(directory: str, allowed: set[str], scratch: Path) -> int:
    """Replace `directory` with a tmpfs holding its allowed commands; returns how many."""
    keep = scratch / directory.strip("/").replace("/", "-")
    keep.mkdir()
    _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(keep))
    count = 0
    for entry in sorted(os.listdir(directory)):
        source = os.path.join(directory, entry)
        if os.path.islink(source):
            # alternatives and versioned names: the link stays, dangling if its target is hidden
            os.symlink(os.readlink(source), keep / entry)
        elif source in allowed and os.path.isfile(source):
            (keep / entry).touch(mode=0o755)
            count += 1
    # bind the real commands once the tmpfs is in place, so each keeps its own path
    _mount("--bind", str(keep), directory)
    for entry in sorted(os.listdir(directory)):
        target = os.path.join(directory, entry)
        if not os.path.islink(target):
            _mount("--bind", os.path.join(str(scratch / "real"), directory.strip("/"), entry), target)
    return count


def enter(scratch: Path, command: list[str]) -> int:
    """Set up the view (we are already inside a private mount namespace) and run `command`."""
    allowed = package_files(allowed_packages())
    real = scratch / "real"
    for directory in COMMAND_DIRS:
        path = real / directory.strip("/")
        path.mkdir(parents=True)
        _mount("--bind", directory, str(path))
    # /usr/bin/mount is an empty file for a moment while /usr/bin is rebuilt: use the real one
    MOUNT[0] = str(real / "usr/bin/mount")
    counts = {d: overlay(d, allowed, scratch) for d in COMMAND_DIRS}
    for directory in HIDDEN_DIRS:
        if os.path.isdir(directory):
            _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", directory)
    print(f"newcomer: {counts['/usr/bin']} commands in /usr/bin, {counts['/usr/sbin']} in /usr/sbin",
          file=sys.stderr, flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = PATH
    return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "--inside" and argv[2] == "--":
        return enter(Path(argv[1]), argv[3:])
    if not argv or argv[0] != "--" or len(argv) < 2:
        print("usage: python3 -m tests.system.newcomer -- CMD...", file=sys.stderr)
        return 2
    # the mount points live outside the namespace: made here, removed once it has ended
    scratch = tempfile.mkdtemp(prefix="ct-newcomer-", dir="/run")
    try:
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "--", sys.executable,
                               "-m", "tests.system.newcomer", "--inside", scratch, "--", *argv[1:]],
                              cwd=REPO, check=False).returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
