"""Tags, custom fields and custom values under /locations/{locationId}."""

from __future__ import annotations

import re

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes.locations import default_folder
from tests.sandbox.conftest import LOC, OTHER_LOC

ID = re.compile(r"^[A-Za-z0-9]{20}$")
DELETED = {"succeded": True}


# -- tags ----------------------------------------------------------------------------------------------------


def test_tags_round_trip_create_list_rename_delete(sb: Sandbox, api: httpx.Client) -> None:
    created = api.post(f"/locations/{LOC}/tags", json={"name": "new-patient"})
    assert created.status_code == 201
    tag = created.json()["tag"]
    assert ID.match(tag["id"])
    assert tag == {"id": tag["id"], "name": "new-patient", "locationId": LOC}
    assert api.get(f"/locations/{LOC}/tags").json() == {"tags": [tag]}
    assert api.get(f"/locations/{LOC}/tags/{tag['id']}").json() == {"tag": tag}

    renamed = api.put(f"/locations/{LOC}/tags/{tag['id']}", json={"name": "returning-patient"})
    assert renamed.status_code == 200
    assert renamed.json() == {"tag": {**tag, "name": "returning-patient"}}

    deleted = api.delete(f"/locations/{LOC}/tags/{tag['id']}")
    assert (deleted.status_code, deleted.json()) == (200, DELETED)
    assert api.get(f"/locations/{LOC}/tags").json() == {"tags": []}
    assert sb.store.snapshot(LOC)["tags"] == []


