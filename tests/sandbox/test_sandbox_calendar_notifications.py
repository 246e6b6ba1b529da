"""Calendar notifications: an array POST, the bare-array list with its filters and paging, partial update, soft
delete, children of their calendar, and every refusal (ghlops/sandbox/routes/calendar_notifications.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes.calendar_notifications import NOTIFICATION
from tests.sandbox import spec
from tests.sandbox.accepted import calendars_client, departures
from tests.sandbox.conftest import AGENCY_TOKEN, LOC, OTHER_LOC, NewUser

MONGO_ID = re.compile(r"^[0-9a-f]{24}$")
REMINDER = {
    "receiverType": "contact",
    "channel": "email",
    "notificationType": "reminder",
    "subject": "See you soon",
    "body": "Your visit is in an hour",
    "beforeTime": [{"timeOffset": 1, "unit": "hours"}],
}
CONFIRMATION = {"receiverType": "contact", "channel": "sms", "notificationType": "confirmation", "body": "Booked"}


@pytest.fixture(autouse=True)
def accepted_requests_conform(sb: Sandbox) -> Iterator[None]:
    yield
    if spec.available():
        assert departures(sb) == []


@pytest.fixture
def cal(sb: Sandbox) -> Iterator[httpx.Client]:
    with calendars_client(sb.url) as api_client:
        yield api_client


@pytest.fixture
def calendar_id(cal: httpx.Client) -> str:
    response = cal.post("/calendars/", json={"locationId": LOC, "name": "Cleaning"})
    assert response.status_code == 201, response.text
    return str(response.json()["calendar"]["id"])


def post(cal: httpx.Client, calendar_id: str, *items: Any) -> httpx.Response:
    return cal.post(f"/calendars/{calendar_id}/notifications", json=list(items))


def listed(cal: httpx.Client, calendar_id: str, **params: str) -> Any:
    response = cal.get(f"/calendars/{calendar_id}/notifications", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_post_takes_an_array_and_answers_the_created_notifications(cal: httpx.Client, calendar_id: str) -> None:
    response = post(cal, calendar_id, REMINDER, CONFIRMATION)
    assert response.status_code == 200
    created = response.json()
    assert isinstance(created, list) and len(created) == 2
    assert all(MONGO_ID.match(n["_id"]) for n in created)
    assert created[0] == {
        "_id": created[0]["_id"],
        **REMINDER,
        "altId": calendar_id,
        "altType": "calendar",
        "isActive": True,
        "deleted": False,
    }
    assert created[1]["isActive"] is True and created[1]["channel"] == "sms"
    # The list is a bare array in creation order, and a notification reads back as created.
    assert listed(cal, calendar_id) == created
    one = cal.get(f"/calendars/{calendar_id}/notifications/{created[1]['_id']}")
    assert (one.status_code, one.json()) == (200, created[1])


def test_post_refuses_a_body_that_is_not_an_array(cal: httpx.Client, calendar_id: str) -> None:
    response = cal.post(f"/calendars/{calendar_id}/notifications", json=REMINDER)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed (parsable array expected)"
    assert listed(cal, calendar_id) == []


def test_post_names_the_item_each_problem_is_in_and_creates_nothing(cal: httpx.Client, calendar_id: str) -> None:
    bad = {"receiverType": "contact", "channel": "fax", "notificationType": "reminder", "colour": "red"}
    response = post(cal, calendar_id, REMINDER, bad, {"channel": "email"})
    assert response.status_code == 422
    assert response.json()["message"] == [
        "[1] channel must be one of the following values: email, inApp, sms, whatsapp",
        "[1] property colour should not exist",
        "[2] receiverType should not be empty",
        "[2] notificationType should not be empty",
    ]
    assert listed(cal, calendar_id) == []


def test_selected_users_must_be_users_of_the_location_or_the_admin_keyword(
    cal: httpx.Client, calendar_id: str, new_user: NewUser
) -> None:
    downtown = new_user(locationIds=[LOC])
    uptown = new_user(locationIds=[OTHER_LOC])
    business = {"receiverType": "business", "channel": "inApp", "notificationType": "booked"}
    refused = post(cal, calendar_id, {**business, "selectedUsers": [downtown["id"], uptown["id"]]})
    assert refused.status_code == 422
    assert refused.json()["message"] == [
        f"[0] selectedUsers.1 {uptown['id']} is not a user with access to location {LOC}"
    ]
    ok = post(cal, calendar_id, {**business, "selectedUsers": [downtown["id"], "sub_account_admin"]})
    assert ok.status_code == 200
    url = f"/calendars/{calendar_id}/notifications/{ok.json()[0]['_id']}"
    assert cal.put(url, json={"selectedUsers": [uptown["id"]]}).status_code == 422


def test_a_notification_update_is_partial_and_answers_a_message(cal: httpx.Client, calendar_id: str) -> None:
    created = post(cal, calendar_id, REMINDER).json()[0]
    url = f"/calendars/{calendar_id}/notifications/{created['_id']}"
    response = cal.put(url, json={"isActive": False, "beforeTime": [{"timeOffset": 2, "unit": "days"}]})
    assert (response.status_code, response.json()) == (200, {"message": "Notification updated successfully"})
    expected = {**created, "isActive": False, "beforeTime": [{"timeOffset": 2, "unit": "days"}]}
    assert cal.get(url).json() == expected
    wrong = cal.put(url, json={"notificationType": "birthday", "afterTime": [{"timeOffset": "1"}]})
    assert wrong.status_code == 422
    assert wrong.json()["message"] == [
        "afterTime.0.timeOffset must be a number conforming to the specified constraints",
        "notificationType must be one of the following values: "
        "booked, confirmation, cancellation, reminder, followup, reschedule",
    ]
    assert cal.get(url).json() == expected


def test_the_list_filters_on_is_active_and_pages_with_skip_and_limit(cal: httpx.Client, calendar_id: str) -> None:
    created = post(cal, calendar_id, REMINDER, CONFIRMATION, {**CONFIRMATION, "isActive": False}).json()
    ids = [n["_id"] for n in created]
    assert [n["_id"] for n in listed(cal, calendar_id, isActive="true")] == ids[:2]
    assert [n["_id"] for n in listed(cal, calendar_id, isActive="false")] == ids[2:]
    assert [n["_id"] for n in listed(cal, calendar_id, skip="1", limit="1")] == ids[1:2]
    bad = cal.get(f"/calendars/{calendar_id}/notifications", params={"isActive": "yes"})
    assert (bad.status_code, bad.json()["message"]) == (422, ["isActive must be a boolean value"])


def test_delete_is_soft_and_lists_show_deleted_ones_only_when_asked(cal: httpx.Client, calendar_id: str) -> None:
    reminder, confirmation = post(cal, calendar_id, REMINDER, CONFIRMATION).json()
    url = f"/calendars/{calendar_id}/notifications/{reminder['_id']}"
    response = cal.delete(url)
    assert (response.status_code, response.json()) == (200, {"message": "Notification deleted successfully"})
    assert listed(cal, calendar_id) == [confirmation]
    assert listed(cal, calendar_id, deleted="true") == [{**reminder, "deleted": True}]
    # The update DTO's ``deleted`` undoes it.
    assert cal.put(url, json={"deleted": False}).status_code == 200
    assert [n["_id"] for n in listed(cal, calendar_id)] == [reminder["_id"], confirmation["_id"]]


def test_notifications_belong_to_their_calendar_and_go_with_it(
    sb: Sandbox, cal: httpx.Client, calendar_id: str
) -> None:
    created = post(cal, calendar_id, REMINDER).json()[0]
    other = cal.post("/calendars/", json={"locationId": LOC, "name": "Surgery"}).json()["calendar"]["id"]
    assert listed(cal, other) == []
    elsewhere = cal.get(f"/calendars/{other}/notifications/{created['_id']}")
    assert (elsewhere.status_code, elsewhere.json()["message"]) == (404, "Notification not found")
    assert cal.delete(f"/calendars/{calendar_id}").status_code == 200
    assert sb.store.find(NOTIFICATION) == []
    gone = cal.get(f"/calendars/{calendar_id}/notifications")
    assert (gone.status_code, gone.json()["message"]) == (404, "Calendar not found")
    assert post(cal, calendar_id, REMINDER).status_code == 404


def test_other_tokens_cannot_reach_a_calendars_notifications(sb: Sandbox, calendar_id: str) -> None:
    with calendars_client(sb.url, sb.token_for(OTHER_LOC)) as other:
        assert other.get(f"/calendars/{calendar_id}/notifications").status_code == 403
        assert other.post(f"/calendars/{calendar_id}/notifications", json=[REMINDER]).status_code == 403
    with calendars_client(sb.url, AGENCY_TOKEN) as agency:
        assert agency.get(f"/calendars/{calendar_id}/notifications").status_code == 401
