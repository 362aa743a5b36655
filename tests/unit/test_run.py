"""The run() seam: exact command in errors, exit status, stderr, timeouts."""

from __future__ import annotations

import logging

import pytest

from ctsys.errors import CommandError
from ctsys.run import quote, run

pytestmark = pytest.mark.unit


def test_success_returns_output() -> None:
    result = run(["sh", "-c", "echo out; echo err >&2"])
    assert result.ok and result.stdout == "out\n" and result.stderr == "err\n"


def test_failure_carries_command_status_and_stderr() -> None:
    with pytest.raises(CommandError) as info:
        run(["sh", "-c", "echo 'it broke' >&2; exit 3"])
    err = info.value
    assert err.returncode == 3 and err.stderr == "it broke\n"
    assert err.command == "sh -c 'echo '\"'\"'it broke'\"'\"' >&2; exit 3'"
    assert "exited with status 3" in str(err) and "it broke" in str(err)


def test_check_false_returns_the_failure() -> None:
    assert run(["false"], check=False).returncode == 1


def test_missing_command_is_status_127() -> None:
    with pytest.raises(CommandError) as info:
        run(["no-such-command-ctsys"])
    assert info.value.returncode == 127 and "command not found" in str(info.value)


def test_timeout_is_enforced() -> None:
    with pytest.raises(CommandError, match=r"timed out after 0\.2 s: sleep 5"):
        run(["sleep", "5"], timeout=0.2)


def test_each_command_is_logged_shell_quoted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ctsys.run"):
        run(["echo", "a b"])
    assert "run: echo 'a b'" in caplog.text
    assert quote(["echo", "a b", "c"]) == "echo 'a b' c"


def test_input_is_passed_on_stdin() -> None:
    assert run(["cat"], input="hello").stdout == "hello"
