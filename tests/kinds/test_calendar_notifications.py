"""Calendar notifications: children of their calendar, the mapping to /calendars/{calendarId}/notifications."""

from __future__ import annotations

from typing import Any

import pytest

from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.calendar_notifications import KIND as NOTIFICATIONS
from ghlops.kinds.calendar_notifications import CalendarNotification
from ghlops.kinds.calendars import KIND as CALENDARS
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.registry import flatten
from ghlops.plan.model import Action
from ghlops.plan.planner import plan_location
from ghlops.request import Ref
from ghlops.state import LocationDesired, LocationLive

LOC = "loc1"
JANE = "u-jane"


def _resolver() -> Resolver:
    resolver = Resolver()
    resolver.add("users", "jane@example.com", JANE)
    return resolver


def _calendar() -> LiveObject[Any]:
    return CALENDARS.live({"id": "c1", "name": "Cleaning"}, Resolver())


def _live(raw: dict[str, Any], resolver: Resolver | None = None) -> LiveObject[CalendarNotification]:
    parent = _calendar()
    found = NOTIFICATIONS.live(NOTIFICATIONS.attach(raw, parent), resolver or _resolver())
    NOTIFICATIONS.adopt_parent(found.obj, parent)
    return found


def _notification(**fields: Any) -> CalendarNotification:
    base = {"notificationType": "reminder", "channel": "sms", "receiverType": "contact"}
    return CalendarNotification.model_validate({**base, **fields}).with_calendar("Cleaning")


def test_the_list_is_one_call_per_calendar_without_limit_or_skip() -> None:
    request = NOTIFICATIONS.list_page(LOC, 0, _calendar())
    assert (request.method, request.path, request.params) == ("GET", ("/calendars/", "c1", "/notifications"), ())
    assert NOTIFICATIONS.page_size is None


def test_soft_deleted_notifications_are_not_live_and_a_non_array_answer_is_refused() -> None:
    body = [{"_id": "n1", "deleted": False}, {"_id": "n2", "deleted": True}, {"_id": "n3"}]
    assert [r["_id"] for r in NOTIFICATIONS.parse_list(body)] == ["n1", "n3"]
    with pytest.raises(ValueError, match="expected an array of notifications, got dict"):
        NOTIFICATIONS.parse_list({"notifications": []})


def test_the_natural_key_is_type_channel_and_receiver_within_the_calendar() -> None:
    live = _live({"_id": "n1", "notificationType": "reminder", "channel": "sms", "receiverType": "contact",
                  "altId": "c1", "altType": "calendar", "isActive": True, "deleted": False})  # fmt: skip
    assert (NOTIFICATIONS.key(live.obj), NOTIFICATIONS.display(live.obj)) == (
        "cleaning/reminder/sms/contact",
        "Cleaning/reminder/sms/contact",
    )
    assert NOTIFICATIONS.key(_notification()) == NOTIFICATIONS.key(live.obj)
    assert NOTIFICATIONS.find_again("cleaning/reminder/sms/contact", [live]) is live


def test_a_create_posts_an_array_of_one_under_its_calendar_with_users_by_id() -> None:
    wanted = _notification(channel="inApp", receiverType="business", selectedUsers=["Jane@Example.com",
                           "sub_account_admin"], beforeTime=[{"timeOffset": 1, "unit": "hours"}])  # fmt: skip
    request = NOTIFICATIONS.create_request(LOC, wanted, _resolver())
    assert request.path == ("/calendars/", Ref("calendars", "cleaning"), "/notifications")
    assert request.body == [{"notificationType": "reminder", "channel": "inApp", "receiverType": "business",
                             "beforeTime": [{"timeOffset": 1, "unit": "hours"}],
                             "selectedUsers": [JANE, "sub_account_admin"]}]  # fmt: skip
    assert NOTIFICATIONS.parent_of_create(request.resolve(lambda ref: "c1")) == "c1"


def test_selected_users_read_back_as_emails_compare_unordered_and_the_keyword_is_no_reference() -> None:
    live = _live({"_id": "n1", "notificationType": "reminder", "channel": "sms", "receiverType": "contact",
                  "selectedUsers": ["sub_account_admin", JANE, "u-gone"]})  # fmt: skip
    assert live.obj.selectedUsers == ["sub_account_admin", "jane@example.com", "id:u-gone"]
    wanted = _notification(selectedUsers=["JANE@example.com", "sub_account_admin"])
    assert [f.value for f in NOTIFICATIONS.referenced(wanted)] == ["JANE@example.com"]
    compared = NOTIFICATIONS.compare_value("selectedUsers", wanted, _resolver())
    assert compared == ["jane@example.com", "sub_account_admin"]


def test_an_update_sends_only_what_changes_to_the_notification_of_its_calendar() -> None:
    live = _live({"_id": "n1", "notificationType": "reminder", "channel": "sms", "receiverType": "contact",
                  "body": "old"})  # fmt: skip
    request = NOTIFICATIONS.update_request(LOC, live, _notification(body="new"), ["body"], _resolver())
    assert (request.method, request.path, request.body) == (
        "PUT", ("/calendars/", "c1", "/notifications/", "n1"), {"body": "new"}
    )  # fmt: skip
    delete = NOTIFICATIONS.delete_request(LOC, live)
    assert (delete.method, delete.path, delete.body) == ("DELETE", ("/calendars/", "c1", "/notifications/", "n1"), None)