def test_tags_are_stored_lower_cased_and_unique_case_insensitively(api: httpx.Client) -> None:
    tag = api.post(f"/locations/{LOC}/tags", json={"name": "VIP Client"}).json()["tag"]
    assert tag["name"] == "vip client"
    duplicate = api.post(f"/locations/{LOC}/tags", json={"name": "vip CLIENT"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"statusCode": 400, "message": "Tag with this name already exists"}
    other = api.post(f"/locations/{LOC}/tags", json={"name": "Other"}).json()["tag"]
    assert api.put(f"/locations/{LOC}/tags/{other['id']}", json={"name": "VIP client"}).status_code == 400


def test_tags_keep_surrounding_whitespace_as_sent(api: httpx.Client) -> None:
    # GHL lower-cases tags but does not trim them (issue 9), so " VIP " and "vip" are two tags.
    padded = api.post(f"/locations/{LOC}/tags", json={"name": " VIP "}).json()["tag"]
    plain = api.post(f"/locations/{LOC}/tags", json={"name": "vip"}).json()["tag"]
    assert [padded["name"], plain["name"]] == [" vip ", "vip"]
    assert [t["name"] for t in api.get(f"/locations/{LOC}/tags").json()["tags"]] == [" vip ", "vip"]
    assert api.post(f"/locations/{LOC}/tags", json={"name": " Vip "}).status_code == 400


def test_tags_are_scoped_to_their_location(api: httpx.Client) -> None:
    tag = api.post(f"/locations/{LOC}/tags", json={"name": "shared"}).json()["tag"]
    assert api.post(f"/locations/{OTHER_LOC}/tags", json={"name": "shared"}).status_code == 201
    assert api.get(f"/locations/{OTHER_LOC}/tags/{tag['id']}").status_code == 404
    assert api.delete(f"/locations/{OTHER_LOC}/tags/{tag['id']}").status_code == 404


def test_an_unknown_tag_answers_404_in_the_status_shape(api: httpx.Client) -> None:
    response = api.put(f"/locations/{LOC}/tags/doesNotExist00000000", json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Tag not found"}


# -- custom fields -------------------------------------------------------------------------------------------


def test_custom_field_create_fills_server_side_properties(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/customFields", json={"name": "Pin Code", "dataType": "TEXT"})
    assert response.status_code == 201
    field = response.json()["customField"]
    assert ID.match(field["id"])
    # The shape of recorded GET /locations/{id}/customFields items (issue 9): no picklistOptions on a TEXT field.
    assert field == {
        "id": field["id"],
        "name": "Pin Code",
        "model": "contact",
        "fieldKey": "contact.pin_code",
        "placeholder": "",
        "dataType": "TEXT",
        "position": 50,
        "documentType": "field",
        "parentId": default_folder(LOC, "contact"),
        "locationId": LOC,
        "dateAdded": field["dateAdded"],
        "standard": False,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", field["dateAdded"])
    assert ID.match(field["parentId"])


def test_custom_field_create_takes_the_undocumented_folder_key_and_description(api: httpx.Client) -> None:
    # Maintainer-confirmed in GoHighLevel/highlevel-api-docs #300: parentId, fieldKey and description work.
    body = {"name": "Test Field", "dataType": "TEXT", "parentId": "OBtitTvkSkS5SOneXRzL", "fieldKey": "test_key"}
    response = api.post(f"/locations/{LOC}/customFields", json={**body, "description": "Just a test."})
    assert response.status_code == 201, response.text
    field = response.json()["customField"]
    assert (field["parentId"], field["fieldKey"], field["description"]) == (
        "OBtitTvkSkS5SOneXRzL",
        "contact.test_key",  # a bare key gets the model's prefix
        "Just a test.",
    )
    prefixed = {"name": "Deal Size", "dataType": "TEXT", "model": "opportunity", "fieldKey": "opportunity.size"}
    assert api.post(f"/locations/{LOC}/customFields", json=prefixed).json()["customField"]["fieldKey"] == (
        "opportunity.size"
    )
    same_key = {"name": "Other", "dataType": "TEXT", "fieldKey": "test_key"}
    taken = api.post(f"/locations/{LOC}/customFields", json=same_key)
    assert taken.status_code == 400
    assert taken.json()["message"] == "Custom field with this key already exists"


def test_custom_field_update_keeps_the_folder_and_changes_the_description(api: httpx.Client) -> None:
    body = {"name": "Notes", "dataType": "TEXT", "parentId": "folder00000000000001", "description": "old"}
    field = api.post(f"/locations/{LOC}/customFields", json=body).json()["customField"]
    updated = api.put(f"/locations/{LOC}/customFields/{field['id']}", json={"name": "Notes", "description": "new"})
    assert updated.json()["customField"] == {**field, "description": "new"}
    # The folder is not the client's to move with an update (no public folder API, highlevel-api-docs #171).
    moved = api.put(f"/locations/{LOC}/customFields/{field['id']}", json={"name": "Notes", "parentId": "elsewhere"})
    assert moved.status_code == 422
    assert moved.json()["message"] == ["property parentId should not exist"]


def test_picklist_options_are_read_only(api: httpx.Client) -> None:
    body = {"name": "Day", "dataType": "SINGLE_OPTIONS", "picklistOptions": ["Mon"]}
    response = api.post(f"/locations/{LOC}/customFields", json=body)
    assert response.status_code == 422
    assert response.json()["message"] == ["property picklistOptions should not exist"]


def test_custom_field_positions_are_assigned_in_steps_of_50(api: httpx.Client) -> None:
    def create(name: str, **extra: object) -> dict[str, object]:
        body = {"name": name, "dataType": "TEXT", **extra}
        field: dict[str, object] = api.post(f"/locations/{LOC}/customFields", json=body).json()["customField"]
        return field

    assert [create("A")["position"], create("B")["position"]] == [50, 100]
    assert create("C", position=375)["position"] == 375  # a position sent is kept
    assert create("D")["position"] == 400
    assert create("E", model="opportunity")["position"] == 50  # each model counts on its own


def test_url_fields_exist(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/customFields", json={"name": "Website", "dataType": "URL"})
    assert response.status_code == 201
    assert "picklistOptions" not in response.json()["customField"]


def test_custom_field_options_are_read_back_as_picklist_options(api: httpx.Client) -> None:
    body = {"name": "Preferred Day", "dataType": "SINGLE_OPTIONS", "options": ["Mon", "Tue"], "placeholder": "Pick"}
    field = api.post(f"/locations/{LOC}/customFields", json=body).json()["customField"]
    assert field["picklistOptions"] == ["Mon", "Tue"]
    assert field["placeholder"] == "Pick"
    assert "options" not in field
    listed = api.get(f"/locations/{LOC}/customFields").json()["customFields"]
    assert listed == [field]


@pytest.mark.parametrize("data_type", ["SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "RADIO", "CHECKBOX"])
def test_option_fields_need_options(api: httpx.Client, data_type: str) -> None:
    for body in ({"name": "Choice", "dataType": data_type}, {"name": "Choice", "dataType": data_type, "options": []}):
        response = api.post(f"/locations/{LOC}/customFields", json=body)
        assert response.status_code == 422
        assert response.json()["message"] == ["options must contain at least 1 elements"]


def test_listing_custom_fields_without_model_shows_contact_fields_only(api: httpx.Client) -> None:
    contact = api.post(f"/locations/{LOC}/customFields", json={"name": "Age", "dataType": "NUMERICAL"}).json()
    deal = api.post(
        f"/locations/{LOC}/customFields", json={"name": "Budget", "dataType": "MONETORY", "model": "opportunity"}
    ).json()
    assert deal["customField"]["fieldKey"] == "opportunity.budget"

    def names(params: dict[str, str]) -> list[str]:
        response = api.get(f"/locations/{LOC}/customFields", params=params)
        assert response.status_code == 200
        return [f["name"] for f in response.json()["customFields"]]

    assert names({}) == [contact["customField"]["name"]]
    assert names({"model": "contact"}) == ["Age"]
    assert names({"model": "opportunity"}) == ["Budget"]
    assert names({"model": "all"}) == ["Age", "Budget"]
    bad = api.get(f"/locations/{LOC}/customFields", params={"model": "deal"})
    assert bad.status_code == 422
    assert bad.json()["message"] == ["model must be one of the following values: contact, opportunity, all"]


def test_custom_field_names_are_unique_per_model_case_insensitively(api: httpx.Client) -> None:
    assert api.post(f"/locations/{LOC}/customFields", json={"name": "Source", "dataType": "TEXT"}).status_code == 201
    duplicate = api.post(f"/locations/{LOC}/customFields", json={"name": "SOURCE", "dataType": "TEXT"})
    assert duplicate.status_code == 400
    assert duplicate.json()["message"] == "Custom field with this name already exists"
    same_name_other_model = {"name": "Source", "dataType": "TEXT", "model": "opportunity"}
    assert api.post(f"/locations/{LOC}/customFields", json=same_name_other_model).status_code == 201


def test_custom_field_keys_stay_unique_when_names_reduce_to_the_same_key(api: httpx.Client) -> None:
    first = api.post(f"/locations/{LOC}/customFields", json={"name": "Pin code", "dataType": "TEXT"}).json()
    second = api.post(f"/locations/{LOC}/customFields", json={"name": "pin-code", "dataType": "TEXT"}).json()
    assert first["customField"]["fieldKey"] == "contact.pin_code"
    assert second["customField"]["fieldKey"] == "contact.pin_code_1"


def test_custom_field_update_is_partial_and_keeps_the_key(api: httpx.Client) -> None:
    body = {"name": "Visit Reason", "dataType": "RADIO", "options": ["Checkup", "Pain"], "placeholder": "Why?"}
    field = api.post(f"/locations/{LOC}/customFields", json=body).json()["customField"]
    response = api.put(f"/locations/{LOC}/customFields/{field['id']}", json={"name": "Reason", "position": 3})
    assert response.status_code == 200
    updated = response.json()["customField"]
    assert updated == {**field, "name": "Reason", "position": 3}

    options = api.put(f"/locations/{LOC}/customFields/{field['id']}", json={"name": "Reason", "options": ["Other"]})
    assert options.json()["customField"]["picklistOptions"] == ["Other"]
    assert api.get(f"/locations/{LOC}/customFields/{field['id']}").json()["customField"]["picklistOptions"] == ["Other"]


def test_a_custom_field_type_cannot_be_changed(api: httpx.Client) -> None:
    field = api.post(f"/locations/{LOC}/customFields", json={"name": "Notes", "dataType": "TEXT"}).json()
    response = api.put(
        f"/locations/{LOC}/customFields/{field['customField']['id']}", json={"name": "Notes", "dataType": "LARGE_TEXT"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": ["property dataType should not exist"],
        "error": "Unprocessable Entity",
    }


def test_custom_field_update_requires_a_name(api: httpx.Client) -> None:
    field = api.post(f"/locations/{LOC}/customFields", json={"name": "Notes", "dataType": "TEXT"}).json()
    response = api.put(f"/locations/{LOC}/customFields/{field['customField']['id']}", json={"position": 2})
    assert response.status_code == 422
    assert "name should not be empty" in response.json()["message"]


def test_a_custom_field_can_be_read_by_its_key(api: httpx.Client) -> None:
    field = api.post(f"/locations/{LOC}/customFields", json={"name": "Insurer", "dataType": "TEXT"}).json()
    assert api.get(f"/locations/{LOC}/customFields/contact.insurer").json() == field


def test_custom_field_delete_answers_ghls_spelling_and_unknown_ids_are_404(api: httpx.Client) -> None:
    field = api.post(f"/locations/{LOC}/customFields", json={"name": "Temp", "dataType": "DATE"}).json()
    response = api.delete(f"/locations/{LOC}/customFields/{field['customField']['id']}")
    assert response.json() == DELETED
    again = api.delete(f"/locations/{LOC}/customFields/{field['customField']['id']}")
    assert again.status_code == 404
    assert again.json() == {"statusCode": 404, "message": "Custom field not found", "error": "Not Found"}


def test_custom_field_data_types_are_an_enum(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/customFields", json={"name": "X", "dataType": "STRING"})
    assert response.status_code == 422
    assert response.json()["message"][0].startswith("dataType must be one of the following values: TEXT, LARGE_TEXT")


# -- custom values -------------------------------------------------------------------------------------------


def test_custom_values_round_trip_with_their_template_key(api: httpx.Client) -> None:
    created = api.post(f"/locations/{LOC}/customValues", json={"name": "Office Phone", "value": "555-0100"})
    assert created.status_code == 201
    value = created.json()["customValue"]
    assert ID.match(value["id"])
    assert value == {
        "id": value["id"],
        "name": "Office Phone",
        "fieldKey": "{{ custom_values.office_phone }}",
        "value": "555-0100",
        "locationId": LOC,
    }
    assert api.get(f"/locations/{LOC}/customValues").json() == {"customValues": [value]}
    assert api.get(f"/locations/{LOC}/customValues/{value['id']}").json() == {"customValue": value}

    updated = api.put(
        f"/locations/{LOC}/customValues/{value['id']}", json={"name": "Office Phone", "value": "555-0199"}
    )
    assert updated.json() == {"customValue": {**value, "value": "555-0199"}}
    # An empty value comes back with no value key at all (issue 9).
    emptied = api.put(f"/locations/{LOC}/customValues/{value['id']}", json={"name": "Office Phone", "value": ""})
    assert emptied.json() == {"customValue": {k: v for k, v in value.items() if k != "value"}}
    assert api.delete(f"/locations/{LOC}/customValues/{value['id']}").json() == DELETED
    missing = api.get(f"/locations/{LOC}/customValues/{value['id']}")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "message": "Custom value not found"}


def test_an_empty_custom_value_is_answered_without_a_value_key(api: httpx.Client) -> None:
    created = api.post(f"/locations/{LOC}/customValues", json={"name": "Fax", "value": ""}).json()["customValue"]
    assert created == {"id": created["id"], "name": "Fax", "fieldKey": "{{ custom_values.fax }}", "locationId": LOC}
    assert api.get(f"/locations/{LOC}/customValues").json() == {"customValues": [created]}


def test_custom_value_update_needs_both_name_and_value(api: httpx.Client) -> None:
    value = api.post(f"/locations/{LOC}/customValues", json={"name": "Hours", "value": "9-5"}).json()["customValue"]
    response = api.put(f"/locations/{LOC}/customValues/{value['id']}", json={"value": "8-4"})
    assert response.status_code == 422
    assert response.json()["message"] == ["name should not be empty"]


def test_custom_value_names_are_unique_case_insensitively(api: httpx.Client) -> None:
    assert api.post(f"/locations/{LOC}/customValues", json={"name": "Brand", "value": "a"}).status_code == 201
    duplicate = api.post(f"/locations/{LOC}/customValues", json={"name": "brand", "value": "b"})
    assert duplicate.status_code == 400
    assert duplicate.json()["message"] == "Custom value with this name already exists"


def test_a_custom_value_must_be_a_string(api: httpx.Client) -> None:
    response = api.post(f"/locations/{LOC}/customValues", json={"name": "Count", "value": 3})
    assert response.status_code == 422
    assert response.json()["message"] == ["value must be a string"]
