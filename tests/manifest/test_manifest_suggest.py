from __future__ import annotations

from ghlops.manifest.suggest import did_you_mean, suggest

FIELDS = ["name", "dataType", "placeholder", "options", "position"]


def test_suggest_finds_the_closest_candidate() -> None:
    assert suggest("plceholder", FIELDS) == "placeholder"
    assert suggest("datatype", FIELDS) == "dataType"
    assert suggest("TEXTT", ["TEXT", "LARGE_TEXT", "NUMERICAL"]) == "TEXT"


def test_suggest_ignores_case_and_prefers_a_case_only_difference() -> None:
    assert suggest("large_text", ["TEXT", "LARGE_TEXT"]) == "LARGE_TEXT"
    assert suggest("Name", ["names", "name"]) == "name"


def test_suggest_gives_nothing_when_nothing_is_close_or_the_word_is_a_candidate() -> None:
    assert suggest("zzz", FIELDS) is None
    assert suggest("name", FIELDS) is None
    assert suggest("x", []) is None


def test_did_you_mean_formats_the_suggestion_or_nothing() -> None:
    assert did_you_mean("optons", FIELDS) == " (did you mean 'options'?)"
    assert did_you_mean("zzz", FIELDS) == ""
