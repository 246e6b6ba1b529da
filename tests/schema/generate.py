"""Manifests generated from the checked-in JSON Schema (hypothesis-jsonschema), and validate's verdict on them.

The schema as a whole is too large for hypothesis-jsonschema to generate from quickly (it re-checks every
sub-schema against the draft 2020-12 meta-schema; a whole document takes about a second), so documents are
assembled from one kind's entry definition at a time: a Location (no templates) whose spec holds one section
of generated entries. Every assembled document is checked against the whole schema, so the assembly can't
produce anything the schema refuses.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from ghlops.errors import ManifestErrors
from ghlops.kinds.registry import KINDS
from ghlops.manifest.loader import load_manifests
from ghlops.manifest.templates import raw_key

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


def _section_schema(kind: str) -> dict[str, Any]:
    section_schema: dict[str, Any] = schema()["$defs"]["LocationSpec"]["else"]["properties"][kind]
    return section_schema


@functools.cache
def entry(kind: str) -> st.SearchStrategy[Any]:
    """One complete entry of spec.<kind> (or the singleton's object), as the schema allows it."""
    spec = _section_schema(kind)
    one = spec["items"] if spec.get("type") == "array" else spec
    return from_schema({"$schema": _FAST_DRAFT, "$defs": schema()["$defs"], **one})


def is_list(kind: str) -> bool:
    return _section_schema(kind).get("type") == "array"


def draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same ones every run (derandomized, no example database)."""
    from hypothesis import HealthCheck, given, settings

    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn


@functools.cache
def pool(kind: str, count: int) -> tuple[Any, ...]:
    """A fixed pool of generated entries of one kind (drawn once per process: generation is the slow part)."""
    return tuple(draw(entry(kind), count))


@functools.cache
def envelopes(count: int) -> tuple[dict[str, Any], ...]:
    return tuple(draw(envelope(), count))


# -- documents assembled from the pools -------------------------------------------------------------------------

_VARS_REFERENCE = re.compile(r"\{\{\s*vars\.")


def holds_vars_reference(value: Any) -> bool:
    """A ``{{ vars.X }}`` anywhere: it needs spec.vars to define X, a reference JSON Schema can't follow."""
    if isinstance(value, str):
        return bool(_VARS_REFERENCE.search(value))
    if isinstance(value, dict):
        return any(holds_vars_reference(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_vars_reference(v) for v in value)
    return False


def without_vars_references(kind: str, pool_size: int) -> tuple[Any, ...]:
    return tuple(e for e in pool(kind, pool_size) if not holds_vars_reference(e))


def assemble(kind: str, rng: random.Random, entries: Sequence[Any], *, max_entries: int = 4) -> dict[str, Any]:
    """A Location without templates whose spec.<kind> is drawn from ``entries``: entries with distinct natural
    keys (uniqueness across entries is validate's, not the schema's)."""
    doc = copy.deepcopy(rng.choice(envelopes(30)))
    if not is_list(kind):
        doc["spec"][kind] = copy.deepcopy(rng.choice(entries))
        return doc
    chosen: list[Any] = []
    keys: set[str | None] = set()
    for candidate in rng.sample(list(entries), min(len(entries), rng.randint(1, max_entries))):
        key = raw_key(kind, candidate)
        if key not in keys:
            keys.add(key)
            chosen.append(copy.deepcopy(candidate))
    doc["spec"][kind] = chosen
    return doc


def verdict_many(docs: Sequence[dict[str, Any]], folder: Path) -> list[str]:
    """`ghlops validate --offline` on several documents written to one file (one load for all: the fuzz's many
    documents cost less that way), in process: its error lines, [] when all are valid."""
    path = folder / "many.yaml"
    path.write_text("".join(f"---\n{as_yaml(doc)}\n" for doc in docs), encoding="utf-8")
    try:
        load_manifests([path], {}, offline=True)
    except ManifestErrors as errors:
        return [str(e) for e in errors.errors]
    return []
