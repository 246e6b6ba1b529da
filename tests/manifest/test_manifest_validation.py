from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ghlops.manifest.interpolate import interpolate_env
from ghlops.manifest.positions import PosDict
from ghlops.manifest.validation import validate
from ghlops.manifest.values import describe_value
from ghlops.manifest.yaml_io import load_file, load_text

WriteFile = Callable[[str, "str | bytes"], Path]


class DataType(StrEnum):
    TEXT = "TEXT"
    LARGE_TEXT = "LARGE_TEXT"
    NUMERICAL = "NUMERICAL"
    PHONE = "PHONE"
    CHECKBOX = "CHECKBOX"
    SINGLE_OPTIONS = "SINGLE_OPTIONS"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomField(Strict):
    name: str = Field(min_length=1)
    dataType: DataType
    placeholder: str | None = None
    position: int | None = None
    options: list[str] | None = None

    @model_validator(mode="after")
    def _options_fit_type(self) -> CustomField:
        if self.options and self.dataType not in (DataType.SINGLE_OPTIONS, DataType.CHECKBOX):
            raise ValueError("'options' only applies to SINGLE_OPTIONS and CHECKBOX fields")
        return self


class CustomValue(Strict):
    name: str
    value: str


class Settings(Strict):
    allowDuplicates: bool = False
    ratio: float = 1.0
    labels: dict[str, str] = {}


class Metadata(Strict):
    name: str


class Spec(Strict):
    locationId: str
    customFields: list[CustomField] = []
    customValues: list[CustomValue] = []
    settings: Settings | None = None


class Location(Strict):
    apiVersion: Literal["ghlops/v1"]
    kind: Literal["Location"]
    metadata: Metadata
    spec: Spec


DOWNTOWN = """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown
spec:
  locationId: ${LOCATION_ID}
  customFields:
    - name: Favourite colour
      dataType: TEXT
    - name: Budget
      dataType: NUMERICAL
      plceholder: How much?
    - name: Notes
      dataType: TEXTT
  customValues:
    - name: api-key
      value: ${API_KEY}
"""

VALID = """\
apiVersion: ghlops/v1
kind: Location
metadata: {name: downtown}
spec:
  locationId: abc
"""


def check(text: str, model: type[BaseModel] = Location, file: str = "m.yaml") -> list[str]:
    docs, errors = load_text(text, file)
    assert errors == []
    instance, problems = validate(model, docs[0].data)
    assert (instance is None) == bool(problems)
    return [str(problem) for problem in problems]


def with_spec(spec: str) -> str:
    """A valid document whose spec mapping ends with ``spec`` (indented by the caller) from line 6 on."""
    return VALID + spec


def test_the_whole_pipeline_reports_file_line_column_path_and_a_helpful_message(write: WriteFile) -> None:
    path = write("manifests/downtown.yaml", DOWNTOWN)
    docs, errors = load_file(path)
    assert errors == []
    data = docs[0].data
    assert interpolate_env(data, {"LOCATION_ID": "loc1", "API_KEY": "k"}) == []
    model, problems = validate(Location, data)
    assert model is None
    assert [str(p) for p in problems] == [
        "manifests/downtown.yaml:12:7: spec.customFields[1]: unknown key 'plceholder' (did you mean 'placeholder'?)",
        "manifests/downtown.yaml:14:17: spec.customFields[2].dataType: 'TEXTT' is not one of TEXT, LARGE_TEXT, "
        "NUMERICAL, PHONE, CHECKBOX, SINGLE_OPTIONS (did you mean 'TEXT'?)",
    ]


def test_valid_data_gives_the_model_instance_and_no_errors() -> None:
    docs, _ = load_text(VALID, "m.yaml")
    model, problems = validate(Location, docs[0].data)
    assert problems == []
    assert model is not None
    assert model.metadata.name == "downtown"  # typed as Location, not BaseModel


def test_enum_error_lists_allowed_values_in_model_order_and_suggests_the_nearest() -> None:
    text = with_spec("  customFields:\n    - {name: A, dataType: large-text}\n    - {name: B, dataType: QQQ}\n")
    assert check(text) == [
        "m.yaml:7:27: spec.customFields[0].dataType: 'large-text' is not one of TEXT, LARGE_TEXT, NUMERICAL, "
        "PHONE, CHECKBOX, SINGLE_OPTIONS (did you mean 'LARGE_TEXT'?)",
        "m.yaml:8:27: spec.customFields[1].dataType: 'QQQ' is not one of TEXT, LARGE_TEXT, NUMERICAL, PHONE, "
        "CHECKBOX, SINGLE_OPTIONS",
    ]


