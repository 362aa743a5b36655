"""Property: any malformed or random document gives a clear error, never a traceback,
and never changes the document on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctsys.cli import cli
from ctsys.config import document
from ctsys.config.document import Appliance
from ctsys.errors import ValidationError

pytestmark = pytest.mark.unit


def field_names(model: type = Appliance, seen: set[str] | None = None) -> set[str]:
    from ctsys.config.document import _model_of

    names = seen if seen is not None else set()
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        if name in names:
            continue
        names.add(name)
        inner = _model_of(info.annotation)
        if inner is not None:
            field_names(inner, names)
    return names


KEYS = st.sampled_from(sorted(field_names())) | st.text(min_size=1, max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["22", "10.0.0.300/24", "Europe/Paris", "admin", "", "-", "ssh-ed25519 AAAA x"])
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_random_documents_validate_or_fail_with_paths(data: dict[str, Any]) -> None:
    try:
        document.validate(data)
    except ValidationError as exc:
        assert exc.problems
        for path, reason in exc.problems:
            assert isinstance(path, str) and reason
            assert "Traceback" not in reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_raises_anything_but_validation_errors(text: str) -> None:
    try:
        document.parse(text)
    except ValidationError as exc:
        assert exc.problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(DOCUMENTS | st.text(max_size=80).map(lambda t: {"raw": t}))
def test_import_of_a_bad_document_leaves_the_file_unchanged(tmp_path: Path, data: dict[str, Any]) -> None:
    root = tmp_path / "root"
    runner = CliRunner()
    runner.invoke(cli, ["--root", str(root), "config", "set", "system.hostname", "cam1"])
    current = root / "etc/ctsys/appliance.yaml"
    before = current.read_bytes()
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(data["raw"] if set(data) == {"raw"} else yaml.safe_dump(data))
    result = runner.invoke(cli, ["--root", str(root), "config", "import", str(candidate)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code != 0:
        assert result.exit_code == 1 and result.output.startswith("error: ")
        assert current.read_bytes() == before
