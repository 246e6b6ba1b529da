"""The fuzz (issue 13, Done when): at least 5,000 manifests generated from the JSON Schema, plus schema-invalid
mutations of them (a key dropped, a value of the wrong type), and `ghlops validate --offline` never raises
anything but its own manifest errors: every document is valid or yields clean file:line error lines.

Entries are generated per kind with hypothesis-jsonschema once per process (a derandomized pool: generating
whole documents is the slow part), then assembled into documents by a seeded random.Random, so every run checks
the same documents. Entries holding ``{{ vars.X }}`` stay in (they yield "undefined variable" errors).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.schema.generate import SECTION_KINDS, assemble, is_list, pool, verdict

POOL = 40
DOCUMENTS_PER_KIND = 560  # 9 kinds: 5,040 documents
MUTATIONS_PER_KIND = 120
_WRONG = (None, 0, -1, 1.5, True, "", "x", [], {}, ["x"], {"x": 1}, "${UNSET}", "{{ vars.none }}")


def _containers(value: Any, found: list[Any]) -> list[Any]:
    if isinstance(value, dict | list):
        if value:
            found.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, found)
    return found


def mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``doc`` with one key dropped or one value replaced by a value of another type, anywhere in it."""
    target = rng.choice(_containers(doc, []))
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    key = rng.choice(keys)
    if rng.random() < 0.4:
        del target[key]
    else:
        target[key] = rng.choice(_WRONG)
    return doc


def _second_section(doc: dict[str, Any], rng: random.Random) -> None:
    """Sometimes a second kind's section joins the first (documents with several sections)."""
    if rng.random() < 0.2:
        other = rng.choice(sorted(SECTION_KINDS))
        if other not in doc["spec"]:
            entries = pool(other, POOL)
            doc["spec"][other] = list(rng.sample(list(entries), 2)) if is_list(other) else rng.choice(entries)


def _clean(lines: list[str], path: Path) -> list[str]:
    """The lines that aren't a manifest error of this file (each names the file first)."""
    return [line for line in lines if not line.startswith(f"{path}:")]


@pytest.mark.parametrize("kind", sorted(SECTION_KINDS))
def test_generated_documents_validate_or_give_clean_errors(kind: str, tmp_path: Path) -> None:
    rng = random.Random(f"fuzz-{kind}")
    entries = pool(kind, POOL)
    outcomes = {"valid": 0, "refused": 0}
    for _ in range(DOCUMENTS_PER_KIND):
        doc = assemble(kind, rng, entries, max_entries=2)
        _second_section(doc, rng)
        lines = verdict(doc, tmp_path)  # any exception but ManifestErrors fails the test with its traceback
        assert _clean(lines, tmp_path / "m.yaml") == []
        outcomes["refused" if lines else "valid"] += 1
    assert sum(outcomes.values()) == DOCUMENTS_PER_KIND
    assert outcomes["valid"] > 0  # the sample isn't all refusals


@pytest.mark.parametrize("kind", sorted(SECTION_KINDS))
def test_schema_invalid_mutations_give_clean_errors(kind: str, tmp_path: Path) -> None:
    rng = random.Random(f"mutate-{kind}")
    entries = pool(kind, POOL)
    refused = 0
    for _ in range(MUTATIONS_PER_KIND):
        doc = mutate(assemble(kind, rng, entries, max_entries=2), rng)
        lines = verdict(doc, tmp_path)
        assert _clean(lines, tmp_path / "m.yaml") == []
        refused += bool(lines)
    assert refused > 0
