from __future__ import annotations

import copy
import pickle

from pydantic import BaseModel, ConfigDict

from ghlops.errors import SourcePos
from ghlops.manifest.positions import PosDict, PosList, container_pos, locate, locate_key, render_path
from ghlops.manifest.yaml_io import load_text

DOC = """\
kind: Location
spec:
  customFields:
    - name: Favourite colour
      dataType: TEXT
    - {name: Budget, dataType: NUMERICAL}
  empty:
"""


def load(text: str, file: str = "m.yaml") -> PosDict:
    docs, errors = load_text(text, file)
    assert errors == []
    assert isinstance(docs[0].data, PosDict)
    return docs[0].data


def test_loaded_mappings_record_where_each_key_and_value_starts() -> None:
    data = load(DOC)
    spec = data["spec"]
    assert data.pos == SourcePos("m.yaml", 1, 1)
    assert data.key_pos("kind") == SourcePos("m.yaml", 1, 1)
    assert data.value_pos("kind") == SourcePos("m.yaml", 1, 7)
    assert spec.pos == SourcePos("m.yaml", 3, 3)
    fields = spec["customFields"]
    assert isinstance(fields, PosList)
    assert fields.item_pos(0) == SourcePos("m.yaml", 4, 7)
    assert fields.item_pos(1) == SourcePos("m.yaml", 6, 7)
    assert fields[1].value_pos("dataType") == SourcePos("m.yaml", 6, 32)


def test_scalars_are_plain_python_values_and_containers_compare_like_dicts_and_lists() -> None:
    data = load(DOC)
    assert data == {
        "kind": "Location",
        "spec": {
            "customFields": [
                {"name": "Favourite colour", "dataType": "TEXT"},
                {"name": "Budget", "dataType": "NUMERICAL"},
            ],
            "empty": None,
        },
    }
    assert type(data["kind"]) is str


def test_locate_follows_keys_and_indexes_to_the_value() -> None:
    data = load(DOC)
    assert locate(data, ("spec", "customFields", 0, "dataType")) == SourcePos("m.yaml", 5, 17)
    assert locate(data, ("spec", "customFields", 1)) == SourcePos("m.yaml", 6, 7)
    assert locate(data, ()) == SourcePos("m.yaml", 1, 1)


def test_an_empty_value_is_located_at_its_key() -> None:
    data = load(DOC)
    assert locate(data, ("spec", "empty")) == SourcePos("m.yaml", 7, 3)


def test_locate_of_a_missing_key_points_at_the_mapping_that_should_contain_it() -> None:
    data = load(DOC)
    assert locate(data, ("spec", "customFields", 0, "placeholder")) == SourcePos("m.yaml", 4, 7)
    assert locate(data, ("spec", "customFields", 7, "name")) == SourcePos("m.yaml", 4, 5)
    assert locate(data, ("spec", "empty", "deeper")) == SourcePos("m.yaml", 7, 3)


def test_locate_key_points_at_the_key_rather_than_its_value() -> None:
    data = load(DOC)
    assert locate_key(data, ("spec", "customFields", 1, "dataType")) == SourcePos("m.yaml", 6, 22)
    assert locate_key(data, ("spec", "customFields", 0, "nope")) == SourcePos("m.yaml", 4, 7)
    assert locate_key(data, ("spec", "customFields", 1)) == SourcePos("m.yaml", 6, 7)


def test_plain_containers_without_positions_locate_to_none() -> None:
    assert locate({"a": [1]}, ("a", 0)) is None
    assert locate_key({"a": 1}, ("a",)) is None
    assert container_pos({"a": 1}) is None


def test_render_path_joins_keys_with_dots_indexes_in_brackets_and_quotes_odd_keys() -> None:
    assert render_path(("spec", "customFields", 2, "dataType")) == "spec.customFields[2].dataType"
    assert render_path(("spec", "vars", "my key")) == 'spec.vars["my key"]'
    assert render_path(("spec", "vars", "a.b", "x-y")) == 'spec.vars["a.b"].x-y'
    assert render_path((0, "name")) == "[0].name"
    assert render_path(("2fa",)) == '["2fa"]'
    assert render_path(()) == ""