def test_from_fields_ghl_does_not_answer_are_sent_but_never_a_perpetual_diff() -> None:
    desired = Calendar(name="Cleaning", notifications=[_notification(fromName="Dr Smile", body="b")])
    entries = flatten("calendars", [desired])
    live_one = _live({"_id": "n1", "notificationType": "reminder", "channel": "sms", "receiverType": "contact",
                      "body": "b"})  # fmt: skip
    state = LocationLive(location_id=LOC, objects={"calendars": [_calendar()], "calendarNotifications": [live_one]})
    section = plan_location(LocationDesired(name="l", location_id=LOC, entries=entries), state, _resolver())
    assert section.changes == ()


def test_notifications_are_pruned_with_the_calendars_section_and_are_unmanaged_otherwise() -> None:
    live_one = _live({"_id": "n1", "notificationType": "booked", "channel": "email", "receiverType": "guest"})
    state = LocationLive(location_id=LOC, objects={"calendars": [_calendar()], "calendarNotifications": [live_one]})
    entries = flatten("calendars", [Calendar(name="Cleaning")])
    kept = plan_location(LocationDesired(name="l", location_id=LOC, entries=entries), state, _resolver())
    assert kept.changes == ()
    assert [(u.kind, u.keys) for u in kept.unmanaged] == [("calendarNotifications", ("Cleaning/booked/email/guest",))]
    pruned = plan_location(
        LocationDesired(name="l", location_id=LOC, entries=entries, prune=frozenset({"calendars"})), state, _resolver()
    )
    assert [(c.action, c.display) for c in pruned.changes] == [(Action.DELETE, "Cleaning/booked/email/guest")]


def test_a_replaced_calendars_notifications_are_created_again_under_its_ref_and_never_deleted() -> None:
    # Its live calendar is an event; the manifest makes it a class: a replace (calendarType cannot change in place).
    calendar = CALENDARS.live({"id": "c1", "name": "Cleaning", "calendarType": "event"}, Resolver())
    kept = _live({"_id": "n1", "notificationType": "reminder", "channel": "sms", "receiverType": "contact",
                  "body": "b"})  # fmt: skip
    dropped = _live({"_id": "n2", "notificationType": "booked", "channel": "email", "receiverType": "guest"})
    state = LocationLive(location_id=LOC, objects={"calendars": [calendar], "calendarNotifications": [kept, dropped]})
    entries = flatten("calendars", [Calendar(name="Cleaning", calendarType="class_booking",
                                             notifications=[_notification(body="b")])])  # fmt: skip
    desired = LocationDesired(name="l", location_id=LOC, entries=entries, prune=frozenset({"calendars"}))
    section = plan_location(desired, state, _resolver())
    assert [(c.action, c.display) for c in section.changes] == [
        (Action.REPLACE, "Cleaning"),
        (Action.CREATE, "Cleaning/reminder/sms/contact"),
    ]
    create = section.changes[1]
    assert create.parent == Ref("calendars", "cleaning") == section.changes[0].creates
    assert create.requests[0].path == ("/calendars/", Ref("calendars", "cleaning"), "/notifications")


def test_a_creates_id_is_the_answer_item_with_the_natural_key_it_sent() -> None:
    request = NOTIFICATIONS.create_request(LOC, _notification(body="b"), _resolver())
    # It binds its own ref: the executor takes it for a create (re-read before a resend, its id recorded).
    assert request.binds == Ref("calendarNotifications", "cleaning/reminder/sms/contact")
    answer = [
        {"_id": "n1", "notificationType": "reminder", "channel": "email", "receiverType": "contact"},
        {"_id": "n2", "notificationType": "reminder", "channel": "sms", "receiverType": "contact"},
    ]
    assert NOTIFICATIONS.created_id(request, answer) == "n2"
    assert NOTIFICATIONS.created_id(request, answer[:1]) is None
    assert NOTIFICATIONS.created_id(request, {"_id": "n2"}) is None


def test_notifications_are_read_only_under_declared_calendars_and_their_earlier_names() -> None:
    from ghlops.live import children_to_read, declared_parents

    entries = flatten("calendars", [Calendar(name="Cleaning"), Calendar(name="Surgery", renamedFrom=["Implants"])])
    declared = declared_parents(LocationDesired(name="l", location_id=LOC, entries=entries))
    assert declared == {"calendars": frozenset({"cleaning", "surgery", "implants"})}
    live = [CALENDARS.live({"id": f"c{i}", "name": n}, Resolver()) for i, n in enumerate(["CLEANING", "Implants",
                                                                                       "Walk-ins"])]  # fmt: skip
    assert [p.id for p in children_to_read(NOTIFICATIONS, live, declared)] == ["c0", "c1"]
    # Without a manifest (export) every calendar's are read.
    assert [p.id for p in children_to_read(NOTIFICATIONS, live, None)] == ["c0", "c1", "c2"]


def test_a_calendar_renamed_in_place_keeps_its_notifications_matched_under_the_new_name() -> None:
    kept = _live({"_id": "n1", "notificationType": "reminder", "channel": "sms", "receiverType": "contact",
                  "body": "b"})  # fmt: skip
    state = LocationLive(location_id=LOC, objects={"calendars": [_calendar()], "calendarNotifications": [kept]})
    notification = _notification(body="b").with_calendar("Deep Cleaning")
    entries = flatten("calendars", [Calendar(name="Deep Cleaning", renamedFrom=["Cleaning"],
                                             notifications=[notification])])  # fmt: skip
    desired = LocationDesired(name="l", location_id=LOC, entries=entries, prune=frozenset({"calendars"}))
    section = plan_location(desired, state, _resolver())
    assert [(c.action, c.display, c.reason) for c in section.changes] == [
        (Action.UPDATE, "Deep Cleaning", "renamed from 'Cleaning'")
    ]
    assert kept.obj.calendar_name == "Cleaning"  # the live object read is left as it was
