"""Calendar Notifications API (calendars.json, "Calendar Notifications"): a calendar's confirmations and reminders.

Notifications are children of their calendar (stored with it as parent, so deleting the calendar deletes them).
What the documents say, and where the sandbox has to guess:
- ``POST /calendars/{calendarId}/notifications`` takes a JSON *array* of CreateCalendarNotificationDTO ("either
  one or multiple ... for single calendar only") and answers 200 with the created notifications, as an array;
  each needs ``receiverType``, ``channel`` and ``notificationType``. An item's validation messages carry its
  index, "[0] channel must be one of ...", as NestJS's ParseArrayPipe words them, and a body that is not an
  array is "Validation failed (parsable array expected)" (OUR GUESS that GHL validates arrays with that pipe);
- answers are CalendarNotificationResponseDTO: the id is ``_id`` (a Mongo id), ``isActive`` defaults to true and
  ``deleted`` to false; the calendar is named ``altId`` with ``altType: "calendar"``, the fields GHL's list
  filters on (GoHighLevel/highlevel-api-docs #3: a list call sends ``altType=calendar``);
- the list is a bare array (no wrapper object), filtered by ``isActive`` and ``deleted`` and paged by
  ``skip``/``limit`` (default 100). Deleting is soft: UpdateCalendarNotificationsDTO documents ``deleted`` as
  "soft delete", so DELETE marks the notification deleted and lists leave it out unless ``deleted=true``;
- update and delete answer ``{"message": ...}`` (CalendarNotificationDeleteResponseDTO; the texts are OUR GUESS);
- ``selectedUsers`` holds user ids or the keyword ``sub_account_admin`` (the DTO's description); an id that is
  not a user of the location is refused (OUR GUESS: GHL publishes no such check or wording).
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox.dto.calendar_notifications import SUB_ACCOUNT_ADMIN, CreateNotification, UpdateNotification
from ghlops.sandbox.replies import HttpError, Reply, bad_request, not_found, unprocessable
from ghlops.sandbox.routes.calendar_groups import store_name
from ghlops.sandbox.routing import Call, Route, owner_of
from ghlops.sandbox.store import JsonObject, Kind
from ghlops.sandbox.validation import compact, parse

NOTIFICATION = store_name("calendarNotification")
# The list's documented default page size (calendars.json, get-event-notification ``limit``).
DEFAULT_LIMIT = 100
# What a create fills in for properties it leaves out (the DTO's declared defaults).
NOTIFICATION_DEFAULTS: JsonObject = {"isActive": True, "deleted": False}
UPDATED = {"message": "Notification updated successfully"}  # OUR GUESS: the wording
DELETED = {"message": "Notification deleted successfully"}  # OUR GUESS: the wording


def _calendar(call: Call) -> JsonObject:
    stored = call.store.get(Kind.CALENDAR, call.params["calendarId"])
    if stored is None:
        raise not_found("Calendar not found")
    return stored.data


def _notification(call: Call) -> tuple[JsonObject, JsonObject]:
    """The calendar in the path and its notification (one of another calendar is not found)."""
    calendar = _calendar(call)
    stored = call.store.get(NOTIFICATION, call.params["notificationId"])
    if stored is None or stored.parent != calendar["id"]:
        raise not_found("Notification not found")  # OUR GUESS: the wording
    return calendar, stored.data


def _check_selected_users(call: Call, location_id: str, selected: list[str], prefix: str = "") -> None:
    location = call.store.location(location_id)
    company = location.company_id if location else call.company_id
    users = call.store.find(Kind.USER, owner=company)
    with_access = {u["id"] for u in users if location_id in u["roles"]["locationIds"]}
    problems = [
        f"{prefix}selectedUsers.{index} {user_id} is not a user with access to location {location_id}"
        for index, user_id in enumerate(selected)
        if user_id != SUB_ACCOUNT_ADMIN and user_id not in with_access
    ]
    if problems:
        raise unprocessable(problems)


def _parse_items(body: Any) -> list[CreateNotification]:
    if not isinstance(body, list):
        raise bad_request("Validation failed (parsable array expected)")
    items: list[CreateNotification] = []
    problems: list[str] = []
    for index, item in enumerate(body):
        try:
            items.append(parse(CreateNotification, item))
        except HttpError as exc:
            messages = exc.body["message"]
            problems.extend(f"[{index}] {m}" for m in (messages if isinstance(messages, list) else [messages]))
    if problems:
        raise unprocessable(problems)
    return items


def _bool_arg(call: Call, name: str) -> bool | None:
    raw = call.arg(name)
    if raw is None:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise unprocessable([f"{name} must be a boolean value"])


def list_notifications(call: Call) -> Reply:
    calendar = _calendar(call)
    is_active = _bool_arg(call, "isActive")
    deleted = _bool_arg(call, "deleted") or False
    skip, limit = call.page(default=DEFAULT_LIMIT, maximum=DEFAULT_LIMIT, offset_name="skip")
    found = [
        n
        for n in call.store.find(NOTIFICATION, parent=calendar["id"])
        if n["deleted"] == deleted and (is_active is None or n["isActive"] == is_active)
    ]
    return Reply(200, found[skip : skip + limit])


def get_notification(call: Call) -> Reply:
    return Reply(200, _notification(call)[1])


def create_notifications(call: Call) -> Reply:
    items = _parse_items(call.body)
    with call.store.transaction():
        calendar = _calendar(call)
        location_id = calendar["locationId"]
        for index, item in enumerate(items):
            _check_selected_users(call, location_id, item.selectedUsers or [], f"[{index}] ")
        created = []
        for item in items:
            notification: JsonObject = {
                "_id": call.store.new_id(hex_id=True),
                **compact(item.sent()),
                "altId": calendar["id"],
                "altType": "calendar",
            }
            for key, default in NOTIFICATION_DEFAULTS.items():
                notification.setdefault(key, default)
            call.store.add(NOTIFICATION, notification["_id"], location_id, notification, parent=calendar["id"])
            created.append(notification)
    return Reply(200, created)


def update_notification(call: Call) -> Reply:
    dto = parse(UpdateNotification, call.body)
    sent = dto.sent()
    with call.store.transaction():
        calendar, notification = _notification(call)
        if sent.get("selectedUsers"):
            _check_selected_users(call, calendar["locationId"], sent["selectedUsers"])
        for key, value in sent.items():
            # Partial update; null clears an optional property, or resets it to its default.
            if value is not None:
                notification[key] = compact(value)
            elif key in NOTIFICATION_DEFAULTS:
                notification[key] = NOTIFICATION_DEFAULTS[key]
            elif key not in ("receiverType", "channel", "notificationType"):
                notification.pop(key, None)
        call.store.replace(NOTIFICATION, notification["_id"], notification)
    return Reply(200, UPDATED)


def delete_notification(call: Call) -> Reply:
    with call.store.transaction():
        notification = _notification(call)[1]
        notification["deleted"] = True
        call.store.replace(NOTIFICATION, notification["_id"], notification)
    return Reply(200, DELETED)


_CALENDAR = owner_of(Kind.CALENDAR, "calendarId")
_BASE = "/calendars/{calendarId}/notifications"

ROUTES = (
    Route("GET", _BASE, list_notifications, locate=_CALENDAR),
    Route("POST", _BASE, create_notifications, locate=_CALENDAR),
    Route("GET", f"{_BASE}/{{notificationId}}", get_notification, locate=_CALENDAR),
    Route("PUT", f"{_BASE}/{{notificationId}}", update_notification, locate=_CALENDAR),
    Route("DELETE", f"{_BASE}/{{notificationId}}", delete_notification, locate=_CALENDAR),
)
