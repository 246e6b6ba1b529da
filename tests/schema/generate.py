"""Manifests generated from the checked-in JSON Schema (hypothesis-jsonschema), and validate's verdict on them.

The schema as a whole is too large for hypothesis-jsonschema to generate from quickly (it re-checks every
sub-schema against the draft 2020-12 meta-schema; a whole document takes about a second), so documents are
assembled from one kind's entry definition at a time: a Location (no templates) whose spec holds one section
of generated entries. Every assembled document is checked against the whole schema, so the assembly can't
produce anything the schema refuses.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from ghlops.errors import ManifestErrors
from ghlops.kinds.registry import KINDS
from ghlops.manifest.loader import load_manifests

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "ghlops.schema.json"
# hypothesis-jsonschema resolves $ref itself; draft-07's meta-schema is many times faster to check against than
# 2020-12's, and the keywords the schema uses mean the same in both.
_FAST_DRAFT = "http://json-schema.org/draft-07/schema#"


@functools.cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def definition(name: str) -> st.SearchStrategy[Any]:
    return from_schema({"$schema": _FAST_DRAFT, "$ref": f"#/$defs/{name}", "$defs": schema()["$defs"]})


SECTION_KINDS = {k.name: k for k in KINDS if k.parent is None}


@functools.cache
def section(kind: str) -> st.SearchStrategy[Any]:
    """What the schema allows in spec.<kind> of a Location without templates (the singleton's object, or a list
    of complete entries)."""
    spec = schema()["$defs"]["LocationSpec"]["else"]["properties"][kind]
    return from_schema({"$schema": _FAST_DRAFT, "$defs": schema()["$defs"], **spec})


@functools.cache
def envelope() -> st.SearchStrategy[dict[str, Any]]:
    spec = schema()["$defs"]["LocationSpec"]["properties"]
    return st.fixed_dictionaries(
        {
            "apiVersion": st.just("ghlops/v1"),
            "kind": st.just("Location"),
            "metadata": definition("Metadata"),
            "spec": st.fixed_dictionaries(
                {"locationId": from_schema({"$schema": _FAST_DRAFT, **spec["locationId"]})},
                optional={
                    "companyId": from_schema({"$schema": _FAST_DRAFT, **spec["companyId"]}),
                    "prune": from_schema({"$schema": _FAST_DRAFT, **spec["prune"]}),
                },
            ),
        }
    )


def documents(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """A Location document with one section, spec.<kind>, as the schema allows it."""

    def build(doc: dict[str, Any], entries: Any) -> dict[str, Any]:
        doc["spec"][kind] = entries
        return doc

    return st.builds(build, envelope(), section(kind))


# Characters YAML may not hold raw (its printable set excludes them); JSON's \\u escapes only cover C0.
_UNPRINTABLE = re.compile("[\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff]")


def as_yaml(doc: Any) -> str:
    """The document as YAML text: JSON (which YAML reads) with characters outside the Basic Multilingual Plane
    kept raw, since YAML reads an escaped UTF-16 pair as two lone surrogates."""
    text = json.dumps(doc, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def verdict(doc: dict[str, Any], folder: Path) -> list[str]:
    """`ghlops validate --offline` on the document, in process: [] when valid, else its error lines."""
    path = folder / "m.yaml"
    path.write_text(as_yaml(doc), encoding="utf-8")
    try:
        load_manifests([path], {}, offline=True)
    except ManifestErrors as errors:
        return [str(e) for e in errors.errors]
    return []
