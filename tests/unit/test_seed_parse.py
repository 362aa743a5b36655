"""What a seed says: ct-seed.yaml (the answer-file schema), the NoCloud subset, and errors that name the field."""

from __future__ import annotations

import hashlib

import pytest

from ctsys.config.document import defaults
from ctsys.errors import CtsysError, ValidationError
from ctsys.install.answer import Answers
from ctsys.install.system import answers_into_document
from ctsys.seed import parse
from ctsys.seed.plan import plan, summary
from ctsys.seed.sources import RawSeed

pytestmark = pytest.mark.unit
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhQ0uAb0Hq5sOuB8xqYkX9b2yP3cG2cYtYb3VYQmZt0 tech@laptop"
NETWORK = (
    "network:\n  interfaces:\n"
    "    - {name: eth0, role: management, addresses: [192.0.2.10/24], gateway4: 192.0.2.1}\n"
)
DISK = "/dev/vdb (CT-SEED)"


def ct_seed(text: str, where: str = DISK, kind: str = "disk") -> parse.Seed:
    return parse.load(RawSeed(where, kind, {"ct-seed.yaml": text.encode()}))


def nocloud(**files: str) -> parse.Seed:
    return parse.load(RawSeed("/dev/sr0 (cidata)", "disk", {k.replace("_", "-"): v.encode() for k, v in files.items()}))


def problems(seed_or_text: str | parse.Seed) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        seed = ct_seed(seed_or_text) if isinstance(seed_or_text, str) else seed_or_text
        plan(defaults(), seed)
    return dict(info.value.problems)


def test_a_full_seed_sets_hostname_keys_and_network_with_a_history_summary() -> None:
    seed = ct_seed(f"hostname: vm-gate-07\nadmin_authorized_keys: [{KEY}]\n{NETWORK}")
    result = plan(defaults(), seed)
    assert result.doc.system.hostname == "vm-gate-07"
    assert result.doc.system.admin.authorized_keys == [KEY]
    assert result.doc.network.interfaces[0].addresses == ["192.0.2.10/24"]
    assert [c.path for c in result.changes] == ["system.hostname", "system.admin.authorized_keys", "network"]
    assert summary(seed, result) == "seed: hostname, admin keys, network from /dev/vdb (CT-SEED)"


def test_a_seed_that_says_what_the_document_says_changes_nothing() -> None:
    result = plan(defaults(), ct_seed("hostname: ct-server\n"))
    assert [f.name for f in result.fields] == ["hostname"] and result.changes == []


def test_the_seed_identity_is_the_file_sha256() -> None:
    text = "hostname: vm-gate-07\n"
    assert ct_seed(text).sha256 == hashlib.sha256(text.encode()).hexdigest()  # what sha256sum ct-seed.yaml prints
    assert nocloud(meta_data="local-hostname: a\n").sha256 != nocloud(meta_data="local-hostname: b\n").sha256


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("disk: auto\n", "ct-seed.yaml on /dev/vdb (CT-SEED): disk", "a seed does not choose a disk"),
        ("finish: reboot\n", "ct-seed.yaml on /dev/vdb (CT-SEED): finish", "finish is for ct-install.yaml"),
        ("hostname: 'x y'\n", "ct-seed.yaml on /dev/vdb (CT-SEED): hostname", "not a valid host name"),
        ("timezone: Mars/Olympus\n", "ct-seed.yaml on /dev/vdb (CT-SEED): timezone", ""),
        ("hostnme: a\n", "ct-seed.yaml on /dev/vdb (CT-SEED): hostnme", "xtra"),
        ("admin_authorized_keys: [not-a-key]\n", "ct-seed.yaml on /dev/vdb (CT-SEED): admin_authorized_keys",
         "key 0 is not an SSH public key"),
        ("admin_password_hash: secret\n", "ct-seed.yaml on /dev/vdb (CT-SEED): admin_password_hash",
         "not a crypt(3) hash"),
        ("network: {interfaces: [{name: eth0, role: management, addresses: [192.0.2.300/24]}]}\n",
         "ct-seed.yaml on /dev/vdb (CT-SEED): network.interfaces[0].addresses[0]", ""),
        ("network: {interfaces: [{name: eth0, rol: management}]}\n",
         "ct-seed.yaml on /dev/vdb (CT-SEED): network.interfaces[0].rol", "unknown key"),
    ],
)
def test_each_bad_field_is_named_with_its_file(text: str, field: str, reason: str) -> None:
    found = problems(text)
    assert field in found, found
    assert reason in found[field]


