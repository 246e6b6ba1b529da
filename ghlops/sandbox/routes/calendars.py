"""Calendars API: list, create, read, update (partial) and delete calendars."""

from __future__ import annotations

import re
from typing import Any

from ghlops.sandbox.dto.calendars import CreateCalendar, UpdateCalendar
from ghlops.sandbox.replies import HttpError, Reply, bad_request, not_found, unprocessable
from ghlops.sandbox.routing import Call, Route, from_body, from_query, owner_of
from ghlops.sandbox.store import JsonObject, Kind
from ghlops.sandbox.validation import compact, parse

# What GHL fills in for properties a create leaves out (the spec's declared defaults).
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
    "enableRecurring": False,
    "autoConfirm": True,
    "googleInvitationEmails": False,
    "allowReschedule": True,
    "allowCancellation": True,
    "formSubmitType": "ThankYouMessage",
}
TEAM_MEMBER_DEFAULTS: JsonObject = {"priority": 0.5, "meetingLocationType": "custom", "isPrimary": False}
# Sending null for these keeps the stored value: a calendar always has a name and booking links.
_KEPT_ON_NULL = frozenset({"name", "slug", "widgetSlug"})


def slugify(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-") or "calendar"


def _not_found() -> HttpError:
    return not_found("Calendar not found")


def _team_members(call: Call, location_id: str, members: list[JsonObject]) -> list[JsonObject]:
    """Members with GHL's defaults, once each is known as a company user with access to the location."""
    location = call.store.location(location_id)
    company = location.company_id if location else call.company_id
    users = {u["id"]: u for u in call.store.find(Kind.USER, owner=company)}
    problems = []
    for index, member in enumerate(members):
        user = users.get(member["userId"])
        if user is None or location_id not in user["roles"]["locationIds"]:
            problems.append(
                f"teamMembers.{index}.userId {member['userId']} is not a user with access to location {location_id}"
            )
    if problems:
        raise unprocessable(problems)
    return [{"userId": m["userId"], **TEAM_MEMBER_DEFAULTS, **compact(m)} for m in members]


def _check_slug(calendars: list[JsonObject], slug: str, own_id: str | None) -> None:
    if any(c["id"] != own_id and c.get("slug") == slug for c in calendars):
        raise bad_request(f"Calendar with slug '{slug}' already exists in this location")


def list_calendars(call: Call) -> Reply:
    location_id = call.required_arg("locationId")
    show_drafted = _boolean_arg(call, "showDrafted", default=True)
    group_id = call.arg("groupId")
    calendars = [
        c
        for c in call.store.find(Kind.CALENDAR, owner=location_id)
        if (show_drafted or c.get("isActive", True)) and (group_id is None or c.get("groupId") == group_id)
    ]
    return Reply(200, {"calendars": calendars})


def get_calendar(call: Call) -> Reply:
    stored = call.store.get(Kind.CALENDAR, call.params["calendarId"])
    if stored is None:
        raise _not_found()
    return Reply(200, {"calendar": stored.data})


def create_calendar(call: Call) -> Reply:
    dto = parse(CreateCalendar, call.body)
    values = compact(dto.sent())
    location_id = dto.locationId
    with call.store.transaction():
        existing = call.store.find(Kind.CALENDAR, owner=location_id)
        if dto.slug:
            slug = dto.slug
            _check_slug(existing, slug, None)
        else:
            # A derived slug never collides: GHL suffixes it the way its UI does.
            taken = {c.get("slug") for c in existing}
            base = slug = slugify(dto.name)
            n = 0
            while slug in taken:
                n += 1
                slug = f"{base}-{n}"
        defaults = {k: v for k, v in CALENDAR_DEFAULTS.items() if k not in values}
        calendar: JsonObject = {"id": call.store.new_id(), **values, **defaults}
        calendar["slug"] = slug
        calendar["widgetSlug"] = dto.widgetSlug or slug
        calendar["teamMembers"] = _team_members(call, location_id, values.get("teamMembers", []))
        call.store.add(Kind.CALENDAR, calendar["id"], location_id, calendar)
    return Reply(201, {"calendar": calendar})


def update_calendar(call: Call) -> Reply:
    dto = parse(UpdateCalendar, call.body)
    sent = dto.sent()
    with call.store.transaction():
        stored = call.store.get(Kind.CALENDAR, call.params["calendarId"])
        if stored is None:
            raise _not_found()
        calendar = stored.data
        for key, value in sent.items():
            _apply(calendar, key, value)
        if "teamMembers" in sent:
            calendar["teamMembers"] = _team_members(call, stored.owner, compact(sent["teamMembers"] or []))
        if sent.get("slug"):
            _check_slug(call.store.find(Kind.CALENDAR, owner=stored.owner), sent["slug"], calendar["id"])
        call.store.replace(Kind.CALENDAR, calendar["id"], calendar)
    return Reply(200, {"calendar": calendar})


def _apply(calendar: JsonObject, key: str, value: Any) -> None:
    """Partial update of one property; null resets it to GHL's default or removes it."""
    if value is not None:
        calendar[key] = compact(value)
    elif key in CALENDAR_DEFAULTS:
        calendar[key] = CALENDAR_DEFAULTS[key]
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