def test_entries_copied_from_a_template_keep_the_template_positions() -> None:
    template = load("defaults:\n  model: contact\n  placeholder: Type here\n", "templates/base.yaml")
    doc = load("spec:\n  name: Budget\n", "locations/downtown.yaml")
    defaults = template["defaults"]
    merged = doc["spec"].copy()
    for key in defaults:
        if key not in merged:
            merged.copy_entry(defaults, key)
    doc["spec"] = merged
    assert locate(doc, ("spec", "name")) == SourcePos("locations/downtown.yaml", 2, 9)
    assert locate(doc, ("spec", "placeholder")) == SourcePos("templates/base.yaml", 3, 16)
    assert locate_key(doc, ("spec", "model")) == SourcePos("templates/base.yaml", 2, 3)
    assert merged.pos == SourcePos("locations/downtown.yaml", 2, 3)


def test_set_with_pos_update_and_as_key_keep_explicit_positions() -> None:
    here = SourcePos("a.yaml", 3, 5)
    there = SourcePos("a.yaml", 3, 11)
    target = PosDict(pos=SourcePos("a.yaml", 1, 1))
    target.set_with_pos("name", "x", here, there)
    assert (target.key_pos("name"), target.value_pos("name")) == (here, there)
    other = PosDict()
    other.copy_entry(target, "name", as_key="label")
    assert other == {"label": "x"}
    assert other.value_pos("label") == there
    merged = PosDict({"extra": 1})
    merged.copy_entry(target, "name")
    assert merged.value_pos("name") == there
    assert merged.value_pos("extra") is None
    merged["name"] = "replaced"
    assert merged.value_pos("name") == there


def test_removing_an_entry_forgets_its_position() -> None:
    data = load("a: 1\nb: 2\nc: 3\n")
    del data["a"]
    data.pop("b")
    assert data.key_pos("a") is None and data.value_pos("b") is None
    data["a"] = 9
    assert data.value_pos("a") is None
    assert data.value_pos("c") == SourcePos("m.yaml", 3, 4)


def test_list_items_keep_positions_when_assigned_and_untracked_additions_have_none() -> None:
    items = load("l: [a, b, c, d]\n")["l"]
    pos = [items.item_pos(i) for i in range(4)]
    items[2] = "r"
    assert items.item_pos(2) == pos[2]
    items.append("plain")  # not tracked: the new item's position is unknown, the others stay aligned
    assert items.item_pos(4) is None and items.item_pos(3) == pos[3]
    more = load("l: [x]\n", "other.yaml")["l"]
    items.append_with_pos(more[0], more.item_pos(0))
    assert items.item_pos(5) == SourcePos("other.yaml", 1, 5)
    assert items.item_pos(-1) == SourcePos("other.yaml", 1, 5)
    assert items.item_pos(99) is None


def test_copies_deep_copies_and_pickles_keep_positions() -> None:
    data = load(DOC)
    for clone in (copy.deepcopy(data), pickle.loads(pickle.dumps(data)), data.copy(), copy.copy(data)):
        assert clone == data
        assert isinstance(clone, PosDict)
        assert clone.pos == data.pos
        assert locate(clone, ("spec", "customFields", 1, "dataType")) == SourcePos("m.yaml", 6, 32)
    deep = copy.deepcopy(data)
    assert deep["spec"] is not data["spec"]
    fields = deep["spec"]["customFields"]
    assert isinstance(fields, PosList) and fields.pos == SourcePos("m.yaml", 4, 5)
    assert pickle.loads(pickle.dumps(fields)).item_pos(1) == SourcePos("m.yaml", 6, 7)


class Field(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    dataType: str


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customFields: list[Field]
    empty: None = None


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    spec: Spec


class StrictDoc(Doc):
    model_config = ConfigDict(extra="forbid", strict=True)


def test_posdict_and_poslist_validate_as_pydantic_models_and_lists() -> None:
    data = load(DOC)
    for model in (Doc, StrictDoc):
        doc = model.model_validate(data)
        assert doc.spec.customFields[1] == Field(name="Budget", dataType="NUMERICAL")
