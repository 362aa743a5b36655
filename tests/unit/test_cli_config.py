"""`ctsys config ...` and `ctsys apply` end to end on a --root tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctsys.cli import cli

pytestmark = pytest.mark.unit


@pytest.fixture
def ctsys(tmp_path: Path, fake_run):  # type: ignore[no-untyped-def]
    # --root never touches services; fake_run stands in for the checkers (sshd -t).
    runner = CliRunner()

    def invoke(*args: str) -> object:
        return runner.invoke(cli, ["--root", str(tmp_path), *args])

    return invoke


def test_apply_on_defaults_writes_a_tree_then_reports_nothing_changed(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = ctsys("apply")
    assert first.exit_code == 0, first.output
    assert (tmp_path / "etc/ctsys/appliance.yaml").exists()
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"
    second = ctsys("apply")
    assert second.exit_code == 0 and second.output.strip().endswith("nothing changed")


def test_invalid_set_is_refused_and_the_document_is_byte_identical(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctsys("config", "set", "system.hostname", "cam1")
    doc = tmp_path / "etc/ctsys/appliance.yaml"
    before = doc.read_bytes()
    result = ctsys("config", "set", "services.ssh.port", "99999")
    assert result.exit_code == 1
    assert "services.ssh.port" in result.output and "65535" in result.output
    assert doc.read_bytes() == before


def test_rollback_then_apply_converges_to_the_old_document(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctsys("apply")
    ctsys("config", "set", "system.hostname", "cam1", "--apply")
    assert (tmp_path / "etc/hostname").read_text() == "cam1\n"
    result = ctsys("config", "rollback", "1", "--apply")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"
    assert ctsys("apply").output.strip().endswith("nothing changed")


def test_history_json_has_stable_keys(ctsys) -> None:  # type: ignore[no-untyped-def]
    ctsys("config", "set", "system.hostname", "cam1")
    rows = json.loads(ctsys("config", "history", "--json").output)
    assert [r["number"] for r in rows] == [1, 2]
    assert set(rows[1]) == {"number", "time", "user", "origin", "command", "summary"}
    assert rows[1]["summary"] == "system.hostname"


def test_import_validates_everything_before_changing_anything(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctsys("apply")
    doc = tmp_path / "etc/ctsys/appliance.yaml"
    before = doc.read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text("system:\n  hostname: ok-name\n  timezone: Mars/Olympus\n")
    result = ctsys("config", "import", str(bad))
    assert result.exit_code == 1 and "system.timezone" in result.output
    assert doc.read_bytes() == before
    good = tmp_path / "good.yaml"
    ctsys("config", "export", str(good))
    good.write_text(good.read_text().replace("hostname: ct-server", "hostname: imported"))
    assert ctsys("config", "import", str(good)).exit_code == 0
    assert json.loads(ctsys("config", "get", "system.hostname", "--json").output) == "imported"


def test_diff_shows_the_last_change(ctsys) -> None:  # type: ignore[no-untyped-def]
    ctsys("config", "set", "services.ssh.port", "2222")
    out = ctsys("config", "diff").output
    assert "-    port: 22" in out and "+    port: 2222" in out


def test_apply_dry_run_prints_the_diff(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctsys("apply")
    ctsys("config", "set", "system.hostname", "cam7", "--no-apply")
    out = ctsys("apply", "--dry-run").output
    assert "+cam7" in out
    assert (tmp_path / "etc/hostname").read_text() == "ct-server\n"


def test_actions_are_journaled_and_filterable(ctsys) -> None:  # type: ignore[no-untyped-def]
    ctsys("config", "set", "system.hostname", "cam1", "--no-apply")
    ctsys("config", "set", "system.hostname", "bad name")
    ctsys("apply")
    rows = json.loads(ctsys("log", "actions", "--json", "--action", "config").output)
    assert [r["result"].split(":")[0] for r in rows] == ["ok", "error"]
    assert "system.hostname" in rows[1]["result"]
    csv_out = ctsys("log", "actions", "--csv", "--action", "apply").output.splitlines()
    assert csv_out[0] == "time,user,origin,action,result,command" and len(csv_out) == 2
    assert ctsys("log", "actions", "--json", "--user", "nobody-else").output.strip() == "[]"
    assert json.loads(ctsys("log", "actions", "--json", "--since", "2000-01-01", "--until", "2000-12-31").output) == []


def test_a_change_prints_its_outcome_as_json(ctsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    staged = json.loads(ctsys("config", "set", "system.hostname", "cam1", "--no-apply", "--json").output)
    assert staged["changed"] is True and staged["revision"]["summary"] == "system.hostname"
    assert staged["applied"] is None and staged["ok"] is True
    assert not (tmp_path / "etc/hostname").exists()
    applied = json.loads(ctsys("config", "set", "system.hostname", "cam2", "--json").output)
    assert applied["revision"]["number"] == 3 and applied["applied"]["ok"] is True
    assert any(m["module"] == "system" and m["status"] == "applied" for m in applied["applied"]["modules"])
    assert (tmp_path / "etc/hostname").read_text() == "cam2\n"
    same = json.loads(ctsys("config", "set", "system.hostname", "cam2", "--json").output)
    assert same["changed"] is False and same["revision"] is None
