"""Calendars API: list, create, read, update (partial) and delete calendars.

Answers have the shape real GHL gives (recorded GET /calendars/ answers published in public repositories;
the documents are incomplete, GoHighLevel/highlevel-api-docs #300 and #82):
- no ``slug``: GHL keeps a sent slug to itself and answers only ``widgetSlug``, generated from the name and a
  UUID unless the client sent one;
- ``"appoinmentPerDay": ""`` and ``"openHours": {}`` when unset, where the spec documents a number and a list;
- ``recurring`` always present, with keys the spec doesn't list (``interval``, ``monthDays``, ``weekDays``) and
  ``bookingOverlapDefaultStatus: ""``;
- team members carry ``selected``, ``isZoomAdded`` (a string), ``zoomOauthId``, ``meetingLocation``, and their
  ``locationConfigurations`` carry ``position``, ``zoomOauthId`` and ``meetingId``.
A ``groupId`` must name a calendar group of the calendar's location (ghlops/sandbox/routes/calendar_groups.py).
A PUT replaces the whole team: a member already on the team is stored exactly as sent (so a client that drops
its Zoom keys loses them, as on GHL); only a member new to the team gets GHL's defaults.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from ghlops.sandbox.dto.calendars import CreateCalendar, UpdateCalendar
from ghlops.sandbox.replies import HttpError, Reply, bad_request, not_found, traced, unprocessable
from ghlops.sandbox.routes.calendar_groups import group_of
from ghlops.sandbox.routing import Call, Route, from_body, from_query, owner_of
from ghlops.sandbox.store import JsonObject, Kind
from ghlops.sandbox.validation import compact, parse

# What recorded answers show for a calendar that never set recurrence.
RECURRING_DEFAULTS: JsonObject = {
    "count": 1,
    "bookingOption": "skip",
    "bookingOverlapDefaultStatus": "",
    "interval": None,
    "freq": "DAILY",
    "monthDays": [],
    "weekDays": [],
}
# What GHL fills in for properties a create leaves out (the spec's declared defaults, and the empty values
# real answers carry where the spec types a number or a list); a null in an update resets to these too.
CALENDAR_DEFAULTS: JsonObject = {
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
    "recurring": RECURRING_DEFAULTS,
    "autoConfirm": True,
    "googleInvitationEmails": False,
    "allowReschedule": True,
    "allowCancellation": True,
    "formSubmitType": "ThankYouMessage",
}
# A member new to a team: the spec's defaults plus the keys recorded answers carry.
TEAM_MEMBER_DEFAULTS: JsonObject = {
    "priority": 0.5,
    "meetingLocationType": "custom",
    "isPrimary": False,
    "selected": True,
    "isZoomAdded": "false",
    "zoomOauthId": "",
    "meetingLocation": "",
}
# Sending null for these keeps the stored value: a calendar always has a name and a booking link.
_KEPT_ON_NULL = frozenset({"name", "widgetSlug"})


def slugify(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-") or "calendar"


def generated_widget_slug(name: str, calendar_id: str) -> str:
    """The booking link GHL makes up: recorded answers show "<name>-<uuid>". The UUID comes from the calendar's
    id, so it is unique and the same whichever order concurrent requests arrive in."""
    return f"{slugify(name)}-{uuid.uuid5(uuid.NAMESPACE_URL, f'calendar:{calendar_id}')}"


def _not_found() -> HttpError:
    return not_found("Calendar not found")


def _default(key: str) -> Any:
    return copy.deepcopy(CALENDAR_DEFAULTS[key])


def _location_configurations(configs: list[JsonObject]) -> list[JsonObject]:
    """A new member's meeting locations as GHL stores them: numbered, with empty Zoom links."""
    return [
        {"location": "", "position": index, "zoomOauthId": "", "meetingId": f"{c['kind']}_{index}", **c}
        for index, c in enumerate(configs)
    ]


def _new_member(member: JsonObject) -> JsonObject:
    filled: JsonObject = {"userId": member["userId"], **TEAM_MEMBER_DEFAULTS, **member}
    filled["locationConfigurations"] = _location_configurations(
        member.get("locationConfigurations") or [{"kind": "custom"}]
    )
    return filled


def _team_members(
    call: Call, location_id: str, members: list[JsonObject], current: list[JsonObject]
) -> list[JsonObject]:
    """The team to store: members already on it exactly as sent, new ones with GHL's defaults.

    Every member must be a company user with access to the location.
    """
    location = call.store.location(location_id)
    company = location.company_id if location else call.company_id
    problems = []
    for index, member in enumerate(members):
        # Only the users named: a calendar's team is a few, the company's users can be thousands.
        stored = call.store.get(Kind.USER, member["userId"])
        user = stored.data if stored is not None and stored.owner == company else None
        if user is None or location_id not in user["roles"]["locationIds"]:
            problems.append(
                f"teamMembers.{index}.userId {member['userId']} is not a user with access to location {location_id}"
            )
    if problems:
        raise unprocessable(problems)
    on_team = {m["userId"] for m in current}
    return [dict(m) if m["userId"] in on_team else _new_member(m) for m in members]


