"""The sandbox's contacts: seeded from fixtures, searched as GHL's POST /contacts/search answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ghlops.errors import GhlopsError
from ghlops.sandbox import Sandbox
from ghlops.sandbox.contacts import seed_contacts
from ghlops.sandbox.store import Kind
from tests.sandbox.conftest import LOC, OTHER_LOC, client


def write_fixture(tmp_path: Path, data: Any, name: str = "clinic.contacts.json") -> Path:
    (tmp_path / name).write_text(json.dumps(data))
    return tmp_path


@pytest.fixture
def field_ids(api: httpx.Client, sb: Sandbox, tmp_path: Path) -> dict[str, str]:
    made = {}
    for body in (
        {"name": "Insurer", "dataType": "TEXT"},
        {"name": "Size", "dataType": "SINGLE_OPTIONS", "options": ["S", "L"]},
    ):
        answer = api.post(f"/locations/{LOC}/customFields", json=body)
        assert answer.status_code in (200, 201), answer.text
        made[body["name"]] = answer.json()["customField"]["id"]
    contacts = [
        {
            "firstName": "Ann",
            "email": "ann@example.com",
            "tags": ["VIP"],
            "customFields": {"insurer": "Delta", "Size": "L"},
        },
        {"firstName": "Bo", "email": "bo@example.com", "customFields": {"Insurer": "Cigna"}, "copies": 4},
        {"firstName": "Cy", "tags": ["vip", "new"]},
    ]
    added = seed_contacts(
        sb.store, [write_fixture(tmp_path, {"kind": "SandboxContacts", "locationId": LOC, "contacts": contacts})]
    )
    assert added == 6
    return made


def search(api: httpx.Client, *filters: dict[str, Any], location: str = LOC, **extra: Any) -> httpx.Response:
    return api.post(
        "/contacts/search", json={"locationId": location, "pageLimit": 1, "filters": list(filters), **extra}
    )


def total(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"contacts", "total"}
    return int(body["total"])


def test_filters_count_contacts_by_custom_field_id_and_by_tag(api: httpx.Client, field_ids: dict[str, str]) -> None:
    insurer, size = (f"customFields.{field_ids[n]}" for n in ("Insurer", "Size"))
    assert total(search(api, {"field": insurer, "operator": "exists"})) == 5
    assert total(search(api, {"field": insurer, "operator": "not_exists"})) == 1
    assert total(search(api, {"field": insurer, "operator": "eq", "value": "Cigna"})) == 4
    assert total(search(api, {"field": insurer, "operator": "not_eq", "value": "Cigna"})) == 2
    assert total(search(api, {"field": insurer, "operator": "contains", "value": "elt"})) == 1
    assert total(search(api, {"field": size, "operator": "eq", "value": "L"})) == 1
    # GHL stores tags lower-cased; the fixture's "VIP" is "vip".
    assert total(search(api, {"field": "tags", "operator": "eq", "value": "vip"})) == 2
    both = search(api, {"field": "tags", "operator": "eq", "value": "vip"}, {"field": insurer, "operator": "exists"})
    assert total(both) == 1
    either = {
        "group": "OR",
        "filters": [{"field": "tags", "operator": "eq", "value": "new"}, {"field": size, "operator": "exists"}],
    }
    assert total(search(api, either)) == 2
    # A field addressed by name matches nothing, as in GHL (GoHighLevel/highlevel-api-docs#42).
    assert total(search(api, {"field": "customFields.Insurer", "operator": "exists"})) == 0
    assert total(search(api, location=OTHER_LOC)) == 0


def test_pages_hold_page_limit_contacts_and_total_counts_them_all(api: httpx.Client, field_ids: dict[str, str]) -> None:
    body = search(api, pageLimit=4, page=2).json()
    assert body["total"] == 6 and len(body["contacts"]) == 2
    contact = search(api, {"field": "email", "operator": "eq", "value": "ann@example.com"}).json()["contacts"][0]
    assert contact["tags"] == ["vip"] and contact["locationId"] == LOC
    assert {f["id"] for f in contact["customFields"]} == set(field_ids.values())


def test_bodies_ghl_refuses_are_refused_the_same_way(api: httpx.Client, field_ids: dict[str, str]) -> None:
    # locationId and pageLimit are required: 422 (GoHighLevel/highlevel-api-docs#31).
    missing = api.post("/contacts/search", json={"pageLimit": 1})
    assert missing.status_code == 422
    assert "locationId should not be empty" in missing.json()["message"]
    assert api.post("/contacts/search", json={"locationId": LOC}).status_code == 422
    assert search(api, pageLimit=501).status_code == 422
    # An unknown field is GHL's 400 "Invalid field" (GoHighLevel/highlevel-api-docs#289, #279).
    unknown = search(api, {"field": "additional_phones", "operator": "eq", "value": "1"})
    assert (unknown.status_code, unknown.json()["message"]) == (400, "Invalid field additional_phones")
    bad_operator = search(api, {"field": "tags", "operator": "equals", "value": "vip"})
    assert bad_operator.status_code == 422
    assert search(api, {"field": "tags", "operator": "eq"}).status_code == 422


def test_a_location_token_cannot_search_another_location(sb: Sandbox, field_ids: dict[str, str]) -> None:
    sb.store.set_location_token(OTHER_LOC, "uptown-only-token")
    with client(sb.url, "uptown-only-token") as uptown:
        assert search(uptown, location=LOC).status_code == 403
        assert total(search(uptown, location=OTHER_LOC)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "Contacts", "locationId": LOC, "contacts": []}, "kind must be 'SandboxContacts'"),
        (
            {"kind": "SandboxContacts", "locationId": "nowhere", "contacts": []},
            "locationId 'nowhere' is not a location",
        ),
        (
            {"kind": "SandboxContacts", "locationId": LOC, "contacts": [{"customFields": {"Nope": 1}}]},
            "contacts[0].customFields: no contact custom field 'Nope' in the location",
        ),
        (
            {"kind": "SandboxContacts", "locationId": LOC, "contacts": [{"nmae": "x"}]},
            "contacts[0]: unknown key 'nmae'",
        ),
        (
            {"kind": "SandboxContacts", "locationId": LOC, "contacts": [{"firstName": "ok"}, {"copies": 0}]},
            "contacts[1].copies must be",
        ),
    ],
)
def test_a_bad_fixture_is_one_error_naming_the_file_and_adds_nothing(
    sb: Sandbox, tmp_path: Path, data: Any, message: str
) -> None:
    with pytest.raises(GhlopsError) as raised:
        seed_contacts(sb.store, [write_fixture(tmp_path, data)])
    assert str(raised.value).startswith(f"cannot seed the sandbox: {tmp_path / 'clinic.contacts.json'}: ")
    assert message in str(raised.value)
    assert sb.store.find(Kind.CONTACT) == []
