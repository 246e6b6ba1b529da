"""kinds/calendars.py: team members by email (ids on the wire), one group by name or id, Version 2021-04-15 on
every call, and the export leaving out what GHL generates."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds import CALENDARS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.calendars import VERSION_CALENDARS, Calendar
from ghlops.request import Ref, Request


def test_team_member_priority_is_zero_half_or_one() -> None:
    assert Calendar.model_validate({"name": "c", "teamMembers": [{"user": "a@b.co", "priority": 0.5}]})
    with pytest.raises(ValidationError, match=r"priority 2\.0 is not one of 0, 0\.5, 1"):
        Calendar.model_validate({"name": "c", "teamMembers": [{"user": "a@b.co", "priority": 2}]})


def test_a_calendar_names_its_group_by_name_or_by_id_not_both() -> None:
    with pytest.raises(ValidationError, match="set group \\(by name\\) or groupId, not both"):
        Calendar.model_validate({"name": "c", "group": "Dental", "groupId": "g1"})


def test_calendar_team_members_read_back_as_emails() -> None:
    resolver = Resolver(user_email_by_id={"u1": "jane@x.com"})
    raw = {"id": "c1", "name": "Cal", "teamMembers": [{"userId": "u1", "priority": 1}, {"userId": "zz"}]}
    cal = CALENDARS.live(raw, resolver).obj
    assert [m.user for m in cal.teamMembers or []] == ["jane@x.com", "id:zz"]


def test_calendar_writes_send_user_ids_or_refs_for_users_created_in_the_same_run() -> None:
    resolver = Resolver(user_id_by_email={"jane@x.com": "u1"})
    cal = Calendar.model_validate(
        {
            "name": "C",
            "calendarType": "event",
            "teamMembers": [{"user": "Jane@x.com"}, {"user": "new@x.com", "priority": 1}],
        }
    )
    body = CALENDARS.create_request("L1", cal, resolver).body
    assert body["teamMembers"] == [{"userId": "u1"}, {"userId": Ref("users", "new@x.com"), "priority": 1.0}]
    live = LiveObject("c1", Calendar(name="C"), {"id": "c1"})
    update = CALENDARS.update_request("L1", live, cal, ["calendarType", "teamMembers"], resolver)
    assert "calendarType" not in update.body and "locationId" not in update.body
    assert update.version == "2021-04-15"


def test_every_calendar_call_carries_the_calendars_version() -> None:
    live = LiveObject("c1", Calendar(name="C"), {"id": "c1"})
    assert CALENDARS.list_request("L1") == Request(
        "GET", ("/calendars/",), version=VERSION_CALENDARS, params=(("locationId", "L1"),)
    )
    assert CALENDARS.delete_request("L1", live) == Request("DELETE", ("/calendars/", "c1"), version=VERSION_CALENDARS)
    assert CALENDARS.create_request("L1", Calendar(name="C"), Resolver()).version == VERSION_CALENDARS


def test_the_export_leaves_out_generated_slugs_and_empty_lists_and_sorts_members() -> None:
    live = LiveObject("c1", Calendar(name="C"), {"id": "c1"})
    data = {
        "name": "C",
        "widgetSlug": "c-0123abcd-0123-4567-89ab-0123456789ab",
        "openHours": [],
        "teamMembers": [{"user": "omar@x.com"}, {"user": "Jane@x.com"}],
    }
    notes: list[str] = []
    assert CALENDARS.export_entry(data, live, notes) == {
        "name": "C",
        "teamMembers": [{"user": "Jane@x.com"}, {"user": "omar@x.com"}],
    }
    assert notes == []


def test_a_team_member_no_read_knows_is_exported_by_id_with_a_note() -> None:
    live = LiveObject("c1", Calendar(name="C"), {"id": "c1"})
    notes: list[str] = []
    CALENDARS.export_entry({"name": "C", "teamMembers": [{"user": "id:zz"}]}, live, notes)
    assert notes == [
        "calendar 'C': team member zz is not a user of this company that ghlops can see; it is exported by id and "
        "validate will reject it"
    ]
