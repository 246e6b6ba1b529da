"""Calendars (API Version 2021-04-15). Team members reference users by email in manifests and by user id
in GHL; the resolver maps between the two. A calendar names its group (`group: NAME`, a reference to calendar
groups) and holds its notifications (a child kind, ghlops/kinds/calendar_notifications.py). A calendar's type
cannot change in place."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ghlops.kinds.base import (
    Entry,
    Found,
    Kind,
    LiveObject,
    Model,
    Reference,
    Resolver,
    expect_list,
    new_list,
    overlay,
    plain,
    require_str,
)
from ghlops.kinds.calendar_api import VERSION_CALENDARS
from ghlops.kinds.calendar_groups import NAME as GROUPS
from ghlops.kinds.calendar_groups import group_name
from ghlops.kinds.calendar_notifications import CalendarNotification
from ghlops.request import Request


class CalendarType(StrEnum):
    round_robin = "round_robin"
    event = "event"
    class_booking = "class_booking"
    collective = "collective"
    service_booking = "service_booking"
    personal = "personal"


class EventType(StrEnum):
    RoundRobin_OptimizeForAvailability = "RoundRobin_OptimizeForAvailability"
    RoundRobin_OptimizeForEqualDistribution = "RoundRobin_OptimizeForEqualDistribution"


class LocationKind(StrEnum):
    custom = "custom"
    zoom_conference = "zoom_conference"
    google_conference = "google_conference"
    inbound_call = "inbound_call"
    outbound_call = "outbound_call"
    physical = "physical"
    booker = "booker"
    ms_teams_conference = "ms_teams_conference"


DurationUnit = Literal["mins", "hours"]
AfterUnit = Literal["hours", "days", "weeks", "months"]
ForUnit = Literal["days", "weeks", "months"]


class LocationConfiguration(Model):
    kind: LocationKind
    location: str | None = None


class TeamMember(Model):
    user: str = Field(description="The member's email: a user some manifest declares, or one the company already has.")
    priority: float | None = Field(default=None, description="0, 0.5 or 1.")
    isPrimary: bool | None = None
    locationConfigurations: list[LocationConfiguration] | None = None

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: float | None) -> float | None:
        if value is not None and value not in (0, 0.5, 1):
            raise ValueError(f"priority {value!r} is not one of 0, 0.5, 1")
        return value


class Hour(Model):
    openHour: int = Field(ge=0, le=23)
    openMinute: int = Field(ge=0, le=60)
    closeHour: int = Field(ge=0, le=23)
    closeMinute: int = Field(ge=0, le=60)


class OpenHour(Model):
    daysOfTheWeek: list[int] = Field(description="0 (Sunday) to 6.")
    hours: list[Hour]

    @field_validator("daysOfTheWeek")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        bad = [d for d in value if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"days of the week are 0 to 6, got {bad[0]}")
        return value


class Recurring(Model):
    freq: Literal["DAILY", "WEEKLY", "MONTHLY"] | None = None
    count: int | None = Field(default=None, le=24)
    bookingOption: Literal["skip", "continue", "book_next"] | None = None
    bookingOverlapDefaultStatus: Literal["confirmed", "new"] | None = None


class LookBusyConfig(Model):
    enabled: bool
    LookBusyPercentage: float


class Calendar(Entry):
    name: str = Field(min_length=1, description="Calendar name; the natural key.")
    calendarType: CalendarType | None = Field(
        default=None, description="GHL cannot change a calendar's type: a change means replace."
    )
    description: str | None = None
    slug: str | None = None
    widgetSlug: str | None = None
    widgetType: Literal["default", "classic"] | None = None
    eventType: EventType | None = None
    eventTitle: str | None = None
    eventColor: str | None = None
    group: str | None = Field(
        default=None,
        description='The calendar group\'s name: one a manifest declares, or one the location has. "" takes the '
        "calendar out of its group.",
    )
    groupId: str | None = Field(default=None, description="The group's id (prefer `group`, by name).")
    isActive: bool | None = None
    teamMembers: list[TeamMember] | None = Field(default=None, description="Members, by user email.")
    locationConfigurations: list[LocationConfiguration] | None = None
    slotDuration: float | None = None
    slotDurationUnit: DurationUnit | None = None
    slotInterval: float | None = None
    slotIntervalUnit: DurationUnit | None = None
    slotBuffer: float | None = None
    slotBufferUnit: DurationUnit | None = None
    preBuffer: float | None = None
    preBufferUnit: DurationUnit | None = None
    appoinmentPerSlot: int | None = Field(default=None, description="GHL's spelling.")
    appoinmentPerDay: int | None = None
    allowBookingAfter: float | None = None
    allowBookingAfterUnit: AfterUnit | None = None
    allowBookingFor: float | None = None
    allowBookingForUnit: ForUnit | None = None
    openHours: list[OpenHour] | None = None
    enableRecurring: bool | None = None
    recurring: Recurring | None = None
    formId: str | None = None
    stickyContact: bool | None = None
    isLivePaymentMode: bool | None = None
    autoConfirm: bool | None = None
    shouldSendAlertEmailsToAssignedMember: bool | None = None
    alertEmail: str | None = None
    googleInvitationEmails: bool | None = None
    allowReschedule: bool | None = None
    allowCancellation: bool | None = None
    shouldAssignContactToTeamMember: bool | None = None
    shouldSkipAssigningContactForExisting: bool | None = None
    notes: str | None = None
    pixelId: str | None = None
    formSubmitType: Literal["RedirectURL", "ThankYouMessage"] | None = None
    formSubmitRedirectURL: str | None = None
    formSubmitThanksMessage: str | None = None
    availabilityType: Literal[0, 1] | None = None
    guestType: Literal["count_only", "collect_detail"] | None = None
    consentLabel: str | None = None
    calendarCoverImage: str | None = None
    lookBusyConfig: LookBusyConfig | None = None
    notifications: list[CalendarNotification] = Field(
        default_factory=new_list,
        description="Confirmations, reminders and follow-ups, matched by (notificationType, channel, receiverType).",
    )

    @model_validator(mode="after")
    def _one_group(self) -> Calendar:
        if self.group is not None and self.groupId is not None:
            raise ValueError("set group (by name) or groupId, not both")
        return self


# `group` is derived from groupId; GHL's calendar objects carry a `notifications` key of their own (the older
# embedded shape, CalendarNotification in calendars.json) that is not the notifications API's objects.
_MODEL_FIELDS = frozenset(Calendar.model_fields) - {"renamedFrom", "ignoreChanges", "protect", "group", "notifications"}

# CalendarCreateDTO's documented defaults: what GHL fills in when a create leaves them out (exports drop them).
CALENDAR_DEFAULTS: Mapping[str, Any] = {
    "isActive": True,
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
# TeamMember: priority is documented as 0.5 by default; isPrimary is false unless a member is made primary; a
# member added without a meeting location gets one of kind custom with an empty location (recorded answers).
TEAM_MEMBER_DEFAULTS: Mapping[str, Any] = {
    "priority": 0.5,
    "isPrimary": False,
    "locationConfigurations": [{"kind": "custom", "location": ""}],
}
# What recorded answers show in `recurring` of a calendar that never set recurrence (after the keys the manifest
# model doesn't know are left out).
RECURRING_DEFAULTS: Mapping[str, Any] = {"freq": "DAILY", "count": 1, "bookingOption": "skip"}
# A widget slug GHL generated (<name>-<uuid>) rather than one a user chose.
_GENERATED_WIDGET_SLUG = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Calendars(Kind[Calendar]):
    name = "calendars"
    label = "calendar"
    model = Calendar
    immutable = frozenset({"calendarType"})
    unordered = frozenset({"teamMembers"})
    # GHL's list items carry no `slug` (only a generated `widgetSlug`): a manifest slug is sent on create and
    # update, and compared only if GHL ever returns it, so it is never a perpetual diff.
    compared_when_present = frozenset({"slug"})
    delete_warning = "booking links stop working and its appointments lose their calendar"
    section_description = "Calendars."
    document_order = 50
    stored_as = "calendar"
    references = (
        Reference(("teamMembers", "*", "user"), "users", "team member"),
        Reference(("group",), GROUPS, "group"),
    )
    id_references = (("groupId", GROUPS),)
    children = frozenset({"notifications"})
    export_defaults = CALENDAR_DEFAULTS
    # Ids of forms, which ghlops does not manage, and of groups when named by id (`group` names them portably).
    location_references = ("groupId", "formId")

    def list_request(self, location_id: str) -> Request:
        return Request("GET", ("/calendars/",), version=VERSION_CALENDARS, params=(("locationId", location_id),))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return expect_list(body, "calendars")

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # Real list items hold values the documents don't type ("appoinmentPerDay": "", "openHours": {} when
        # unset, `recurring` with interval/monthDays/weekDays): kept as sent by the tolerant reader.
        data = {k: v for k, v in raw.items() if k in _MODEL_FIELDS and v is not None and k != "teamMembers"}
        data["name"] = require_str(raw, "name")
        members = raw.get("teamMembers")
        if isinstance(members, list):
            data["teamMembers"] = [_member_from_live(m, resolver) for m in members if isinstance(m, Mapping)]
        group_id = raw.get("groupId")
        if isinstance(group_id, str) and group_id:
            # A calendar that left its group holds groupId "" (the sandbox's, and the document's, way to leave).
            # A group no read knows (another location's, or groups not read) still shows, so the diff is honest.
            data["group"] = group_name(resolver, group_id) or f"id:{group_id}"
        return data

    def referenced(self, entry: Calendar) -> Iterator[Found]:
        # `group: ""` names no group: the calendar is out of any.
        return (f for f in super().referenced(entry) if f.value or f.reference.target != GROUPS)

    def compare_value(self, field_name: str, desired: Calendar, resolver: Resolver) -> Any:
        value = plain(getattr(desired, field_name))
        if field_name == "teamMembers" and value is not None:
            return sorted(({**m, "user": m["user"].casefold()} for m in value), key=lambda m: str(m["user"]))
        if field_name == "group":
            # Names match case-insensitively, like every natural key; "" (no group) is what a calendar without one
            # reads as.
            return value.casefold() or None if isinstance(value, str) else None
        return value

    def _wire(
        self, desired: Calendar, fields: Sequence[str], resolver: Resolver, live: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The body for ``fields``; on an update, laid over the live values so nothing unmanaged is reset."""
        body: dict[str, Any] = {}
        for f in fields:
            value = plain(getattr(desired, f))
            if f in self.children:
                continue  # planned by their own kind
            if f == "group":
                # The group's id (a ref when the same apply creates it); leaving a group sends "" (null is not a
                # string in CalendarUpdateDTO).
                body["groupId"] = resolver.ref(GROUPS, value.casefold()) if value else ""
                continue
            if f == "teamMembers" and value is not None:
                value = _team_to_wire(value, live.get("teamMembers") if live else None, resolver)
            elif live is not None and isinstance(value, dict | list):
                # GHL replaces nested settings whole (recurring, lookBusyConfig, ...): keep its other keys.
                value = overlay(live.get(f), value)
            body[f] = value
        return body

    def create_request(self, location_id: str, desired: Calendar, resolver: Resolver) -> Request:
        fields = [f for f in desired.managed_fields() if f != "group" or desired.group]
        body = {"locationId": location_id, **self._wire(desired, fields, resolver)}
        return Request("POST", ("/calendars/",), version=VERSION_CALENDARS, body=body, id_field=("calendar", "id"))

    def update_request(
        self, location_id: str, live: LiveObject[Calendar], desired: Calendar, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        # The update DTO has neither calendarType nor locationId; sending them is a 422.
        send = [f for f in fields if f not in self.immutable]
        body = self._wire(desired, send, resolver, live.raw)
        return Request("PUT", ("/calendars/", live.id), version=VERSION_CALENDARS, body=body)

    def delete_request(self, location_id: str, live: LiveObject[Calendar]) -> Request:
        return Request("DELETE", ("/calendars/", live.id), version=VERSION_CALENDARS)

    def export_entry(self, data: dict[str, Any], live: LiveObject[Calendar], notes: list[str]) -> Any:
        for key in [k for k, v in data.items() if v == []]:
            del data[key]  # GHL lists unset arrays (teamMembers, openHours...) as []
        if str(data.get("group", "")).startswith("id:"):
            del data["group"]  # a group no read knows: its id stays (a clone leaves it out, with a note)
        elif data.get("group") is not None or data.get("groupId") == "":
            data.pop("groupId", None)  # named by `group`, or no group at all
        widget = data.get("widgetSlug")
        if widget is not None and (widget == data.get("slug") or _GENERATED_WIDGET_SLUG.search(str(widget))):
            del data["widgetSlug"]  # GHL derives or generates the widget slug; GHL's lists carry no `slug`
        if data.get("recurring") == RECURRING_DEFAULTS:
            del data["recurring"]
        members = data.get("teamMembers")
        if isinstance(members, list):
            for member in members:
                for key, default in TEAM_MEMBER_DEFAULTS.items():
                    if key in member and _same(member[key], default):
                        del member[key]
                if str(member.get("user", "")).startswith("id:"):
                    notes.append(
                        f"calendar {data['name']!r}: team member {member['user'][3:]} is not a user of this "
                        "company that ghlops can see; it is exported by id and validate will reject it"
                    )
            members.sort(key=lambda m: str(m.get("user", "")).casefold())
        return data


def _same(value: Any, default: Any) -> bool:
    # True == 1 in Python; a default is only matched by a value of the same kind.
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _member_from_live(raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    member: dict[str, Any] = {"user": resolver.user_email(str(raw.get("userId", "")))}
    for name in ("priority", "isPrimary", "locationConfigurations"):
        if raw.get(name) is not None:
            member[name] = raw[name]
    return member


# Keys of a team member and of its meeting locations that GHL returns and ghlops doesn't model: `selected`,
# `isZoomAdded`, `zoomOauthId`, `meetingLocation` on the member, `position`, `zoomOauthId`, `meetingId` on
# each location configuration. GHL's PUT replaces the whole team, so they are sent back as GHL gave them;
# dropping them would unlink the calendar from Zoom (issue #9, recorded real answers).
def _team_to_wire(members: Sequence[Mapping[str, Any]], live_members: Any, resolver: Resolver) -> list[dict[str, Any]]:
    by_user: dict[str, Mapping[str, Any]] = {}
    if isinstance(live_members, list):
        for m in live_members:
            if isinstance(m, Mapping) and isinstance(m.get("userId"), str):
                by_user.setdefault(m["userId"], m)
    wire = []
    for member in members:
        user = resolver.user_ref(str(member["user"]))
        own = {k: v for k, v in member.items() if k != "user"}
        live = by_user.get(user) if isinstance(user, str) else None
        if live is None:
            wire.append({"userId": user, **own})
            continue
        merged = {**live, **{k: v for k, v in own.items() if k != "locationConfigurations"}, "userId": user}
        if "locationConfigurations" in own:
            merged["locationConfigurations"] = _configs_to_wire(
                own["locationConfigurations"], live.get("locationConfigurations")
            )
        wire.append(merged)
    return wire


def _configs_to_wire(desired: Any, live: Any) -> Any:
    """Each desired meeting location over the live one of the same kind (in order), keeping GHL's extras."""
    if not isinstance(desired, list) or not isinstance(live, list):
        return desired
    unused = [c for c in live if isinstance(c, Mapping)]
    out = []
    for config in desired:
        match = next((c for c in unused if c.get("kind") == config.get("kind")), None)
        if match is None:
            out.append(config)
        else:
            unused.remove(match)
            out.append({**match, **config})
    return out


KIND = Calendars()
