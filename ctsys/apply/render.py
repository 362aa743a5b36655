"""Render a module's files from the document with Jinja2 (pure: no file is written here)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import jinja2

from ctsys.apply.module import Module
from ctsys.config.document import Appliance, to_data

MANAGED = "Managed by ctsys: edit /etc/ctsys/appliance.yaml with `ctsys`, then `ctsys apply`."


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ctsys", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.globals["managed"] = MANAGED
    return env


def render_module(module: Module, doc: Appliance) -> dict[str, str | None]:
    """target path -> content (None: the file must not exist)."""
    env = environment()
    context = {"doc": doc, "module": module}
    if module.context is not None:
        context.update(module.context(doc))
    out: dict[str, str | None] = {}
    for spec in module.file_specs(doc):
        target = spec.target_for(doc)
        if spec.when is not None and not spec.when(doc):
            out[target] = None
            continue
        text = env.get_template(spec.template).render({**context, **dict(spec.params)})
        out[target] = text.strip() if spec.symlink else text
    return out


def template_digest(module: Module, doc: Appliance) -> str:
    env = environment()
    h = hashlib.sha256()
    for spec in module.file_specs(doc):
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, spec.template)
        h.update(spec.template.encode() + b"\0" + source.encode() + b"\0")
    return h.hexdigest()


def input_digests(module: Module, doc: Appliance) -> dict[str, str]:
    """One digest per consumed section, plus one for the module's templates."""
    data = to_data(doc)
    digests = {
        section: hashlib.sha256(json.dumps(data.get(section), sort_keys=True).encode()).hexdigest()
        for section in module.sections
    }
    digests["(templates)"] = template_digest(module, doc)
    return digests
