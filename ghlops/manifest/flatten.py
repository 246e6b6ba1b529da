"""Flattening a manifest (what `ghlops render` prints): one Location with its templates merged and variables
substituted, as a plain document. (Plans are *rendered* by ``ghlops.plan.render_*``; this module flattens.)

The result is valid input for ``ghlops validate`` (a Location without templates or vars). ``${ENV}``
references are printed as written, never expanded: a rendered manifest can be shared without leaking what
the environment holds, and render needs no environment (validation uses it when it is there).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ghlops.errors import ConfigError, ManifestErrors
from ghlops.kinds import BY_NAME
from ghlops.manifest.interpolate import interpolate_env
from ghlops.manifest.loader import Report, check_template, read_sources
from ghlops.manifest.model import SPEC_ORDER, LocationDocument
from ghlops.manifest.suggest import did_you_mean
from ghlops.manifest.templates import compose, value_at
from ghlops.manifest.validation import validate
from ghlops.manifest.yaml_io import RawDocument

__all__ = ["flatten_location", "plain", "render_location"]

_SPEC_HEAD = ("locationId", "companyId", "tokenEnv", "prune")


def flatten_location(paths: Sequence[str | Path], name: str, env: Mapping[str, str]) -> tuple[dict[str, Any], str]:
    """The merged Location ``name`` as plain data, and a comment saying what it was made from."""
    sources = read_sources(paths)
    report = Report(sources.origins)
    report.final(sources.errors)
    by_name = {value_at(doc.data, ("metadata", "name")): doc for doc in sources.locations}
    doc = by_name.get(name)
    if doc is None:
        known = sorted(n for n in by_name if isinstance(n, str))
        hint = did_you_mean(name, known)
        raise ConfigError(
            f"--location {name!r} matches no Location document{hint} (known: {', '.join(known) or 'none'})"
        )
    composed = compose(doc, sources.templates, sources.origins)
    checked = copy.deepcopy(composed.doc.data)
    interpolate_env(checked, env)  # only so values from the environment validate; never printed
    _, invalid = validate(LocationDocument, checked)
    report.final(composed.errors, location=name)
    report.merged([*composed.merged_errors, *invalid], checked, location=name)
    for template in composed.templates:
        report.final(check_template(template.doc, sources.origins, used=True))
    errors = report.finish()
    if errors:
        raise ManifestErrors(errors)
    return _document(composed.doc.data), _comment(name, doc, composed.templates, composed.protected)


render_location = flatten_location  # the name ghlops.commands.render uses


def _document(data: Mapping[str, Any]) -> dict[str, Any]:
    document = {key: plain(value) for key, value in data.items() if key != "spec"}
    spec = data["spec"]
    ordered: dict[str, Any] = {key: plain(spec[key]) for key in _SPEC_HEAD if key in spec}
    for section in SPEC_ORDER:
        if section in spec:
            ordered[section] = plain(spec[section])
    if isinstance(ordered.get("tags"), list):
        ordered["tags"] = [_short_tag(tag) for tag in ordered["tags"]]
    document["spec"] = ordered
    return document


def _short_tag(tag: Any) -> Any:
    """A tag mapping that only names the tag reads better as the plain string."""
    if isinstance(tag, dict) and list(tag) == ["name"]:
        return tag["name"]
    return tag


def plain(value: Any) -> Any:
    """PosDict/PosList trees as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _comment(name: str, doc: RawDocument, templates: Sequence[Any], protected: Mapping[str, frozenset[str]]) -> str:
    lines = [f"Location {name} as ghlops plans it: rendered from {doc.pos}"]
    if templates:
        used = ", ".join(f"{t.name} ({t.doc.pos})" for t in templates)
        lines.append(f"with templates {used} merged in, and its vars substituted.")
    for kind, keys in sorted(protected.items()):
        label = BY_NAME[kind].label if kind in BY_NAME else kind
        for key in sorted(keys):
            lines.append(f"Protected (removed from a template, never deleted by prune): {label} {key}")
    return "\n".join(lines)
