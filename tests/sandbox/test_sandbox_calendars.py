"""Calendars: defaults on create, team member checks, partial update, slugs, delete."""

from __future__ import annotations

import re

import httpx

from ghlops.sandbox import Sandbox
from ghlops.sandbox.routes.calendars import generated_widget_slug
from tests.sandbox.conftest import LOC, OTHER_LOC, NewUser

CAL = {"Version": "2021-04-15"}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def create(api: httpx.Client, **body: object) -> httpx.Response:
    return api.post("/calendars/", json={"locationId": LOC, **body}, headers=CAL)


def test_calendar_create_fills_ghls_defaults(api: httpx.Client) -> None:
    response = create(api, name="New Patient Visit")
    assert response.status_code == 201
    calendar = response.json()["calendar"]
    assert calendar == {
        "id": calendar["id"],
        "locationId": LOC,
        "name": "New Patient Visit",
        "isActive": True,
        "calendarType": "event",
        "eventType": "RoundRobin_OptimizeForAvailability",
        "widgetType": "classic",
        "eventTitle": "{{contact.name}}",
        "eventColor": "#039be5",
        "slotDuration": 30,
        "slotInterval": 30,
        "appoinmentPerSlot": 1,
        "appoinmentPerDay": "",
        "openHours": {},
        "enableRecurring": False,
        "recurring": {
            "count": 1,
            "bookingOption": "skip",
            "bookingOverlapDefaultStatus": "",
            "interval": None,
            "freq": "DAILY",
            "monthDays": [],
            "weekDays": [],
        },
        "autoConfirm": True,
        "googleInvitationEmails": False,
        "allowReschedule": True,
        "allowCancellation": True,
        "formSubmitType": "ThankYouMessage",
        "widgetSlug": calendar["widgetSlug"],
        "teamMembers": [],
    }
    assert calendar["widgetSlug"] == generated_widget_slug("New Patient Visit", calendar["id"])
    assert re.fullmatch(f"new-patient-visit-{UUID}", calendar["widgetSlug"])
    assert re.fullmatch(UUID, response.json()["traceId"])


def test_calendar_list_get_and_delete(api: httpx.Client) -> None:
    calendar = create(api, name="Cleaning", slotDuration=60, slotDurationUnit="mins").json()["calendar"]
    assert calendar["slotDuration"] == 60
    listed = api.get("/calendars/", params={"locationId": LOC}, headers=CAL).json()
    assert listed == {"calendars": [calendar], "traceId": listed["traceId"]}
    assert api.get("/calendars/", params={"locationId": OTHER_LOC}, headers=CAL).json()["calendars"] == []
    assert api.get(f"/calendars/{calendar['id']}", headers=CAL).json()["calendar"] == calendar
    deleted = api.delete(f"/calendars/{calendar['id']}", headers=CAL)
    assert (deleted.status_code, deleted.json()) == (200, {"success": True})
    missing = api.get(f"/calendars/{calendar['id']}", headers=CAL)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Calendar not found"


def test_listing_calendars_needs_a_location_id(api: httpx.Client) -> None:
    response = api.get("/calendars/", headers=CAL)
    assert response.status_code == 422
    assert "locationId should not be empty" in response.json()["message"]


def test_drafted_calendars_can_be_hidden_and_groups_filtered(api: httpx.Client) -> None:
    group_body = {"locationId": LOC, "name": "Team", "description": "", "slug": "team"}
    group_id = api.post("/calendars/groups", json=group_body, headers=CAL).json()["group"]["id"]
    create(api, name="Active", groupId=group_id)
    create(api, name="Draft", isActive=False)

    def names(params: dict[str, str]) -> list[str]:
        return [c["name"] for c in api.get("/calendars/", params=params, headers=CAL).json()["calendars"]]

    assert names({"locationId": LOC}) == ["Active", "Draft"]
    assert names({"locationId": LOC, "showDrafted": "false"}) == ["Active"]
    assert names({"locationId": LOC, "groupId": group_id}) == ["Active"]


