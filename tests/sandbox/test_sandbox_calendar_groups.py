"""Calendar groups: create, list, update, status, slug checks, delete (calendars stay, ungrouped), calendars'
groupId checked against the location's groups, and every refusal (ghlops/sandbox/routes/calendar_groups.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.sandbox import spec
from tests.sandbox.accepted import calendars_client, departures
from tests.sandbox.conftest import AGENCY_TOKEN, LOC, OTHER_LOC

ID = re.compile(r"^[A-Za-z0-9]{20}$")


@pytest.fixture(autouse=True)
def accepted_requests_conform(sb: Sandbox) -> Iterator[None]:
    yield
    if spec.available():
        assert departures(sb) == []


@pytest.fixture
def cal(sb: Sandbox) -> Iterator[httpx.Client]:
    """A location-token client sending the calendars API's Version."""
    with calendars_client(sb.url) as api_client:
        yield api_client


def create(cal: httpx.Client, **body: Any) -> httpx.Response:
    return cal.post("/calendars/groups", json={"locationId": LOC, "description": "", **body})


def made(cal: httpx.Client, **body: Any) -> dict[str, Any]:
    response = create(cal, **body)
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()["group"]
    return group


def groups(cal: httpx.Client, location_id: str = LOC) -> list[dict[str, Any]]:
    response = cal.get("/calendars/groups", params={"locationId": location_id})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"groups"}
    listed: list[dict[str, Any]] = response.json()["groups"]
    return listed


def test_a_created_group_answers_group_dto_and_is_active_unless_told(cal: httpx.Client) -> None:
    response = create(cal, name="Hygiene", description="Cleanings", slug="hygiene")
    assert response.status_code == 201
    group = response.json()["group"]
    assert ID.match(group["id"])
    assert group == {
        "id": group["id"],
        "locationId": LOC,
        "name": "Hygiene",
        "description": "Cleanings",
        "slug": "hygiene",
        "isActive": True,
    }
    assert made(cal, name="Paused", slug="paused", isActive=False)["isActive"] is False
    assert [g["name"] for g in groups(cal)] == ["Hygiene", "Paused"]
    assert groups(cal, OTHER_LOC) == []


def test_group_create_requires_what_group_create_dto_requires(cal: httpx.Client) -> None:
    response = cal.post("/calendars/groups", json={"locationId": LOC, "name": "Team"})
    assert response.status_code == 422
    assert response.json()["message"] == ["description should not be empty", "slug should not be empty"]
    response = create(cal, name="Team", slug="team", color="red")
    assert (response.status_code, response.json()["message"]) == (422, ["property color should not exist"])
    response = create(cal, name="  ", slug="team")
    assert (response.status_code, response.json()["message"]) == (422, ["name should not be empty"])
    assert groups(cal) == []


def test_listing_groups_needs_a_location_id(cal: httpx.Client) -> None:
    response = cal.get("/calendars/groups")
    assert response.status_code == 422
    assert "locationId should not be empty" in response.json()["message"]


def test_a_slug_is_unique_in_its_location_and_validate_slug_says_so(cal: httpx.Client) -> None:
    made(cal, name="Hygiene", slug="hygiene")
    check = cal.post("/calendars/groups/validate-slug", json={"locationId": LOC, "slug": "hygiene"})
    assert (check.status_code, check.json()) == (200, {"available": False})
    free = cal.post("/calendars/groups/validate-slug", json={"locationId": OTHER_LOC, "slug": "hygiene"})
    assert free.json() == {"available": True}
    taken = create(cal, name="Other", slug="hygiene")
    assert taken.status_code == 400
    assert taken.json()["message"] == "Group with slug 'hygiene' already exists in this location"
    # Another location may use the same slug.
    assert create(cal, name="H", slug="hygiene", locationId=OTHER_LOC).status_code == 201
    missing = cal.post("/calendars/groups/validate-slug", json={"locationId": LOC})
    assert (missing.status_code, missing.json()["message"]) == (422, ["slug should not be empty"])


def test_a_group_update_sends_the_whole_group_and_cannot_change_its_status(cal: httpx.Client) -> None:
    group = made(cal, name="Hygiene", description="Cleanings", slug="hygiene")
    made(cal, name="Surgery", slug="surgery")
    url = f"/calendars/groups/{group['id']}"
    partial = cal.put(url, json={"name": "Hygiene 2"})
    assert partial.status_code == 422
    assert partial.json()["message"] == ["description should not be empty", "slug should not be empty"]
    status = cal.put(url, json={"name": "H", "description": "", "slug": "h", "isActive": False})
    assert (status.status_code, status.json()["message"]) == (422, ["property isActive should not exist"])
    clash = cal.put(url, json={"name": "H", "description": "", "slug": "surgery"})
    assert clash.status_code == 400
    updated = cal.put(url, json={"name": "Hygiene 2", "description": "", "slug": "hygiene"})
    assert updated.status_code == 200
    assert updated.json() == {"group": {**group, "name": "Hygiene 2", "description": ""}}
    assert groups(cal)[0] == updated.json()["group"]


