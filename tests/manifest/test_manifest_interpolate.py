from __future__ import annotations

from ghlops.errors import SourcePos
from ghlops.manifest.interpolate import interpolate_env, interpolate_string
from ghlops.manifest.positions import PosDict, locate
from ghlops.manifest.yaml_io import load_text

DOC = """\
kind: Location
spec:
  locationId: ${LOCATION_ID}
  customValues:
    - name: api-key
      value: "key=${API_KEY};"
    - name: template
      value: Hello $${FIRST_NAME}, cost $5
  tags:
    - ${TAG}
    - plain
  ${NOT_A_KEY}: stays
"""


def load(text: str) -> PosDict:
    docs, errors = load_text(text, "m.yaml")
    assert errors == []
    data = docs[0].data
    assert isinstance(data, PosDict)
    return data


def test_references_are_replaced_in_string_values_and_list_items() -> None:
    data = load(DOC)
    env = {"LOCATION_ID": "loc123", "API_KEY": "s3cret", "TAG": "vip", "NOT_A_KEY": "nope"}
    assert interpolate_env(data, env) == []
    assert data["spec"]["locationId"] == "loc123"
    assert data["spec"]["customValues"][0]["value"] == "key=s3cret;"
    assert data["spec"]["tags"] == ["vip", "plain"]


def test_keys_are_never_interpolated() -> None:
    data = load(DOC)
    interpolate_env(data, {"LOCATION_ID": "x", "API_KEY": "y", "TAG": "z", "NOT_A_KEY": "nope"})
    assert data["spec"]["${NOT_A_KEY}"] == "stays"


def test_double_dollar_escapes_a_literal_reference() -> None:
    data = load(DOC)
    interpolate_env(data, {"LOCATION_ID": "x", "API_KEY": "y", "TAG": "z"})
    assert data["spec"]["customValues"][1]["value"] == "Hello ${FIRST_NAME}, cost $5"


def test_positions_are_kept_after_interpolation() -> None:
    data = load(DOC)
    interpolate_env(data, {"LOCATION_ID": "x", "API_KEY": "y", "TAG": "z"})
    assert locate(data, ("spec", "locationId")) == SourcePos("m.yaml", 3, 15)
    assert locate(data, ("spec", "tags", 0)) == SourcePos("m.yaml", 10, 7)


def test_an_unset_variable_is_an_error_at_the_value() -> None:
    data = load(DOC)
    errors = interpolate_env(data, {"LOCATION_ID": "x", "TAG": "z"})
    assert [str(e) for e in errors] == [
        "m.yaml:6:14: spec.customValues[0].value: environment variable API_KEY is not set"
    ]
    assert data["spec"]["customValues"][0]["value"] == "key=${API_KEY};"


def test_every_unset_variable_is_reported() -> None:
    data = load(DOC)
    assert [str(e) for e in interpolate_env(data, {})] == [
        "m.yaml:3:15: spec.locationId: environment variable LOCATION_ID is not set",
        "m.yaml:6:14: spec.customValues[0].value: environment variable API_KEY is not set",
        "m.yaml:10:7: spec.tags[0]: environment variable TAG is not set",
    ]


def test_malformed_references_are_errors() -> None:
    data = load("a: x${}y\nb: ${1ABC}\nc: ${FOO\nd: ${A-B} and ${OK}\n")
    assert [str(e) for e in interpolate_env(data, {"OK": "fine"})] == [
        "m.yaml:1:4: a: empty variable reference '${}'",
        "m.yaml:2:4: b: invalid variable reference '${1ABC}': names are letters, digits and '_' "
        "and do not start with a digit",
        "m.yaml:3:4: c: unclosed variable reference '${FOO' (missing '}')",
        "m.yaml:4:4: d: invalid variable reference '${A-B}': names are letters, digits and '_' "
        "and do not start with a digit",
    ]
    assert data["d"] == "${A-B} and ${OK}"


def test_interpolate_string_handles_repeats_and_adjacent_references() -> None:
    env = {"A": "1", "B_2": "two"}
    assert interpolate_string("${A}${B_2}-${A}", env) == ("1two-1", [])
    assert interpolate_string("$A ${A} $$ $${A} $", env) == ("$A 1 $$ ${A} $", [])
    assert interpolate_string("no references", env) == ("no references", [])
    assert interpolate_string("${A", env) == ("${A", ["unclosed variable reference '${A' (missing '}')"])


def test_values_are_not_reinterpolated_from_variable_contents() -> None:
    data = load("a: ${A}\n")
    interpolate_env(data, {"A": "${B}"})
    assert data["a"] == "${B}"


def test_plain_dicts_and_lists_are_interpolated_too() -> None:
    data = {"a": ["${X}"], "b": {"c": "${Y}"}}
    errors = interpolate_env(data, {"X": "1"})
    assert data == {"a": ["1"], "b": {"c": "${Y}"}}
    assert [str(e) for e in errors] == ["b.c: environment variable Y is not set"]
