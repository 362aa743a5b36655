"""The `snmp` section: bad input names the field and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctsys.config import document
from ctsys.errors import ValidationError

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent.parent / "fixtures"
USER = {"name": "nms", "auth_passphrase": "auth-pass-123", "priv_passphrase": "priv-pass-456"}


def problems(snmp: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        document.validate({"snmp": snmp})
    return info.value.problems


def test_fixture_document_parses_and_round_trips() -> None:
    doc = document.parse((FIXTURES / "snmp-agent.yaml").read_text())
    assert doc.snmp.users[0].auth == "SHA" and doc.snmp.managers[1].version == "3"
    assert document.parse(document.dump(doc)) == doc


def test_defaults_have_nobody_allowed_and_the_management_role() -> None:
    s = document.defaults().snmp
    assert s.communities == [] and s.users == [] and s.managers == []
    assert s.roles == ["management"] and s.enterprise_number == 99999


@pytest.mark.parametrize(
    ("name", "reason"),
    [("pub lic", "cannot contain spaces"), ("", "cannot be empty"), ('say"hi', "without quotes")],
)
def test_bad_community_strings_are_refused(name: str, reason: str) -> None:
    [(path, why)] = problems({"communities": [{"name": name, "sources": ["10.0.0.0/24"]}]})
    assert path == "snmp.communities[0].name"
    assert reason in why


def test_an_invalid_source_subnet_names_its_index() -> None:
    [(path, why)] = problems({"communities": [{"name": "nms", "sources": ["10.0.0.0/24", "10.0.0.0/33"]}]})
    assert path == "snmp.communities[0].sources[1]"
    assert "'10.0.0.0/33' is not an IP subnet" in why


def test_a_community_needs_a_source() -> None:
    [(path, why)] = problems({"communities": [{"name": "nms", "sources": []}]})
    assert path == "snmp.communities[0].sources" and "at least one source subnet" in why


@pytest.mark.parametrize("field", ["auth_passphrase", "priv_passphrase"])
def test_v3_passphrases_shorter_than_8_characters_are_refused(field: str) -> None:
    [(path, why)] = problems({"users": [{**USER, field: "1234567"}]})
    assert path == f"snmp.users[0].{field}"
    assert "at least 8 characters (got 7)" in why


def test_v3_only_offers_strong_protocols() -> None:
    [(path, _)] = problems({"users": [{**USER, "auth": "MD5"}]})
    assert path == "snmp.users[0].auth"
    [(path, _)] = problems({"users": [{**USER, "priv": "DES"}]})
    assert path == "snmp.users[0].priv"


def test_a_v3_manager_must_name_a_known_user() -> None:
    [(path, why)] = problems({"users": [USER], "managers": [{"host": "192.0.2.9", "version": "3", "user": "ops"}]})
    assert path == "snmp.managers[0].user"
    assert "no v3 user 'ops'" in why and "(users: nms)" in why


def test_a_v2c_manager_needs_a_community() -> None:
    [(path, why)] = problems({"managers": [{"host": "192.0.2.9"}]})
    assert path == "snmp.managers[0].community"
    assert "needs the community its traps carry" in why


def test_duplicate_users_and_communities_are_blamed_on_the_second() -> None:
    [(path, _)] = problems({"users": [USER, USER]})
    assert path == "snmp.users[1].name"
    c = {"name": "nms", "sources": ["10.0.0.0/8"]}
    [(path, _)] = problems({"communities": [c, c]})
    assert path == "snmp.communities[1].name"


def test_contact_is_one_line() -> None:
    [(path, _)] = problems({"contact": "a\nb"})
    assert path == "snmp.contact"
