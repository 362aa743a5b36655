"""Dotted-path access used by `ctsys config get/set/unset`."""

from __future__ import annotations

import pytest

from ctsys.config import document, edit
from ctsys.errors import CtsysError, ValidationError

pytestmark = pytest.mark.unit


def test_split_path_handles_indexes() -> None:
    assert edit.split_path("network.interfaces[2].address") == ["network", "interfaces", 2, "address"]


@pytest.mark.parametrize("bad", ["", ".a", "a.", "a..b", "a[x]", "a]b"])
def test_malformed_paths_are_refused(bad: str) -> None:
    with pytest.raises(CtsysError):
        edit.split_path(bad)


def test_get_reads_nested_values() -> None:
    doc = document.defaults()
    assert edit.get(doc, "services.ssh.port") == 22
    with pytest.raises(CtsysError, match="has no key 'prot'"):
        edit.get(doc, "services.ssh.prot")


def test_parse_value_reads_yaml_scalars() -> None:
    assert edit.parse_value("22") == 22
    assert edit.parse_value("true") is True
    assert edit.parse_value("[a, b]") == ["a", "b"]
    assert edit.parse_value("cam-1") == "cam-1"


def test_set_returns_a_new_document_and_keeps_the_old() -> None:
    doc = document.defaults()
    new = edit.set_value(doc, "system.hostname", "cam1")
    assert new.system.hostname == "cam1" and doc.system.hostname == "ct-server"


def test_set_validates_the_whole_document() -> None:
    with pytest.raises(ValidationError) as info:
        edit.set_value(document.defaults(), "services.web.https_port", 22)
    assert info.value.problems[0][0] == "services.web.https_port"


def test_list_append_and_unset() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0 me"
    doc = edit.set_value(document.defaults(), "system.admin.authorized_keys[0]", key)
    assert doc.system.admin.authorized_keys == [key]
    doc = edit.unset_value(doc, "system.admin.authorized_keys[0]")
    assert doc.system.admin.authorized_keys == []
    doc = edit.unset_value(edit.set_value(doc, "services.ssh.port", 2222), "services.ssh.port")
    assert doc.services.ssh.port == 22
