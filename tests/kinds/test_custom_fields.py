"""kinds/custom_fields.py: fields keyed by model and name, options only on option types, GHL's read-side names,
dataType never sent on update (GHL can't change it), and the export leaving out what GHL assigned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds import CUSTOM_FIELDS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.custom_fields import CustomField
from ghlops.request import Request


def field(**data: object) -> CustomField:
    return CustomField.model_validate({"name": "Size", "dataType": "TEXT", **data})


def test_option_fields_need_options_and_other_fields_refuse_them() -> None:
    with pytest.raises(ValidationError, match="needs a non-empty 'options' list"):
        CustomField.model_validate({"name": "x", "dataType": "RADIO"})
    with pytest.raises(ValidationError, match="'options' only applies to"):
        CustomField.model_validate({"name": "x", "dataType": "TEXT", "options": ["a"]})


def test_fields_are_keyed_by_model_and_name_without_letter_case() -> None:
    assert (CUSTOM_FIELDS.key(field(name="Size")), CUSTOM_FIELDS.display(field(name="Size"))) == (
        "contact/size",
        "contact/Size",
    )
    assert CUSTOM_FIELDS.key(field(model="opportunity")) == "opportunity/size"
    assert CUSTOM_FIELDS.key_for_name(field(), "Old Size") == "contact/old size"


def test_live_custom_fields_read_picklist_options_as_options() -> None:
    raw = {
        "id": "f1",
        "name": "Size",
        "dataType": "SINGLE_OPTIONS",
        "model": "opportunity",
        "picklistOptions": ["a", "b"],
        "fieldKey": "opportunity.size",
        "position": 0,
    }
    live = CUSTOM_FIELDS.live(raw, Resolver())
    assert (live.id, live.obj.options, CUSTOM_FIELDS.key(live.obj)) == ("f1", ["a", "b"], "opportunity/size")


def test_an_empty_option_list_on_a_plain_field_is_no_option_list() -> None:
    live = CUSTOM_FIELDS.live({"id": "f1", "name": "Notes", "dataType": "TEXT", "picklistOptions": []}, Resolver())
    assert live.obj.options is None and live.obj.model == "contact"


def test_the_list_asks_for_every_model() -> None:
    # Without model=all GHL lists contact fields only: opportunity fields would look missing.
    assert CUSTOM_FIELDS.list_request("L1") == Request(
        "GET", ("/locations/", "L1", "/customFields"), params=(("model", "all"),)
    )


def test_a_create_sends_name_type_and_model_first_and_an_update_never_sends_the_type() -> None:
    desired = field(dataType="SINGLE_OPTIONS", options=["s", "m"], placeholder="pick")
    create = CUSTOM_FIELDS.create_request("L1", desired, Resolver())
    assert create.body == {
        "name": "Size", "dataType": "SINGLE_OPTIONS", "model": "contact", "placeholder": "pick", "options": ["s", "m"],
    }  # fmt: skip
    assert list(create.body)[:3] == ["name", "dataType", "model"]
    live = LiveObject("f1", field(dataType="SINGLE_OPTIONS", options=["s"]), {"id": "f1"})
    update = CUSTOM_FIELDS.update_request("L1", live, desired, ["dataType", "options"], Resolver())
    assert update == Request(
        "PUT", ("/locations/", "L1", "/customFields/", "f1"), body={"name": "Size", "options": ["s", "m"]}
    )


def test_the_export_leaves_out_positions_ghl_assigned_and_empty_placeholders() -> None:
    live = LiveObject("f1", field(), {"id": "f1"})
    data = {"name": "Size", "dataType": "TEXT", "position": 150, "placeholder": ""}
    assert CUSTOM_FIELDS.export_entry(data, live, []) == {"name": "Size", "dataType": "TEXT"}
    assert CUSTOM_FIELDS.export_entry({"name": "Size", "dataType": "TEXT", "position": 7}, live, [])["position"] == 7


def test_fields_in_folders_get_one_export_note() -> None:
    objects = [LiveObject(f"f{i}", field(), {"id": f"f{i}", "parentId": "folder" if i else None}) for i in range(3)]
    assert CUSTOM_FIELDS.export_notes(objects) == [
        "2 custom field(s) sit in folders: GHL offers no API for folders, so ghlops leaves every field in the "
        "folder it is in (folders are not exported)"
    ]
    assert CUSTOM_FIELDS.export_notes(objects[:1]) == []
