"""The document schema: defaults, and errors that name the path and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.config import document
from ctsys.errors import ValidationError

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        document.parse(text)
    return info.value.problems


def test_defaults_make_a_complete_valid_document() -> None:
    doc = document.defaults()
    assert doc.system.hostname == "ct-server"
    assert doc.services.ssh.enabled and doc.services.ssh.port == 22
    assert not doc.services.snmp.enabled
    # The dump of the defaults parses back to the same document.
    assert document.parse(document.dump(doc)) == doc


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_fixture_document_is_valid(fixture: Path) -> None:
    document.parse(fixture.read_text())


def test_unknown_key_is_refused_with_a_suggestion() -> None:
    assert problems("system: {hostnme: cam1}") == [("system.hostnme", "unknown key (did you mean 'hostname'?)")]


def test_unknown_section_is_refused() -> None:
    [(path, reason)] = problems("sytem: {}")
    assert path == "sytem"
    assert "did you mean 'system'" in reason


def test_unknown_nested_key_suggests_from_the_right_model() -> None:
    [(path, reason)] = problems("services: {ssh: {prot: 22}}")
    assert path == "services.ssh.prot"
    assert "did you mean 'port'" in reason


def test_bad_hostname_names_the_value() -> None:
    [(path, reason)] = problems("system: {hostname: 'bad host'}")
    assert path == "system.hostname"
    assert reason.startswith("'bad host' is not a valid host name")


def test_port_out_of_range() -> None:
    [(path, reason)] = problems("services: {ssh: {port: 70000}}")
    assert path == "services.ssh.port"
    assert "70000" in reason and "65535" in reason


def test_two_services_on_one_port_blame_the_second_field() -> None:
    [(path, reason)] = problems("services: {web: {https_port: 22}}")
    assert path == "services.web.https_port"
    assert reason == "port 22 is already used by services ssh.port".replace("services ", "")


def test_disabled_service_port_does_not_conflict() -> None:
    doc = document.parse("services: {ssh: {enabled: false}, web: {https_port: 22}}")
    assert doc.services.web.https_port == 22


def test_unknown_time_zone_suggests_the_closest() -> None:
    [(path, reason)] = problems("system: {timezone: Europe/Pari}")
    assert path == "system.timezone"
    assert "did you mean 'Europe/Paris'" in reason


def test_root_admin_is_refused() -> None:
    [(path, reason)] = problems("system: {admin: {name: root}}")
    assert path == "system.admin.name" and "root" in reason


def test_bad_ssh_key_names_its_index() -> None:
    [(path, reason)] = problems("system: {admin: {authorized_keys: ['ssh-ed25519 AAAA x', 'nonsense']}}")
    assert path == "system.admin.authorized_keys"
    assert "key 1" in reason


def test_yaml_syntax_error_gives_line_and_column() -> None:
    [(path, reason)] = problems("system:\n  hostname: [unclosed\n")
    assert path == ""
    assert reason.startswith("YAML syntax error at line")


def test_document_must_be_a_mapping() -> None:
    [(path, reason)] = problems("- a\n- b\n")
    assert path == "" and "must be a mapping" in reason


def test_wrong_type_names_the_value() -> None:
    [(path, reason)] = problems("services: {ssh: {enabled: maybe}}")
    assert path == "services.ssh.enabled"
    assert "'maybe'" in reason


def test_format_path_uses_brackets_for_indexes() -> None:
    assert document.format_path(("network", "interfaces", 2, "address")) == "network.interfaces[2].address"


def test_several_problems_are_all_reported() -> None:
    found = problems("system: {hostname: '-x', locale: klingon}")
    assert {p for p, _ in found} == {"system.hostname", "system.locale"}
