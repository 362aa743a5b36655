"""Finding the recorder: its configuration, its index, its HTTP endpoint, its statistics."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ctsys.errors import CtsysError
from recorder.config import ConfigError, RecorderConfig, load
from recorder.index import Index


def config_path(ctx: click.Context) -> Path:
    """CT_RECORDER_CONFIG, else the appliance document under --root."""
    override = os.environ.get("CT_RECORDER_CONFIG")
    if override:
        return Path(override)
    root = getattr(ctx.find_root().obj, "root", "/")
    return Path(root) / "etc/ctsys/appliance.yaml"


def under_root(config: RecorderConfig, root: str) -> RecorderConfig:
    """The configuration with its state directory and volumes inside the tree at `root`."""
    if Path(root) == Path("/"):
        return config
    base = Path(root)
    volumes = {n: replace(v, path=base / str(v.path).lstrip("/")) for n, v in config.volumes.items()}
    return replace(config, state_dir=base / str(config.state_dir).lstrip("/"), volumes=volumes)


def recorder_config(ctx: click.Context) -> RecorderConfig:
    path = config_path(ctx)
    try:
        config = load(path)
    except FileNotFoundError:
        raise CtsysError(f"{path} does not exist", hint="configure cameras first") from None
    except ConfigError as exc:
        raise CtsysError(f"{path}: {exc}") from None
    if os.environ.get("CT_RECORDER_CONFIG"):
        return config  # a file given by hand names real paths
    # The document of a --root tree names paths inside that tree.
    return under_root(config, str(getattr(ctx.find_root().obj, "root", "/")))


def open_index(config: RecorderConfig) -> Index:
    return Index(config.index_path)


def call(config: RecorderConfig, method: str, path: str, timeout: float = 5.0) -> Any:
    """A request to the daemon's HTTP endpoint; CtsysError when it is not running."""
    host = config.http_address
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{config.http_port}{path}"
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", "")
        except ValueError:
            detail = ""
        raise CtsysError(f"the recorder refused: {detail or exc}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CtsysError(
            f"the recorder is not reachable at {url}: {exc}", hint="systemctl status ct-recorder"
        ) from None


def read_stats(config: RecorderConfig) -> dict[str, Any]:
    """Live statistics from the daemon; if it is down, its last statistics file, marked stale."""
    try:
        result = call(config, "GET", "/api/stats", timeout=3.0)
        if isinstance(result, dict):
            return result
    except CtsysError as exc:
        try:
            data = json.loads(config.stats_path.read_text())
        except (OSError, ValueError):
            raise exc from None
        if isinstance(data, dict):
            data["stale"] = True
            return data
    return {}
