"""Checkers come from the system the files are for: a tree's own tools (by chroot), else this machine's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ctsys.apply.checkers import CheckSystem
from ctsys.apply.module import StagedFiles
from ctsys.errors import CommandError, CtsysError
from ctsys.net import relay
from ctsys.services.apply_modules import check_sshd

pytestmark = pytest.mark.unit


def system_tree(tmp_path: Path, *tools: str) -> Path:
    tree = tmp_path / "rootfs"
    (tree / "tmp").mkdir(parents=True)
    (tree / "usr/sbin").mkdir(parents=True)
    (tree / "usr/bin").mkdir(parents=True)
    for tool in tools:
        (tree / tool).write_text("#!/bin/sh\n")
    return tree


def staged_in(system: CheckSystem, files: dict[str, str | None]) -> StagedFiles:
    parent = system.scratch_parent()
    assert parent is not None
    scratch = parent / "ctsys-check-ssh-x"
    for target, text in files.items():
        path = scratch / target.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text or "")
    return StagedFiles(scratch, files, system)


def test_a_tree_with_its_own_sshd_validates_sshd_config_with_it_inside_a_chroot(
        tmp_path: Path, fake_run: Any) -> None:
    tree = system_tree(tmp_path, "usr/sbin/sshd", "usr/bin/ssh-keygen")
    staged = staged_in(CheckSystem(tree, as_root=True), {"/etc/ssh/sshd_config": "Port 22\n"})
    check_sshd(staged)
    assert fake_run.calls == [
        ["chroot", str(tree), "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
         "/tmp/ctsys-check-ssh-x/check-host-key"],
        ["chroot", str(tree), "/usr/sbin/sshd", "-t", "-f", "/tmp/ctsys-check-ssh-x/etc/ssh/sshd_config",
         "-h", "/tmp/ctsys-check-ssh-x/check-host-key"],
    ]
    # sshd -t wants its privilege separation directory: the tree's, not this machine's
    assert (tree / "run/sshd").is_dir()


def test_a_tool_the_tree_lacks_comes_from_this_machine_with_host_paths(tmp_path: Path) -> None:
    tree = system_tree(tmp_path, "usr/sbin/sshd")
    tool = CheckSystem(tree, as_root=True).tool("chronyd", "chrony", "validate chrony.conf")
    assert tool.chroot is None
    assert tool.argv[-1].rsplit("/", 1)[-1] == "chronyd"
    assert tool.path(tree / "tmp/x/chrony.conf") == str(tree / "tmp/x/chrony.conf")


def test_without_root_the_tree_cannot_be_entered_and_files_are_staged_outside_it(tmp_path: Path) -> None:
    tree = system_tree(tmp_path, "usr/sbin/sshd")
    system = CheckSystem(tree, as_root=False)
    assert system.scratch_parent() is None
    assert system.tool("sshd", "openssh-server", "validate sshd_config").argv[0] != "chroot"


def test_this_machine_is_checked_with_its_own_tools(tmp_path: Path) -> None:
    system = CheckSystem(Path("/"), as_root=True)
    assert system.scratch_parent() is None
    assert system.tool("nft", "nftables", "validate the ruleset").chroot is None


def test_a_missing_checker_names_its_package_and_where_it_was_looked_for(tmp_path: Path, fake_run: Any) -> None:
    tree = system_tree(tmp_path, "usr/sbin/chronyd")
    tool = CheckSystem(tree, as_root=True).tool("chronyd", "chrony", "validate chrony.conf")
    fake_run.raise_on("chroot", exc=CommandError("chroot ...", 127, "No such file or directory"))
    with pytest.raises(CtsysError) as caught:
        tool.run("-p", "-f", "/tmp/x")
    assert "cannot validate chrony.conf: chronyd is not installed" in str(caught.value)
    assert str(tree) in str(caught.value)
    assert caught.value.hint == "apt-get install chrony"


def test_a_checker_that_rejects_the_file_is_a_failure_not_a_missing_tool(tmp_path: Path, fake_run: Any) -> None:
    tool = CheckSystem(Path("/"), as_root=True).tool("nft", "nftables", "validate the ruleset")
    fake_run.raise_on(*tool.argv, exc=CommandError("nft -c -f x", 1, "syntax error"))
    with pytest.raises(CommandError) as caught:
        tool.run("-c", "-f", "x")
    assert "syntax error" in str(caught.value)


def test_nginx_in_a_chroot_is_given_the_tree_s_paths(tmp_path: Path) -> None:
    tree = system_tree(tmp_path, "usr/sbin/nginx")
    files = tree / "tmp/ctsys-check-relay-x"
    (files / relay.PROXY_FILE.lstrip("/")).parent.mkdir(parents=True)
    (files / relay.PROXY_FILE.lstrip("/")).write_text(
        f"server {{ ssl_certificate {relay.CERT_FILE}; include /etc/nginx/x.conf; }}\n")
    tool = CheckSystem(tree, as_root=True).tool("nginx", "nginx", "check the relay configuration")
    conf = relay.wrapper_config(files, files / "run", seen=tool.path)
    text = conf.read_text()
    assert str(tmp_path) not in text
    assert "include /tmp/ctsys-check-relay-x/run/ctsys-camera-proxy.conf;" in text
    proxy = (files / "run/ctsys-camera-proxy.conf").read_text()
    assert f"ssl_certificate /tmp/ctsys-check-relay-x{relay.CERT_FILE};" in proxy
    assert "include /tmp/ctsys-check-relay-x/etc/nginx/x.conf;" in proxy