def test_literal_error_lists_the_allowed_values() -> None:
    assert check(VALID.replace("kind: Location", "kind: Locaton")) == [
        "m.yaml:2:7: kind: 'Locaton' is not one of Location (did you mean 'Location'?)"
    ]


def test_unknown_key_points_at_the_key_and_suggests_the_nearest_field() -> None:
    assert check(with_spec("  settings:\n    ratio: 2\n    allowDuplicate: true\n")) == [
        "m.yaml:8:5: spec.settings: unknown key 'allowDuplicate' (did you mean 'allowDuplicates'?)"
    ]


def test_unknown_key_without_a_close_field_has_no_suggestion() -> None:
    assert check(VALID + "status: draft\n") == ["m.yaml:6:1: unknown key 'status'"]


def test_missing_key_points_at_the_mapping_that_should_contain_it() -> None:
    text = VALID.replace("metadata: {name: downtown}", "metadata: {title: downtown}")
    assert check(text) == [
        "m.yaml:3:11: metadata: missing required key 'name'",
        "m.yaml:3:12: metadata: unknown key 'title'",
    ]
    assert check("kind: Location\n") == [
        "m.yaml:1:1: missing required key 'apiVersion'",
        "m.yaml:1:1: missing required key 'metadata'",
        "m.yaml:1:1: missing required key 'spec'",
    ]


def test_wrong_types_say_what_was_expected_and_what_was_found() -> None:
    text = with_spec(
        "  customFields:\n"
        "    - name: [a, b]\n"
        "      dataType: TEXT\n"
        "      position: abc\n"
        "  settings:\n"
        "    allowDuplicates: yes please\n"
        "    ratio: lots\n"
        "    labels: just text\n"
        "  customValues: {name: x}\n"
    )
    assert check(text) == [
        "m.yaml:7:13: spec.customFields[0].name: expected a string, got a list",
        "m.yaml:9:17: spec.customFields[0].position: expected an integer, got 'abc'",
        "m.yaml:11:22: spec.settings.allowDuplicates: expected true or false, got 'yes please'",
        "m.yaml:12:12: spec.settings.ratio: expected a number, got 'lots'",
        "m.yaml:13:13: spec.settings.labels: expected a mapping, got a string",
        "m.yaml:14:17: spec.customValues: expected a list, got a mapping",
    ]


def test_a_number_where_text_is_expected_suggests_quoting_it() -> None:
    assert check(with_spec("  customValues:\n    - {name: zip, value: 02134}\n")) == [
        "m.yaml:7:26: spec.customValues[0].value: expected a string, got 2134 (put it in quotes to make it text)"
    ]


def test_a_document_of_the_wrong_shape_is_reported_at_its_root() -> None:
    docs, _ = load_text("spec: [1]\n", "m.yaml")
    assert [str(e) for e in validate(Spec, docs[0].data["spec"], root_path=("spec",))[1]] == [
        "m.yaml:1:7: spec: expected a mapping, got a list"
    ]


def test_errors_in_nested_list_items_name_the_item_index() -> None:
    text = with_spec(
        "  customFields:\n"
        "    - name: ok\n"
        "      dataType: TEXT\n"
        "    - name: ''\n"
        "      dataType: TEXT\n"
        "    - name: Colours\n"
        "      dataType: TEXT\n"
        "      options: [red, 3]\n"
    )
    assert check(text) == [
        "m.yaml:9:13: spec.customFields[1].name: String should have at least 1 character",
        "m.yaml:13:22: spec.customFields[2].options[1]: expected a string, got 3 (put it in quotes to make it text)",
    ]


def test_validator_messages_are_reported_without_pydantics_prefix() -> None:
    text = with_spec("  customFields:\n    - name: Colours\n      dataType: TEXT\n      options: [red]\n")
    assert check(text) == [
        "m.yaml:7:7: spec.customFields[0]: 'options' only applies to SINGLE_OPTIONS and CHECKBOX fields"
    ]


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = "apiVersion: ghlops/v2\nkind: Location\nmetadata: {}\nspec:\n  locationId: 5\n  extra: 1\n"
    assert check(text) == [
        "m.yaml:1:13: apiVersion: 'ghlops/v2' is not one of ghlops/v1 (did you mean 'ghlops/v1'?)",
        "m.yaml:3:11: metadata: missing required key 'name'",
        "m.yaml:5:15: spec.locationId: expected a string, got 5 (put it in quotes to make it text)",
        "m.yaml:6:3: spec: unknown key 'extra'",
    ]


