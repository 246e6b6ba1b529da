"""Calendar notifications (`/calendars/{calendarId}/notifications`, API Version 2021-04-15): a calendar's
confirmations, reminders and follow-ups, declared in its entry (`calendars[].notifications`).

A notification is matched within its calendar by (notificationType, channel, receiverType). GHL facts
(calendars.json, "Calendar Notifications"; ghlops/sandbox/routes/calendar_notifications.py says what is a guess):
- POST takes an array of CreateCalendarNotificationDTO and answers the created ones as an array: ghlops sends one
  notification per POST (an array of one), so each change stands alone;
- the list answer is a bare array; a list call sends neither `limit` nor `skip` (GoHighLevel/highlevel-api-docs
  #3: GHL's list refuses them);
- DELETE is a soft delete: the notification stays with `deleted: true`, which is not a live object;
- `selectedUsers` holds user ids or the keyword `sub_account_admin`: manifests name users by email (a reference
  to users, like a calendar's team members), and the keyword as it is;
- the answer (CalendarNotificationResponseDTO) lists no fromAddress, fromName or fromNumber: compared only when
  GHL returns them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from ghlops.kinds.base import Entry, Found, Kind, LiveObject, Model, Reference, Resolver, plain, require_str
from ghlops.kinds.calendar_api import VERSION_CALENDARS
from ghlops.request import Ref, Request

#: The keyword selectedUsers takes besides users (CreateCalendarNotificationDTO.selectedUsers).
SUB_ACCOUNT_ADMIN = "sub_account_admin"

NotificationType = Literal["booked", "confirmation", "cancellation", "reminder", "followup", "reschedule"]
Channel = Literal["email", "inApp", "sms", "whatsapp"]
ReceiverType = Literal["contact", "guest", "assignedUser", "emails", "phoneNumbers", "business"]


class Schedule(Model):
    """SchedulesDTO: how long before (a reminder) or after (a follow-up) the appointment."""

    timeOffset: float | None = None
    unit: str | None = Field(default=None, description='e.g. "hours".')


class CalendarNotification(Entry):
    notificationType: NotificationType = Field(description="What the notification is for; part of the natural key.")
    channel: Channel = Field(description="How it is sent; part of the natural key.")
    receiverType: ReceiverType = Field(description="Who receives it; part of the natural key.")
    isActive: bool | None = None
    subject: str | None = None
    body: str | None = None
    templateId: str | None = None
    beforeTime: list[Schedule] | None = Field(default=None, description="When reminders go out.")
    afterTime: list[Schedule] | None = Field(default=None, description="When follow-ups go out.")
    additionalEmailIds: list[str] | None = None
    additionalPhoneNumbers: list[str] | None = None
    selectedUsers: list[str] | None = Field(
        default=None, description=f"Users by email (in-app and business notifications), or {SUB_ACCOUNT_ADMIN!r}."
    )
    fromAddress: str | None = None
    fromName: str | None = None
    fromNumber: str | None = None

    _calendar: str = PrivateAttr(default="")

    def with_calendar(self, calendar: str) -> CalendarNotification:
        self._calendar = calendar
        return self

    @property
    def calendar_name(self) -> str:
        """The name of the calendar this notification belongs to (set by the loader and the reader)."""
        private = self.__pydantic_private__
        return str(private.get("_calendar", "")) if private else ""

    @property
    def own_key(self) -> str:
        return f"{self.notificationType}/{self.channel}/{self.receiverType}"


_FIELDS = tuple(n for n in CalendarNotification.model_fields if n not in ("renamedFrom", "ignoreChanges", "protect"))
_USERS = "users"
#: A notification's natural key within its calendar.
_OWN_KEY = ("notificationType", "channel", "receiverType")


class CalendarNotifications(Kind[CalendarNotification]):
    name = "calendarNotifications"
    label = "calendar notification"
    model = CalendarNotification
    parent = "calendars"
    parent_field = "notifications"
    key_field = "notificationType"
    stored_as = "calendarNotification"
    # The planner plans only managed calendars' notifications: an unmanaged calendar's are never read.
    read_declared_parents_only = True
    references = (Reference(("selectedUsers", "*"), _USERS, "selected user"),)
    unordered = frozenset({"selectedUsers"})
    compared_when_present = frozenset({"fromAddress", "fromName", "fromNumber"})
    # CreateCalendarNotificationDTO: isActive defaults to true.
    export_defaults = {"isActive": True}
    delete_warning = "its contacts and team stop getting this message"

    def key(self, obj: CalendarNotification) -> str:
        return f"{obj.calendar_name}/{obj.own_key}".casefold()

    def display(self, obj: CalendarNotification) -> str:
        return f"{obj.calendar_name}/{obj.own_key}"

    def display_name(self, obj: CalendarNotification) -> str:
        return obj.own_key

    def key_for_name(self, obj: CalendarNotification, name: str) -> str:
        return f"{obj.calendar_name}/{name}".casefold()

    def raw_key(self, entry: Mapping[str, Any]) -> str | None:
        parts = [entry.get(k) for k in _OWN_KEY]
        if not all(isinstance(p, str) for p in parts):
            return None
        return "/".join(str(p) for p in parts).casefold()

    def raw_display(self, entry: Mapping[str, Any]) -> str:
        return "/".join(str(entry.get(k)) for k in _OWN_KEY)

    def referenced(self, entry: CalendarNotification) -> Iterator[Found]:
        # The keyword is not a user.
        return (f for f in super().referenced(entry) if f.value != SUB_ACCOUNT_ADMIN)

    # -- reading ---------------------------------------------------------------------------------------
    def list_page(self, scope_id: str, offset: int, parent: LiveObject[Any] | None = None) -> Request:
        if parent is None:
            raise ValueError("calendar notifications are listed per calendar")
        # No limit/skip (highlevel-api-docs #3); the answer is the whole list, so the reader asks once.
        return Request("GET", ("/calendars/", parent.id, "/notifications"), version=VERSION_CALENDARS)

    def list_request(self, location_id: str) -> Request:
        raise ValueError("calendar notifications are listed per calendar")

    def parse_page(self, body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        return self.parse_list(body), None

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        if not isinstance(body, list):
            raise ValueError(f"expected an array of notifications, got {type(body).__name__}")
        if not all(isinstance(item, Mapping) for item in body):
            raise ValueError("expected notifications to be objects")
        # Soft-deleted notifications are gone (UpdateCalendarNotificationsDTO.deleted: "soft delete").
        return [item for item in body if item.get("deleted") is not True]

    def attach(self, raw: Mapping[str, Any], parent: LiveObject[Any]) -> Mapping[str, Any]:
        # Updates and deletes need the calendar's id in their URL; GHL names it altId (altType "calendar").
        return raw if raw.get("altId") else {**raw, "altId": parent.id}

    def adopt_parent(self, obj: CalendarNotification, parent: LiveObject[Any] | Entry) -> None:
        calendar = parent.obj if isinstance(parent, LiveObject) else parent
        obj.with_calendar(str(getattr(calendar, "name", "")))

    def parent_key(self, obj: CalendarNotification) -> str | None:
        return obj.calendar_name.casefold()

    def parent_of_create(self, create: Request) -> str | None:
        # POST /calendars/{calendarId}/notifications
        calendar = create.path[1] if len(create.path) > 1 else None
        return calendar if isinstance(calendar, str) else None

    def find_again(
        self, key: str, objects: Sequence[LiveObject[CalendarNotification]]
    ) -> LiveObject[CalendarNotification] | None:
        # Read again under the one calendar the create was for: matched by the notification's own key.
        # The last three parts of the key are the notification's own (a calendar's name may hold a "/").
        own = "/".join(key.split("/")[-3:])
        return next((o for o in objects if o.obj.own_key.casefold() == own), None)

    def raw_id(self, raw: Mapping[str, Any]) -> str:
        value = raw.get("_id")
        if not isinstance(value, str) or not value:
            raise ValueError("object without an '_id'")
        return value

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        data = {k: raw[k] for k in _FIELDS if raw.get(k) is not None}
        for name in ("notificationType", "channel", "receiverType"):
            data[name] = require_str(raw, name)
        users = raw.get("selectedUsers")
        if isinstance(users, list):
            data["selectedUsers"] = [_user_from_live(u, resolver) for u in users]
        return data

    def compare_value(self, field_name: str, desired: CalendarNotification, resolver: Resolver) -> Any:
        value = plain(getattr(desired, field_name))
        if field_name == "selectedUsers" and isinstance(value, list):
            return sorted(str(u).casefold() for u in value)
        return value

    # -- writing ---------------------------------------------------------------------------------------
    def _wire(self, desired: CalendarNotification, fields: Sequence[str], resolver: Resolver) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name in fields:
            value = plain(getattr(desired, name))
            if name == "selectedUsers" and isinstance(value, list):
                value = [u if u == SUB_ACCOUNT_ADMIN else resolver.user_ref(str(u)) for u in value]
            body[name] = value
        return body

    def create_request(self, location_id: str, desired: CalendarNotification, resolver: Resolver) -> Request:
        calendar = resolver.ref("calendars", desired.calendar_name.casefold())
        fields = [*("notificationType", "channel", "receiverType"), *desired.managed_fields()]
        item = self._wire(desired, list(dict.fromkeys(fields)), resolver)
        # One notification per POST, as an array of one (the endpoint takes an array). It binds its own ref, so the
        # executor treats it as a create: re-read before any resend, and its new id taken from the answer.
        return Request(
            "POST",
            ("/calendars/", calendar, "/notifications"),
            version=VERSION_CALENDARS,
            body=[item],
            binds=Ref(self.name, self.key(desired)),
        )

    def created_id(self, create: Request, body: Any) -> str | None:
        """The created notification's ``_id``: calendars.json's create-event-notification answers 200 with an array
        of CalendarNotificationResponseDTO (no id field to walk), so the item is found by the natural key sent."""
        if not isinstance(body, list) or not isinstance(create.body, list) or not create.body:
            return None
        sent = create.body[0]
        wanted = tuple(sent.get(k) for k in _OWN_KEY) if isinstance(sent, Mapping) else None
        for item in body:
            if isinstance(item, Mapping) and tuple(item.get(k) for k in _OWN_KEY) == wanted:
                value = item.get("_id")
                return value if isinstance(value, str) and value else None
        return None

    def update_request(
        self,
        location_id: str,
        live: LiveObject[CalendarNotification],
        desired: CalendarNotification,
        fields: Sequence[str],
        resolver: Resolver,
    ) -> Request:
        # UpdateCalendarNotificationsDTO is partial: only what changes is sent.
        return Request(
            "PUT",
            ("/calendars/", _calendar_id(live), "/notifications/", live.id),
            version=VERSION_CALENDARS,
            body=self._wire(desired, fields, resolver),
        )

    def delete_request(self, location_id: str, live: LiveObject[CalendarNotification]) -> Request:
        return Request(
            "DELETE", ("/calendars/", _calendar_id(live), "/notifications/", live.id), version=VERSION_CALENDARS
        )

    # -- exporting -------------------------------------------------------------------------------------
    def export_entry(self, data: dict[str, Any], live: LiveObject[CalendarNotification], notes: list[str]) -> Any:
        for key in [k for k, v in data.items() if v == []]:
            del data[key]  # unset arrays are listed as []
        users = data.get("selectedUsers")
        if isinstance(users, list):
            for user in users:
                if str(user).startswith("id:"):
                    notes.append(
                        f"calendar notification {self.display(live.obj)!r}: selected user {str(user)[3:]} is not a "
                        "user of this company that ghlops can see; it is exported by id and validate will reject it"
                    )
        return data


def _user_from_live(value: Any, resolver: Resolver) -> Any:
    if not isinstance(value, str) or value == SUB_ACCOUNT_ADMIN:
        return value
    return resolver.user_email(value)


def _calendar_id(live: LiveObject[CalendarNotification]) -> str:
    return str(live.raw["altId"])


KIND = CalendarNotifications()