def _check_widget_slug(calendars: list[JsonObject], widget_slug: str, own_id: str | None) -> None:
    if any(c["id"] != own_id and c.get("widgetSlug") == widget_slug for c in calendars):
        raise bad_request(f"Calendar with slug '{widget_slug}' already exists in this location")


def _check_group(call: Call, location_id: str, group_id: str | None) -> None:
    if group_id and group_of(call.store, location_id, group_id) is None:
        # OUR GUESS: the wording; a calendar cannot join a group that is not its location's.
        raise bad_request(f"Group {group_id} not found in location {location_id}")


def _answer(call: Call, status: int, calendar: JsonObject) -> Reply:
    return Reply(status, traced({"calendar": calendar}, call.store.new_uuid()))


def list_calendars(call: Call) -> Reply:
    location_id = call.required_arg("locationId")
    show_drafted = _boolean_arg(call, "showDrafted", default=True)
    group_id = call.arg("groupId")
    calendars = [
        c
        for c in call.store.find(Kind.CALENDAR, owner=location_id)
        if (show_drafted or c.get("isActive", True)) and (group_id is None or c.get("groupId") == group_id)
    ]
    return Reply(200, traced({"calendars": calendars}, call.store.new_uuid()))


def get_calendar(call: Call) -> Reply:
    stored = call.store.get(Kind.CALENDAR, call.params["calendarId"])
    if stored is None:
        raise _not_found()
    return _answer(call, 200, stored.data)


def create_calendar(call: Call) -> Reply:
    dto = parse(CreateCalendar, call.body)
    values = compact(dto.sent())
    # GHL takes a slug but never answers it (issue 9): it is not part of the stored calendar.
    values.pop("slug", None)
    location_id = dto.locationId
    with call.store.transaction():
        _check_group(call, location_id, dto.groupId)
        existing = call.store.find(Kind.CALENDAR, owner=location_id)
        if dto.widgetSlug:
            _check_widget_slug(existing, dto.widgetSlug, None)
        defaults = {k: _default(k) for k in CALENDAR_DEFAULTS if k not in values}
        calendar: JsonObject = {"id": call.store.new_id(), **values, **defaults}
        if "recurring" in values:
            calendar["recurring"] = {**_default("recurring"), **values["recurring"]}
        calendar["widgetSlug"] = dto.widgetSlug or generated_widget_slug(dto.name, calendar["id"])
        calendar["teamMembers"] = _team_members(call, location_id, values.get("teamMembers", []), [])
        call.store.add(Kind.CALENDAR, calendar["id"], location_id, calendar)
    return _answer(call, 201, calendar)


def update_calendar(call: Call) -> Reply:
    dto = parse(UpdateCalendar, call.body)
    sent = dto.sent()
    sent.pop("slug", None)
    with call.store.transaction():
        stored = call.store.get(Kind.CALENDAR, call.params["calendarId"])
        if stored is None:
            raise _not_found()
        _check_group(call, stored.owner, sent.get("groupId"))
        calendar = stored.data
        current_team = calendar.get("teamMembers", [])
        for key, value in sent.items():
            _apply(calendar, key, value)
        if "teamMembers" in sent:
            team = compact(sent["teamMembers"] or [])
            calendar["teamMembers"] = _team_members(call, stored.owner, team, current_team)
        if sent.get("widgetSlug"):
            _check_widget_slug(call.store.find(Kind.CALENDAR, owner=stored.owner), sent["widgetSlug"], calendar["id"])
        call.store.replace(Kind.CALENDAR, calendar["id"], calendar)
    return _answer(call, 200, calendar)


def _apply(calendar: JsonObject, key: str, value: Any) -> None:
    """Partial update of one property; null resets it to GHL's default or removes it."""
    if value is not None:
        calendar[key] = compact(value)
        if key == "recurring":
            calendar[key] = {**_default("recurring"), **calendar[key]}
    elif key in CALENDAR_DEFAULTS:
        calendar[key] = _default(key)
    elif key not in _KEPT_ON_NULL:
        calendar.pop(key, None)


def delete_calendar(call: Call) -> Reply:
    with call.store.transaction():
        if not call.store.remove(Kind.CALENDAR, call.params["calendarId"]):
            raise _not_found()
    return Reply(200, {"success": True})


def _boolean_arg(call: Call, name: str, *, default: bool) -> bool:
    raw = call.arg(name)
    if raw is None:
        return default
    if raw in ("true", "false"):
        return raw == "true"
    raise unprocessable([f"{name} must be a boolean value"])


_BY_ID = owner_of(Kind.CALENDAR, "calendarId")

ROUTES = (
    Route("GET", "/calendars/", list_calendars, locate=from_query("locationId")),
    Route("POST", "/calendars/", create_calendar, locate=from_body("locationId")),
    Route("GET", "/calendars/{calendarId}", get_calendar, locate=_BY_ID),
    Route("PUT", "/calendars/{calendarId}", update_calendar, locate=_BY_ID),
    Route("DELETE", "/calendars/{calendarId}", delete_calendar, locate=_BY_ID),
)