def test_root_path_prefixes_the_paths_of_a_validated_subtree() -> None:
    docs, _ = load_text(with_spec("  customFields:\n    - {name: A, dataType: TXT}\n"), "m.yaml")
    spec = docs[0].data["spec"]
    model, problems = validate(Spec, spec, root_path=("spec",))
    assert model is None
    assert [str(p) for p in problems] == [
        "m.yaml:7:27: spec.customFields[0].dataType: 'TXT' is not one of TEXT, LARGE_TEXT, NUMERICAL, PHONE, "
        "CHECKBOX, SINGLE_OPTIONS (did you mean 'TEXT'?)"
    ]


def test_keys_that_are_not_identifiers_are_quoted_in_paths() -> None:
    text = with_spec("  settings:\n    labels:\n      my key: [x]\n      a.b: ok\n")
    assert check(text) == ['m.yaml:8:15: spec.settings.labels["my key"]: expected a string, got a list']


class Dog(Strict):
    kind: Literal["dog"]
    barks: bool


class Cat(Strict):
    kind: Literal["cat"]
    lives: int


def positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be positive")
    return value


class Household(Strict):
    pet: Annotated[Dog | Cat, Field(discriminator="kind")] | None = None
    other: Dog | Cat | None = None
    pets: list[Annotated[Dog | Cat, Field(discriminator="kind")]] | str = ""
    limit: Annotated[int, AfterValidator(positive)] | Literal["unlimited"] = 1
    tags: list[str] | str = ""


def test_discriminated_union_errors_drop_the_tag_from_the_path() -> None:
    assert check("pet:\n  kind: dog\n  barks: maybe\n  lives: 9\n", Household) == [
        "m.yaml:3:10: pet.barks: expected true or false, got 'maybe'",
        "m.yaml:4:3: pet: unknown key 'lives'",
    ]


def test_a_bad_discriminator_value_is_reported_at_the_discriminator_key() -> None:
    assert check("pet: {kind: dgo}\n", Household) == [
        "m.yaml:1:13: pet.kind: 'dgo' is not one of dog, cat (did you mean 'dog'?)"
    ]
    assert check("pet: {barks: true}\n", Household) == ["m.yaml:1:6: pet: missing required key 'kind'"]


def test_plain_union_errors_come_from_the_member_that_came_closest() -> None:
    assert check("other: {kind: cat, lives: many, barkz: 1}\n", Household) == [
        "m.yaml:1:27: other.lives: expected an integer, got 'many'",
        "m.yaml:1:33: other: unknown key 'barkz'",
    ]
    assert check("other: {kind: dog, barkz: true}\n", Household) == [
        "m.yaml:1:8: other: missing required key 'barks'",
        "m.yaml:1:20: other: unknown key 'barkz' (did you mean 'barks'?)",
    ]


def test_union_member_names_and_function_validators_never_appear_in_paths() -> None:
    text = "pets:\n  - {kind: dog, barks: maybe}\nlimit: -1\n"
    assert check(text, Household) == [
        "m.yaml:2:24: pets[0].barks: expected true or false, got 'maybe'",
        "m.yaml:3:8: limit: must be positive",
    ]


def test_type_errors_of_every_union_member_are_combined() -> None:
    assert check("tags: 3\nlimit: lots\n", Household) == [
        "m.yaml:1:7: tags: expected a list or a string, got 3",
        "m.yaml:2:8: limit: expected an integer or one of unlimited, got 'lots'",
    ]


def test_identical_problems_are_reported_once() -> None:
    assert check("other: just text\n", Household) == ["m.yaml:1:8: other: expected a mapping, got a string"]


class Aliased(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    data_type: str = Field(alias="dataType")


def test_suggestions_use_the_keys_a_model_accepts() -> None:
    assert check("dataTyp: TEXT\n", Aliased) == [
        "m.yaml:1:1: missing required key 'dataType'",
        "m.yaml:1:1: unknown key 'dataTyp' (did you mean 'dataType'?)",
    ]


def test_plain_dicts_without_positions_still_get_paths_and_messages() -> None:
    model, problems = validate(Metadata, {"name": 5})
    assert model is None
    assert [str(p) for p in problems] == ["name: expected a string, got 5 (put it in quotes to make it text)"]


def test_a_pos_dict_is_accepted_wherever_a_model_is_expected() -> None:
    data = PosDict({"name": "x"})
    assert validate(Metadata, data) == (Metadata(name="x"), [])


def test_describe_value_shows_scalars_as_yaml_and_containers_by_kind() -> None:
    assert [describe_value(v) for v in ("a", 3, 1.5, True, None, [1], {"a": 1})] == [
        "'a'",
        "3",
        "1.5",
        "true",
        "null",
        "a list",
        "a mapping",
    ]
    assert describe_value("x" * 100) == "'" + "x" * 57 + "...'"
