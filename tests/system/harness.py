"""Boot an appliance image in qemu and talk to it: the system tests' harness.

    with Vm(VmSpec(image=iso, uefi=True, nics=2, disks=2)) as vm:
        vm.wait_ready()
        rc, out = vm.run("cat /proc/mdstat")     # over the serial console
        vm.monitor("set_link net1 off")           # qemu monitor (HMP)
        vm.ssh("ctsys status")                    # SSH forwarded to 127.0.0.1

The serial console is driven with pexpect; the guest must log in root by
itself on ttyS0 (test images: `ctimage build --test-access`). qemu is always
killed by its PID when the block ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pexpect

from image.qemu import VmFiles, VmSpec, choose_accel, qemu_argv

PROMPT = "CTVM# "
FAILURE = r"Kernel panic|Unable to find a medium|\(initramfs\)|BusyBox v[\d.]+ .*built-in shell"


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _read_until_prompt(sock: socket.socket) -> str:
    data = b""
    while not data.endswith(b"(qemu) "):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


class VmError(AssertionError):
    """The guest did not do what the test waited for (an assertion: the test fails)."""


@dataclass
class BootTimes:
    started: float
    kernel: float | None = None
    login: float | None = None
    ready: float | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Vm:
    def __init__(self, spec: VmSpec, log_path: Path | None = None, accel: str = "auto",
                 ssh_key: Path | None = None, ssh_user: str = "admin",
                 workdir: Path | None = None) -> None:
        self.spec = spec
        self.log_path = log_path
        self.accel = choose_accel(accel, spec.image)
        self.ssh_key = ssh_key
        self.ssh_user = ssh_user
        self.workdir = workdir
        self.files: VmFiles | None = None
        self.child: pexpect.spawn | None = None
        self.pid: int | None = None
        self.times = BootTimes(started=0.0)
        self._log: object | None = None

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> Vm:
        self.files = VmFiles(self.spec, parent=self.workdir).__enter__()
        argv = qemu_argv(self.spec, self.files, self.accel, serial="stdio", monitor=True)
        # line-buffered, so a test's serial log can be followed while it runs
        log = open(self.log_path, "w", buffering=1) if self.log_path else None  # noqa: SIM115
        self._log = log
        if log:
            log.write("$ " + shlex.join(argv) + "\n")
        self.times = BootTimes(started=time.monotonic())
        self.child = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", codec_errors="replace",
                                   timeout=60, logfile=log, dimensions=(50, 250))
        self.pid = self.child.pid
        return self

    def kill(self) -> None:
        """Kill our qemu by PID (never by name) and remove its scratch files."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        if self.child is not None:
            with contextlib.suppress(pexpect.ExceptionPexpect):
                self.child.close(force=True)  # reaps the killed qemu
        if self.files is not None:
            self.files.__exit__(None, None, None)
            self.files = None
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None

    def __enter__(self) -> Vm:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.kill()

    @property
    def alive(self) -> bool:
        return self.child is not None and self.child.isalive()

    # -- console ------------------------------------------------------------
    def _expect(self, pattern: str, timeout: float, what: str) -> None:
        assert self.child is not None
        index = self.child.expect([pattern, FAILURE, pexpect.TIMEOUT, pexpect.EOF],
                                  timeout=timeout)
        if index == 0:
            return
        reason = {1: "boot failure on the console", 2: "timeout", 3: "qemu exited"}[index]
        tail = (self.child.before or "")[-1500:]
        raise VmError(f"waiting for {what}: {reason} after "
                      f"{time.monotonic() - self.times.started:.0f} s\n{tail}")

    def expect(self, pattern: str, timeout: float = 300) -> str:
        """Wait for a regular expression on the serial console; return what matched."""
        self._expect(pattern, timeout, repr(pattern))
        assert self.child is not None and self.child.match is not None
        return str(self.child.match.group(0))

    def select_boot_entry(self, hotkey: str, timeout: float = 120) -> None:
        """At the GRUB menu, boot the entry with this hotkey (iso/grub.cfg:
        l, i, d; 1, 2, 3 for the serial variants; m for memtest86+)."""
        self._expect(r"executed automatically in", timeout, "the boot menu")
        assert self.child is not None
        self.child.send(hotkey)

    def wait_ready(self, timeout: float = 1800) -> float:
        """Wait for the root shell on the serial console and for systemd to
        finish starting up; return seconds from qemu start to ready. The
        generous default covers TCG on a CPU shared with other VMs (measured
        up to 15 min here; about a minute on an idle 2-core machine)."""
        deadline = time.monotonic() + timeout
        self._expect(r"Linux version \d", timeout, "the kernel")
        self.times.kernel = time.monotonic() - self.times.started
        self._expect(r"root@[\w-]+:~# ", max(deadline - time.monotonic(), 1), "root autologin")
        self.times.login = time.monotonic() - self.times.started
        assert self.child is not None
        # the quotes split the prompt so the echoed command cannot match it
        # dmesg -n 1: kernel messages on the console would mix into outputs
        self.child.sendline(f"export PS1='{PROMPT[:2]}''{PROMPT[2:]}' TERM=dumb SYSTEMD_PAGER= "
                            "PAGER=cat; stty cols 250 -echo; dmesg -n 1")
        self._expect(re.escape(PROMPT), 30, "the test prompt")
        _, out = self.run("systemctl is-system-running --wait",
                           timeout=max(deadline - time.monotonic(), 30))
        self.times.ready = time.monotonic() - self.times.started
        lines = out.strip().splitlines()
        self.state = lines[-1].strip() if lines else ""
        return self.times.ready

    def run(self, command: str, timeout: float = 120) -> tuple[int, str]:
        """Run a shell command in the guest over the serial console."""
        assert self.child is not None
        tag = f"__CT{time.monotonic_ns() % 10**9}__"
        self.child.sendline(f"{command} ; echo {tag}$?")
        self._expect(re.escape(tag) + r"(\d+)", timeout, f"`{command}`")
        out = self.child.before or ""
        assert self.child.match is not None and not isinstance(self.child.match, type)
        rc = int(self.child.match.group(1))
        self._expect(re.escape(PROMPT), 30, "the prompt")
        return rc, out.replace("\r", "").strip("\n")

    def check(self, command: str, timeout: float = 120) -> str:
        rc, out = self.run(command, timeout)
        if rc != 0:
            raise VmError(f"`{command}` exited {rc} in the guest:\n{out}")
        return out

    def poll(self, command: str, pattern: str, timeout: float, every: float = 3) -> str:
        """Run `command` in the guest until its output matches `pattern` (bounded); that output."""
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            _, out = self.run(command, timeout=120)
            if re.search(pattern, out):
                return out
            time.sleep(every)
        raise VmError(f"`{command}` never matched {pattern!r} in {timeout:.0f} s; last output:\n{out}")

    # -- SSH ----------------------------------------------------------------
    def ssh(self, command: str, timeout: float = 60,
            check: bool = False) -> subprocess.CompletedProcess[str]:
        if not self.spec.ssh_port or not self.ssh_key:
            raise VmError("this VM has no SSH forward or no key (VmSpec.ssh_port, ssh_key)")
        argv = ["ssh", "-i", str(self.ssh_key), "-p", str(self.spec.ssh_port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR",
                f"{self.ssh_user}@127.0.0.1", command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=check)

    def ssh_password(self, user: str, password: str, command: str,
                     timeout: float = 90) -> tuple[int, str]:
        """Log in with a password only (no key, one try), as a person would; (exit status, output).

        255 and "Permission denied" when sshd refuses the password."""
        if not self.spec.ssh_port:
            raise VmError("this VM has no SSH forward (VmSpec.ssh_port)")
        child = pexpect.spawn("ssh", [
            "-p", str(self.spec.ssh_port), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
            "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
            "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", f"{user}@127.0.0.1", command,
        ], timeout=timeout, encoding="utf-8", codec_errors="replace")
        try:
            child.expect("password:")
            child.sendline(password)
            child.expect(pexpect.EOF)
            out = child.before or ""
        finally:
            child.close()
        status = child.exitstatus if child.exitstatus is not None else 255
        return status, out.replace("\r", "").strip()

    # -- qemu monitor ---------------------------------------------------------
    def monitor(self, command: str, timeout: float = 10) -> str:
        """One HMP command (eject, set_link, device_del, ...); returns its output."""
        assert self.files is not None
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.files.monitor))
            _read_until_prompt(sock)
            sock.sendall(command.encode() + b"\n")
            text = _read_until_prompt(sock)
        # HMP echoes the command with line-editing escapes, then the output
        lines = ANSI.sub("", text).replace("\r", "").split("\n")
        return "\n".join(ln for ln in lines[1:] if not ln.startswith("(qemu)")).strip()

    def poweroff(self, timeout: float = 300) -> None:
        """Shut the guest down cleanly and wait for qemu to exit."""
        assert self.child is not None
        self.child.sendline("systemctl poweroff")
        index = self.child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=timeout)
        if index != 0:
            raise VmError(f"the guest did not power off within {timeout:.0f} s")
        self.child.close()
        self.pid = None  # reaped by close()

    # -- verdict --------------------------------------------------------------
    def verdict(self, ok: bool, timeout: float = 60) -> int:
        """The guest reports the result itself: it writes to isa-debug-exit and
        qemu exits with status 1 (pass) or 3 (fail). Returns qemu's status."""
        assert self.child is not None
        value = "\\x00" if ok else "\\x01"
        self.child.sendline(f"printf '{value}' | dd of=/dev/port bs=1 seek=244 count=1 "
                            "status=none")
        self.child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=timeout)
        self.child.close()
        status = self.child.exitstatus
        self.pid = None  # reaped by close()
        return -1 if status is None else int(status)
