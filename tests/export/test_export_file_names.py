"""Manifest file names of `export --all` / repeated `--location-id`: slugs of the location names, valid manifest
names, distinct even on a case-insensitive file system, and independent of the order GHL lists locations in."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ghlops.commands.export import _file_names, slug
from ghlops.manifest.model import NAME_PATTERN


def test_file_names_come_from_the_location_names_and_colliding_ones_carry_their_id() -> None:
    names = {"B2": "Downtown Dental", "A1": "downtown dental!", "C3": "Clínica Sur", "D4": "★", "E5": None}
    assert _file_names(names) == {
        "A1": "downtown-dental-A1", "B2": "downtown-dental-B2", "C3": "clinica-sur", "D4": "D4", "E5": "E5",
    }  # fmt: skip


@given(st.dictionaries(st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True),
                       st.one_of(st.none(), st.text(max_size=120)), max_size=12))  # fmt: skip
def test_file_names_are_valid_distinct_and_independent_of_order(names: dict[str, str | None]) -> None:
    stems = _file_names(names)
    assert stems == _file_names(dict(reversed(list(names.items()))))
    assert len({s.casefold() for s in stems.values()}) == len(names)
    for stem in stems.values():
        assert re.match(NAME_PATTERN, stem) and len(stem) <= 100, stem
    for lid, name in names.items():
        assert stems[lid].startswith(slug(name or "") or lid)