def test_team_members_get_defaults_and_must_be_users_of_the_location(api: httpx.Client, new_user: NewUser) -> None:
    downtown = new_user(locationIds=[LOC])
    uptown = new_user(locationIds=[OTHER_LOC])
    ok = create(api, name="Consult", calendarType="round_robin", teamMembers=[{"userId": downtown["id"]}])
    assert ok.status_code == 201
    assert ok.json()["calendar"]["teamMembers"] == [
        {
            "userId": downtown["id"],
            "priority": 0.5,
            "meetingLocationType": "custom",
            "isPrimary": False,
            "selected": True,
            "isZoomAdded": "false",
            "zoomOauthId": "",
            "meetingLocation": "",
            "locationConfigurations": [
                {"location": "", "position": 0, "zoomOauthId": "", "meetingId": "custom_0", "kind": "custom"}
            ],
        }
    ]
    for user_id in (uptown["id"], "noSuchUser0000000000"):
        refused = create(api, name=f"Consult {user_id}", teamMembers=[{"userId": user_id}])
        assert refused.status_code == 422
        assert user_id in refused.json()["message"][0]


def test_team_member_priority_is_an_enum(api: httpx.Client, new_user: NewUser) -> None:
    user = new_user()
    response = create(api, name="Consult", teamMembers=[{"userId": user["id"], "priority": 0.7}])
    assert response.status_code == 422
    assert response.json()["message"] == ["teamMembers.0.priority must be one of the following values: 0, 0.5, 1"]
    assert create(api, name="Consult", teamMembers=[{"userId": user["id"], "priority": 1}]).status_code == 201


def test_calendar_update_is_partial(api: httpx.Client, new_user: NewUser) -> None:
    user = new_user()
    calendar = create(api, name="Exam", description="Yearly", slotDuration=45).json()["calendar"]
    response = api.put(
        f"/calendars/{calendar['id']}", json={"slotDuration": 15, "teamMembers": [{"userId": user["id"]}]}, headers=CAL
    )
    assert response.status_code == 200
    updated = response.json()["calendar"]
    assert updated["description"] == "Yearly"
    assert updated["name"] == "Exam"
    assert updated["slotDuration"] == 15
    assert [m["userId"] for m in updated["teamMembers"]] == [user["id"]]
    assert api.get(f"/calendars/{calendar['id']}", headers=CAL).json()["calendar"] == updated


def test_calendar_update_refuses_calendar_type_and_location_id(api: httpx.Client) -> None:
    calendar = create(api, name="Exam").json()["calendar"]
    response = api.put(
        f"/calendars/{calendar['id']}", json={"calendarType": "round_robin", "locationId": LOC}, headers=CAL
    )
    assert response.status_code == 422
    assert response.json()["message"] == [
        "property calendarType should not exist",
        "property locationId should not exist",
    ]


def test_a_sent_slug_is_taken_but_never_answered(api: httpx.Client) -> None:
    # Real list items carry no slug, only a generated widgetSlug (issue 9, recorded GET /calendars/ answers).
    created = create(api, name="Book Now", slug="book-now").json()["calendar"]
    assert "slug" not in created
    assert re.fullmatch(f"book-now-{UUID}", created["widgetSlug"])
    updated = api.put(f"/calendars/{created['id']}", json={"slug": "later"}, headers=CAL).json()["calendar"]
    assert updated == created
    listed = api.get("/calendars/", params={"locationId": LOC}, headers=CAL).json()["calendars"]
    assert ["slug" in c for c in listed] == [False]


def test_widget_slugs_are_unique_per_location(api: httpx.Client) -> None:
    assert create(api, name="A", widgetSlug="book-now").json()["calendar"]["widgetSlug"] == "book-now"
    taken = create(api, name="B", widgetSlug="book-now")
    assert taken.status_code == 400
    assert "book-now" in taken.json()["message"]
    elsewhere = api.post("/calendars/", json={"locationId": OTHER_LOC, "name": "C", "widgetSlug": "book-now"})
    assert elsewhere.status_code == 201
    # Generated ones carry a UUID, so two calendars of the same name never collide.
    first, second = (create(api, name="Same").json()["calendar"] for _ in range(2))
    assert first["widgetSlug"] != second["widgetSlug"]
    assert api.put(f"/calendars/{first['id']}", json={"widgetSlug": "book-now"}, headers=CAL).status_code == 400


def test_calendar_create_validates_like_class_validator(api: httpx.Client) -> None:
    response = api.post(
        "/calendars/",
        json={"name": "X", "calendarType": "meeting", "slotDuration": "30", "openHours": [{"daysOfTheWeek": [9]}]},
        headers=CAL,
    )
    assert response.status_code == 422
    assert response.json()["message"] == [
        "slotDuration must be a number conforming to the specified constraints",
        "each value in openHours.0.daysOfTheWeek must not be greater than 6",
        "openHours.0.hours should not be empty",
        "locationId should not be empty",
        "calendarType must be one of the following values: round_robin, event, class_booking, collective, "
        "service_booking, personal",
    ]