def test_install_only_fields_are_named_beside_other_problems() -> None:
    found = problems("disk: /dev/sda\nhostname: 'x y'\nfinish: poweroff\n")
    assert {k.rsplit(": ", 1)[1] for k in found} == {"disk", "finish", "hostname"}


def test_every_bad_field_is_reported_at_once() -> None:
    found = problems(f"hostname: 'x y'\nadmin_authorized_keys: [nope]\nfinish: reboot\n"
                     f"{NETWORK.replace('192.0.2.1}', 'x}')}")
    assert {k.rsplit(": ", 1)[1].split(".")[0] for k in found} == {"finish", "hostname", "admin_authorized_keys",
                                                                   "network"}


def test_an_esp_seed_is_named_by_its_path() -> None:
    found = problems(ct_seed("hostname: 'x y'\n", where="/boot/efi/ct-seed.yaml", kind="esp"))
    assert list(found) == ["/boot/efi/ct-seed.yaml: hostname"]


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"hostname: [\n", "ct-seed.yaml on /dev/vdb (CT-SEED): YAML syntax error"),
     (b"- a\n- b\n", "must be a mapping"),
     (b"hostname: \xff\n", "not UTF-8")],
)
def test_unreadable_seed_files_are_named(data: bytes, message: str) -> None:
    with pytest.raises(CtsysError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse.load(RawSeed(DISK, "disk", {"ct-seed.yaml": data}))


def test_nocloud_subset_is_understood_and_the_rest_named_as_ignored() -> None:
    seed = nocloud(
        meta_data="instance-id: iid-gate-07\nlocal-hostname: from-meta\n",
        user_data=f"#cloud-config\nhostname: gate-07\nssh_authorized_keys:\n  - {KEY}\n"
        "users: [default]\npackages: [htop]\n",
        network_config="version: 2\n",
    )
    assert seed.format == "nocloud" and seed.files == ["meta-data", "network-config", "user-data"]
    assert (seed.answers.hostname, seed.answers.admin_authorized_keys) == ("gate-07", [KEY])  # user-data wins
    assert seed.ignored == [
        "network-config: not read (only meta-data and user-data are)",
        "meta-data: instance-id",
        "user-data: users",
        "user-data: packages",
    ]
    result = plan(defaults(), seed)
    assert result.doc.system.hostname == "gate-07" and [f.label for f in result.fields] == ["hostname", "admin keys"]


def test_nocloud_meta_data_alone_gives_the_hostname() -> None:
    seed = nocloud(meta_data='{"instance-id": "i-1", "local-hostname": "gate-08"}')  # JSON is YAML too
    assert seed.answers.hostname == "gate-08" and seed.answers.admin_authorized_keys == []


def test_nocloud_user_data_that_is_not_cloud_config_is_not_run() -> None:
    seed = nocloud(meta_data="local-hostname: gate-09\n", user_data="#!/bin/sh\nrm -rf /\n")
    assert seed.answers.hostname == "gate-09"
    assert seed.ignored == ["user-data: not #cloud-config (a script or MIME multipart is not run)"]


def test_nocloud_errors_name_the_nocloud_file_and_key() -> None:
    found = problems(nocloud(user_data="#cloud-config\nssh_authorized_keys: [nope]\n"))
    assert list(found) == ["user-data on /dev/sr0 (cidata): ssh_authorized_keys"]
    found = problems(nocloud(meta_data="local-hostname: 'bad name'\n",
                             user_data="#cloud-config\nssh_authorized_keys: ssh-ed25519 AAAA one-string\n"))
    assert list(found) == ["meta-data on /dev/sr0 (cidata): local-hostname",
                           "user-data on /dev/sr0 (cidata): ssh_authorized_keys"]


def test_the_install_mapping_leaves_unset_answers_alone_and_names_answer_fields() -> None:
    doc, used = answers_into_document(defaults(), Answers(timezone="Europe/Paris"))
    assert [f.path for f in used] == ["system.timezone"] and doc.system.hostname == "ct-server"
    with pytest.raises(ValidationError) as info:
        answers_into_document(defaults(), Answers(admin_authorized_keys=["x"], network={"interfaces": 3}))
    assert [p for p, _ in info.value.problems] == ["admin_authorized_keys", "network.interfaces"]
