"""`services`: which appliance services run, and on which ports."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from ctsys.config.sections import Section
from ctsys.config.types import Port


class Service(Section):
    enabled: bool = True


class SshService(Service):
    port: Port = 22
    password_authentication: bool = Field(
        True, description="Allow the administrator to log in with a password (keys always work)."
    )


class WebService(Service):
    https_port: Port = 443
    http_port: Port = Field(80, description="Plain HTTP port; it only redirects to HTTPS.")


class RecorderService(Service):
    api_port: Port = Field(8089, description="Recorder HTTP API and alarm input, on 127.0.0.1.")


class SnmpService(Service):
    enabled: bool = False
    port: Port = 161


class SimpleService(Service):
    pass


class GuiService(Service):
    enabled: bool = False


class ServicesSection(Section):
    """Each entry maps to one systemd unit (see UNITS)."""

    UNITS: ClassVar[dict[str, str]] = {
        "ssh": "ssh.service",
        "web": "nginx.service",
        "recorder": "ct-recorder.service",
        "snmp": "snmpd.service",
        "ntp": "chrony.service",
        "smart": "smartmontools.service",
        "gui": "lightdm.service",
    }

    ssh: SshService = Field(default_factory=SshService)
    web: WebService = Field(default_factory=WebService)
    recorder: RecorderService = Field(default_factory=RecorderService)
    snmp: SnmpService = Field(default_factory=SnmpService)
    ntp: SimpleService = Field(default_factory=SimpleService)
    smart: SimpleService = Field(default_factory=SimpleService)
    gui: GuiService = Field(default_factory=GuiService)

    def ports(self) -> dict[str, int]:
        """Ports of the enabled services, as `service.field` -> port."""
        found: dict[str, int] = {}
        for name in self.UNITS:
            service = getattr(self, name)
            if not service.enabled:
                continue
            for field in type(service).model_fields:
                if field == "port" or field.endswith("_port"):
                    found[f"{name}.{field}"] = getattr(service, field)
        return found

    @model_validator(mode="after")
    def _unique_ports(self) -> ServicesSection:
        seen: dict[int, str] = {}
        for where, port in self.ports().items():
            if port in seen:
                raise ValueError(f"@{where}: port {port} is already used by {seen[port]}")
            seen[port] = where
        return self
