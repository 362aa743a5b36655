"""A seed's files -> the installer's answers: ct-seed.yaml, or the NoCloud subset.

ct-seed.yaml is the answer file of `ctsys install` (ctsys/install/answer.py)
without `disk` and `finish`, which mean nothing once the system is installed.

NoCloud subset (a cidata filesystem without ct-seed.yaml):
  meta-data   local-hostname
  user-data   #cloud-config with hostname (wins over local-hostname) and
              ssh_authorized_keys (the administrator's keys)
Every other key, and the other NoCloud files, are reported as ignored, by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ctsys.errors import CtsysError, ValidationError
from ctsys.install import answer
from ctsys.install.answer import Answers
from ctsys.seed.sources import SEED_FILE, RawSeed

# Answer-file fields that belong to the install only, and why.
INSTALL_ONLY = {
    "disk": "a seed does not choose a disk: the system is installed already (disk is for ct-install.yaml)",
    "finish": "a seed has no end of install to reboot or power off at (finish is for ct-install.yaml)",
}
# NoCloud key -> answer field: (file, key, field)
NOCLOUD_KEYS = (
    ("meta-data", "local-hostname", "hostname"),
    ("user-data", "hostname", "hostname"),
    ("user-data", "ssh_authorized_keys", "admin_authorized_keys"),
)
CLOUD_CONFIG = "#cloud-config"


@dataclass
class Seed:
    where: str  # its source: "/dev/vdb (CT-SEED)" or "/boot/efi/ct-seed.yaml"
    kind: str  # disk | esp
    format: str  # ct-seed | nocloud
    files: list[str]
    sha256: str
    answers: Answers
    ignored: list[str] = field(default_factory=list)
    # answer field -> how the seed spells it ("user-data on /dev/sr0 (cidata): ssh_authorized_keys")
    origins: dict[str, str] = field(default_factory=dict)
    # fields already refused while parsing (install-only, wrong type): reported with the document's
    problems: list[tuple[str, str]] = field(default_factory=list)
    default_file: str = SEED_FILE

    def name(self, path: str) -> str:
        """An answer field path (`network.interfaces[0].mtu`) as the seed's file and key."""
        head = path.split(".", 1)[0].split("[", 1)[0]
        if head in self.origins:
            return self.origins[head] + path.removeprefix(head)
        return f"{self.default_file}: {path}"


def content_sha256(files: dict[str, bytes]) -> str:
    """The seed's identity: one file's own sha256 (as sha256sum prints it), else all files' together."""
    if len(files) == 1:
        return hashlib.sha256(next(iter(files.values()))).hexdigest()
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + str(len(files[name])).encode() + b"\0" + files[name])
    return digest.hexdigest()


def _text(data: bytes, label: str) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise CtsysError(f"{label}: not UTF-8 text") from None


def _install_only(keys: Iterable[object], label: str) -> list[tuple[str, str]]:
    return [(f"{label}: {key}", INSTALL_ONLY[key]) for key in INSTALL_ONLY if key in keys]


def validate_all(data: dict[str, Any], label: str) -> tuple[Answers, list[tuple[str, str]]]:
    """The answers, and every problem: a bad field is left out so the others are still checked."""
    try:
        return answer.validate(data, label), []
    except ValidationError as exc:
        bad = {path.removeprefix(f"{label}: ").split(".")[0].split("[")[0] for path, _ in exc.problems}
        good = {key: value for key, value in data.items() if key not in bad}
        return answer.validate(good, label), exc.problems


def parse_ct_seed(text: str, label: str) -> tuple[Answers, list[tuple[str, str]]]:
    """ct-seed.yaml: the answer-file schema; `disk` and `finish` refused by name."""
    data = answer.load_mapping(text, label)
    refused = _install_only(data, label)
    answers, problems = validate_all({k: v for k, v in data.items() if k not in INSTALL_ONLY}, label)
    return answers, refused + problems


def parse_nocloud(files: dict[str, str], where: str) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """NoCloud meta-data and user-data -> (answer data, ignored keys, answer field -> NoCloud file and key)."""
    data: dict[str, Any] = {}
    origins: dict[str, str] = {}
    ignored = [f"{name}: not read (only meta-data and user-data are)" for name in sorted(files)
               if name not in ("meta-data", "user-data")]
    parsed: dict[str, dict[str, Any]] = {}
    if "meta-data" in files:
        parsed["meta-data"] = answer.load_mapping(files["meta-data"], f"meta-data on {where}")
    user = files.get("user-data", "")
    if user.strip():
        if user.lstrip().splitlines()[0].strip() == CLOUD_CONFIG:
            parsed["user-data"] = answer.load_mapping(user, f"user-data on {where}")
        else:
            ignored.append(f"user-data: not {CLOUD_CONFIG} (a script or MIME multipart is not run)")
    understood = {(name, key) for name, key, _ in NOCLOUD_KEYS}
    for name, content in parsed.items():
        ignored += [f"{name}: {key}" for key in content if (name, key) not in understood]
    for name, key, target in NOCLOUD_KEYS:  # in order: user-data's hostname wins over local-hostname
        if key in parsed.get(name, {}):
            data[target] = parsed[name][key]
            origins[target] = f"{name} on {where}: {key}"
    return data, ignored, origins


def load(raw: RawSeed) -> Seed:
    """Parse a seed's files; problems with its fields are kept in `problems`, named by file and key."""
    sha = content_sha256(raw.files)
    if SEED_FILE in raw.files:
        label = raw.where if raw.kind == "esp" else f"{SEED_FILE} on {raw.where}"
        answers, problems = parse_ct_seed(_text(raw.files[SEED_FILE], label), label)
        return Seed(raw.where, raw.kind, "ct-seed", [SEED_FILE], sha, answers, problems=problems, default_file=label)
    texts = {name: _text(content, f"{name} on {raw.where}") for name, content in raw.files.items()}
    data, ignored, origins = parse_nocloud(texts, raw.where)
    seed = Seed(raw.where, raw.kind, "nocloud", sorted(raw.files), sha, Answers(), ignored, origins,
                default_file=f"user-data on {raw.where}")
    seed.answers, problems = validate_all(data, raw.where)
    seed.problems = [(seed.name(path.removeprefix(f"{raw.where}: ")), reason) for path, reason in problems]
    return seed
