"""Every document the JSON Schema accepts, `ghlops validate --offline` accepts too (issue 13 §7: editors flag
what validate will), over a fixed sample of generated Location documents without templates, 50 per kind.

What JSON Schema can't say is left out of the sample, each with its reason:
- uniqueness across entries (two tags named alike): entries are drawn with distinct natural keys;
- references: a ``{{ vars.X }}`` needs spec.vars to define X, so entries holding one are not drawn;
- ``remove`` with no matching template entry: the sample has no templates.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.schema.generate import SECTION_KINDS, assemble, validator, verdict, without_vars_references

PER_KIND = 50
POOL = 40


@pytest.mark.parametrize("kind", sorted(SECTION_KINDS))
def test_every_schema_valid_document_of_the_sample_is_valid(kind: str, tmp_path: Path) -> None:
    rng = random.Random(f"agree-{kind}")
    entries = without_vars_references(kind, POOL)
    refused: list[tuple[str, list[str]]] = []
    checked = 0
    for _ in range(PER_KIND):
        doc = assemble(kind, rng, entries)
        assert list(validator().iter_errors(doc)) == []  # the assembly only combines what the schema allows
        checked += 1
        lines = verdict(doc, tmp_path)
        if lines:
            refused.append((repr(doc)[:300], lines[:3]))
    assert checked == PER_KIND
    assert refused == []