def test_calendar_objects_persist_in_the_snapshot(sb: Sandbox, api: httpx.Client) -> None:
    calendar = create(api, name="Snap").json()["calendar"]
    # The snapshot nests each calendar's notifications (a child kind) under `notifications`.
    assert sb.store.snapshot(LOC)["calendars"] == [{**calendar, "notifications": []}]


def test_a_put_stores_the_team_exactly_as_sent_so_zoom_keys_survive_only_when_sent_back(
    api: httpx.Client, new_user: NewUser
) -> None:
    # GHL's PUT replaces the whole team (issue 9): keys a client sends back survive, keys it drops are lost.
    host, guest, newcomer = new_user(), new_user(), new_user()
    zoom = {
        "userId": host["id"],
        "priority": 1,
        "selected": True,
        "isZoomAdded": "true",
        "zoomOauthId": "w2y58nIs9Zs8HnuilUA5",
        "meetingLocation": "",
        "isPrimary": True,
        "locationConfigurations": [
            {
                "kind": "zoom_conference",
                "location": "",
                "position": 0,
                "zoomOauthId": "w2y58nIs9Zs8HnuilUA5",
                "meetingId": "zoom_conference_0",
            }
        ],
    }
    calendar = create(
        api, name="Consult", calendarType="round_robin", teamMembers=[zoom, {"userId": guest["id"]}]
    ).json()["calendar"]
    host_member, guest_member = calendar["teamMembers"]
    assert host_member == {**zoom, "meetingLocationType": "custom"}

    # Read-modify-write: only the host's priority changes, everything else is sent back as read.
    team = [{**host_member, "priority": 0.5}, guest_member]
    team = [{k: v for k, v in m.items() if k != "meetingLocationType"} for m in team]  # read-only in the spec
    updated = api.put(f"/calendars/{calendar['id']}", json={"teamMembers": team}, headers=CAL).json()["calendar"]
    assert updated["teamMembers"] == team
    assert updated["teamMembers"][0]["zoomOauthId"] == "w2y58nIs9Zs8HnuilUA5"

    # A client that drops the Zoom keys unlinks the member; a member new to the team gets GHL's defaults.
    dropped = [{"userId": host["id"], "priority": 0.5}, {"userId": newcomer["id"]}]
    replaced = api.put(f"/calendars/{calendar['id']}", json={"teamMembers": dropped}, headers=CAL).json()["calendar"]
    assert replaced["teamMembers"][0] == {"userId": host["id"], "priority": 0.5}
    assert replaced["teamMembers"][1]["locationConfigurations"] == [
        {"location": "", "position": 0, "zoomOauthId": "", "meetingId": "custom_0", "kind": "custom"}
    ]
    assert (replaced["teamMembers"][1]["selected"], replaced["teamMembers"][1]["isZoomAdded"]) == (True, "false")


def test_a_new_members_meeting_locations_are_numbered(api: httpx.Client, new_user: NewUser) -> None:
    user = new_user()
    configs = [{"kind": "physical", "location": "12 Main St"}, {"kind": "inbound_call", "location": "+15550100"}]
    member = {"userId": user["id"], "locationConfigurations": configs}
    calendar = create(api, name="Visit", teamMembers=[member]).json()["calendar"]
    assert calendar["teamMembers"][0]["locationConfigurations"] == [
        {"kind": "physical", "location": "12 Main St", "position": 0, "zoomOauthId": "", "meetingId": "physical_0"},
        {
            "kind": "inbound_call",
            "location": "+15550100",
            "position": 1,
            "zoomOauthId": "",
            "meetingId": "inbound_call_1",
        },
    ]


def test_recurring_carries_ghls_extra_keys_and_unset_values_come_back_empty(api: httpx.Client) -> None:
    calendar = create(
        api, name="Series", appoinmentPerDay=3, recurring={"freq": "WEEKLY", "count": 4}, openHours=[]
    ).json()["calendar"]
    assert calendar["recurring"] == {
        "count": 4,
        "bookingOption": "skip",
        "bookingOverlapDefaultStatus": "",
        "interval": None,
        "freq": "WEEKLY",
        "monthDays": [],
        "weekDays": [],
    }
    assert (calendar["appoinmentPerDay"], calendar["openHours"]) == (3, [])
    reset = {"appoinmentPerDay": None, "openHours": None, "recurring": None}
    cleared = api.put(f"/calendars/{calendar['id']}", json=reset, headers=CAL).json()["calendar"]
    assert (cleared["appoinmentPerDay"], cleared["openHours"]) == ("", {})
    assert cleared["recurring"]["freq"] == "DAILY"