def test_the_status_route_enables_and_disables_a_group(cal: httpx.Client) -> None:
    group = made(cal, name="Hygiene", slug="hygiene")
    url = f"/calendars/groups/{group['id']}/status"
    response = cal.put(url, json={"isActive": False})
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert groups(cal)[0]["isActive"] is False
    assert cal.put(url, json={"isActive": True}).status_code == 200
    assert groups(cal)[0]["isActive"] is True
    missing = cal.put(url, json={})
    assert (missing.status_code, missing.json()["message"]) == (422, ["isActive should not be empty"])
    wrong = cal.put(url, json={"isActive": "no"})
    assert (wrong.status_code, wrong.json()["message"]) == (422, ["isActive must be a boolean value"])


def test_unknown_groups_are_not_found(cal: httpx.Client) -> None:
    url = "/calendars/groups/nosuchgroup000000000"
    body = {"name": "H", "description": "", "slug": "h"}
    for response in (cal.put(url, json=body), cal.put(f"{url}/status", json={"isActive": True}), cal.delete(url)):
        assert response.status_code == 404
        assert response.json()["message"] == "Group not found"


def test_another_locations_token_cannot_touch_a_group(sb: Sandbox, cal: httpx.Client) -> None:
    group = made(cal, name="Hygiene", slug="hygiene")
    with calendars_client(sb.url, sb.token_for(OTHER_LOC)) as other:
        assert other.delete(f"/calendars/groups/{group['id']}").status_code == 403
        assert other.get("/calendars/groups", params={"locationId": LOC}).status_code == 403
    with calendars_client(sb.url, AGENCY_TOKEN) as agency:
        refused = agency.get("/calendars/groups", params={"locationId": LOC})
        assert refused.status_code == 401
    assert len(groups(cal)) == 1


def test_deleting_a_group_leaves_its_calendars_ungrouped(cal: httpx.Client) -> None:
    group = made(cal, name="Hygiene", slug="hygiene")
    other = made(cal, name="Surgery", slug="surgery")
    inside = cal.post("/calendars/", json={"locationId": LOC, "name": "Cleaning", "groupId": group["id"]})
    assert inside.status_code == 201, inside.text
    elsewhere = cal.post("/calendars/", json={"locationId": LOC, "name": "Implant", "groupId": other["id"]})
    response = cal.delete(f"/calendars/groups/{group['id']}")
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert [g["id"] for g in groups(cal)] == [other["id"]]
    calendars = {c["name"]: c for c in cal.get("/calendars/", params={"locationId": LOC}).json()["calendars"]}
    assert "groupId" not in calendars["Cleaning"]
    assert calendars["Implant"]["groupId"] == elsewhere.json()["calendar"]["groupId"] == other["id"]


def test_a_calendars_group_id_must_name_a_group_of_its_location(cal: httpx.Client) -> None:
    group = made(cal, name="Hygiene", slug="hygiene")
    uptown = cal.post("/calendars/groups", json={"locationId": OTHER_LOC, "name": "U", "description": "", "slug": "u"})
    foreign_id = uptown.json()["group"]["id"]
    unknown = cal.post("/calendars/", json={"locationId": LOC, "name": "Cleaning", "groupId": "nosuchgroup000000000"})
    assert unknown.status_code == 400
    assert unknown.json()["message"] == f"Group nosuchgroup000000000 not found in location {LOC}"
    foreign = cal.post("/calendars/", json={"locationId": LOC, "name": "Cleaning", "groupId": foreign_id})
    assert foreign.status_code == 400
    assert cal.get("/calendars/", params={"locationId": LOC}).json()["calendars"] == []
    calendar = cal.post("/calendars/", json={"locationId": LOC, "name": "Cleaning"}).json()["calendar"]
    moved = cal.put(f"/calendars/{calendar['id']}", json={"groupId": foreign_id})
    assert moved.status_code == 400
    joined = cal.put(f"/calendars/{calendar['id']}", json={"groupId": group["id"]})
    assert joined.json()["calendar"]["groupId"] == group["id"]
    # null is not a string, so the document has a calendar leave its group with an empty groupId.
    left = cal.put(f"/calendars/{calendar['id']}", json={"groupId": ""})
    assert (left.status_code, left.json()["calendar"]["groupId"]) == (200, "")
