"""`system`: identity of the appliance and its administrator account."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from ctsys.config.sections import Section
from ctsys.config.types import Hostname, TimeZone

_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_LOCALE = re.compile(r"^(C|[a-z]{2,3}_[A-Z]{2})\.UTF-8$")
# The locales compiled into the image (roles/base `base__locales`): those of the languages
# ctsys speaks. Another one would leave every program warning "Cannot set LC_CTYPE".
LOCALES = ("C.UTF-8", "en_US.UTF-8", "fr_FR.UTF-8", "de_DE.UTF-8", "es_ES.UTF-8", "it_IT.UTF-8", "nl_NL.UTF-8")
_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


class AdminAccount(Section):
    name: str = Field("admin", description="Login of the administrator (member of sudo).")
    authorized_keys: list[str] = Field(
        default_factory=list, description="SSH public keys allowed to log in as the administrator."
    )
    password_hash: str | None = Field(
        None, description="crypt(3) hash of the administrator's password (yescrypt or SHA-512)."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value == "root":
            raise ValueError("the administrator cannot be 'root' (root logins are disabled)")
        if not _USER.match(value):
            raise ValueError(f"{value!r} is not a valid login (lowercase letters, digits, '_' and '-')")
        return value

    @field_validator("authorized_keys")
    @classmethod
    def _keys(cls, keys: list[str]) -> list[str]:
        for i, key in enumerate(keys):
            parts = key.split()
            if len(parts) < 2 or parts[0] not in _KEY_TYPES:
                raise ValueError(f"key {i} is not an SSH public key ('ssh-ed25519 AAAA... comment')")
        return keys

    @field_validator("password_hash")
    @classmethod
    def _hash(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^\$(y|6|5|2[aby]|gy)\$", value):
            raise ValueError("is not a crypt(3) hash; generate one with `mkpasswd -m yescrypt`")
        return value


class LogSettings(Section):
    retention_days: int = Field(
        365, ge=7, le=3650, description="Keep journals, action and alert logs this many days (the seed: up to a year)."
    )
    journal_max_mb: int = Field(2048, ge=64, le=1048576, description="Cap of the systemd journal on disk, in MiB.")


class SystemSection(Section):
    hostname: Hostname = Field("ct-server", description="Host name (without domain).")
    domain: str = Field("", description="DNS domain of the appliance, empty for none.")
    timezone: TimeZone = Field("Etc/UTC", description="tz database zone; DST follows zoneinfo.")
    locale: str = Field("en_US.UTF-8", description="System locale (LANG).")
    keyboard: str = Field("us", description="Console keyboard layout (XKBLAYOUT).")
    admin: AdminAccount = Field(default_factory=AdminAccount)
    logs: LogSettings = Field(default_factory=LogSettings)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if not _LOCALE.match(value):
            raise ValueError(f"{value!r} is not a UTF-8 locale such as 'en_US.UTF-8' or 'fr_FR.UTF-8'")
        if value not in LOCALES:
            raise ValueError(f"{value!r} is not a locale the appliance carries: {', '.join(LOCALES)}")
        return value

    @field_validator("keyboard")
    @classmethod
    def _keyboard(cls, value: str) -> str:
        if not re.match(r"^[a-z]{2,3}$", value):
            raise ValueError(f"{value!r} is not a keyboard layout such as 'us', 'fr' or 'de'")
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if value and not re.match(r"^([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}$", value):
            raise ValueError(f"{value!r} is not a DNS domain")
        return value
