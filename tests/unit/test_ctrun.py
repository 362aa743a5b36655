"""ctrun, the one subprocess seam of ctsys, the recorder and ctimage: errors in the
front end's type with the command and its stderr, timeouts, log files, spawn(),
and the fake that unit tests put in its place."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

import ctrun
from ctsys.errors import CommandError
from image.errors import CommandFailed, ImageError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_true_and_false() -> None:
    assert ctrun.run(["true"]).ok
    assert ctrun.run(["false"], check=False).returncode == 1
    with pytest.raises(ctrun.CommandFailed) as info:
        ctrun.run(["false"])
    assert (info.value.command, info.value.returncode) == ("false", 1)


def test_the_error_is_the_front_ends_and_carries_command_and_stderr() -> None:
    argv = ["sh", "-c", "echo nope >&2; exit 4"]
    with pytest.raises(CommandError) as ctsys_error:
        ctrun.run(argv, error=CommandError)
    with pytest.raises(CommandFailed) as image_error:
        ctrun.run(argv, error=CommandFailed)
    for err in (ctsys_error.value, image_error.value):
        assert err.command == ctrun.quote(argv) and err.returncode == 4 and err.stderr == "nope\n"
    assert isinstance(image_error.value, ImageError)
    assert str(image_error.value) == f"command failed (exit 4): {ctrun.quote(argv)}\nnope"


def test_a_missing_command_is_127_even_unchecked() -> None:
    with pytest.raises(CommandFailed) as info:
        ctrun.run(["no-such-command-ctrun"], check=False, error=CommandFailed)
    assert info.value.returncode == 127 and "command not found" in info.value.stderr


def test_a_timeout_kills_and_raises_even_unchecked() -> None:
    with pytest.raises(CommandFailed, match=r"\(timed out after 0\.2 s\): sleep 5") as info:
        ctrun.run(["sleep", "5"], timeout=0.2, check=False, error=CommandFailed)
    assert info.value.returncode is None
    with pytest.raises(ctrun.CommandFailed, match=r"timed out after 0\.2 s"):
        ctrun.run(["sleep", "5"], timeout=0.2)


def test_env_is_set_over_this_processs_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTRUN_OUTER", "kept")
    out = ctrun.run(["sh", "-c", 'echo "$CTRUN_OUTER $CTRUN_INNER"'], env={"CTRUN_INNER": "added"}).stdout
    assert out == "kept added\n"


def test_input_and_cwd(tmp_path: Path) -> None:
    assert ctrun.run(["cat"], input="hello").stdout == "hello"
    assert ctrun.run(["pwd"], cwd=tmp_path).stdout.strip() == str(tmp_path)


def test_a_log_file_gets_the_command_and_its_output_and_a_failure_its_tail(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    result = ctrun.run(["sh", "-c", "echo out; echo err >&2"], log_file=log)
    assert (result.stdout, result.stderr) == ("", "")
    assert log.read_text() == "\n$ sh -c 'echo out; echo err >&2'\nout\nerr\n"
    with pytest.raises(CommandFailed) as info:
        ctrun.run(["sh", "-c", "seq 100; exit 2"], log_file=log, error=CommandFailed)
    assert info.value.stderr.splitlines() == [str(n) for n in range(100 - ctrun.LOG_TAIL_LINES + 1, 101)]
    with pytest.raises(CommandFailed, match="timed out") as timed_out:
        ctrun.run(["sh", "-c", "echo started; exec sleep 5"], log_file=log, timeout=0.5, error=CommandFailed)
    assert timed_out.value.stderr.endswith("started")


def test_each_command_is_logged_where_the_front_end_says(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ctsys.run"):
        ctrun.run(["echo", "a b"], log=logging.getLogger("ctsys.run"), level=logging.INFO)
    assert ("ctsys.run", logging.INFO, "run: echo 'a b'") in caplog.record_tuples


def test_the_front_ends_are_settings_of_the_seam_not_copies() -> None:
    from ctsys import run as ctsys_run
    from image import run as image_run

    assert ctsys_run.run.func is ctrun.run and image_run.run.func is ctrun.run
    assert ctsys_run.run.keywords["error"] is CommandError and ctsys_run.run.keywords["timeout"] == 60
    assert image_run.run.keywords["error"] is CommandFailed and "timeout" not in image_run.run.keywords
    assert ctsys_run.Result is image_run.Result is ctrun.Result


def test_spawn_hands_back_the_running_process() -> None:
    proc = ctrun.spawn([sys.executable, "-c", "import sys; print('up'); sys.exit(3)"], stdout=ctrun.PIPE)
    out, _ = proc.communicate(timeout=30)
    assert (out, proc.returncode) == ("up\n", 3)


def test_the_fake_replaces_execution_and_keeps_the_checks(fake_run: object) -> None:
    from tests.conftest import FakeRun

    assert isinstance(fake_run, FakeRun)
    fake_run.on("mdadm", "--detail", returncode=1, stderr="no such array")
    with pytest.raises(CommandError, match="no such array"):
        ctrun.run(["mdadm", "--detail", "/dev/md0"], error=CommandError)
    assert ctrun.run(["rm", "-rf", "/"], input="y").ok  # never run: the fake answers
    assert fake_run.calls == [["mdadm", "--detail", "/dev/md0"], ["rm", "-rf", "/"]]
    assert fake_run.inputs == [None, "y"]


def test_only_the_seam_starts_processes() -> None:
    """`subprocess.` appears in ctrun alone among the three front ends' sources."""
    found = subprocess.run(["grep", "-rln", "--include=*.py", "subprocess\\.", "ctsys", "recorder", "image"],
                           cwd=ROOT, capture_output=True, text=True, check=False).stdout.split()
    assert found == []
