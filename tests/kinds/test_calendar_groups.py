"""Calendar groups: the model, the mapping to /calendars/groups, and calendars naming their group."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds.base import Resolver
from ghlops.kinds.calendar_groups import KIND as GROUPS
from ghlops.kinds.calendar_groups import CalendarGroup, group_name
from ghlops.kinds.calendars import KIND as CALENDARS
from ghlops.kinds.calendars import Calendar
from ghlops.plan.model import Action
from ghlops.plan.planner import plan_location
from ghlops.request import Ref
from ghlops.state import LocationDesired, LocationLive

LOC = "loc1"
V = "2021-04-15"


def _group(**raw: object) -> object:
    return GROUPS.live({"id": "g1", "locationId": LOC, "name": "Dental Care", "description": "", "slug": "dental",
                        "isActive": True, **raw}, Resolver())  # fmt: skip


def test_a_create_sends_the_four_required_keys_making_slug_and_description_when_left_out() -> None:
    request = GROUPS.create_request(LOC, CalendarGroup(name="Dental Care!"), Resolver())
    assert (request.method, request.path, request.version) == ("POST", ("/calendars/groups",), V)
    assert request.body == {"locationId": LOC, "name": "Dental Care!", "description": "", "slug": "dental-care"}
    assert request.binds == Ref("calendarGroups", "dental care!") and request.id_field == ("group", "id")
    inactive = GROUPS.create_request(LOC, CalendarGroup(name="S", slug="s", isActive=False), Resolver())
    assert inactive.body == {"locationId": LOC, "name": "S", "description": "", "slug": "s", "isActive": False}


def test_is_active_goes_through_the_status_endpoint_and_the_group_put_sends_the_whole_group() -> None:
    live = _group()
    wanted = CalendarGroup(name="Dental Care", description="Checkups", isActive=False)
    only_status = GROUPS.update_requests(LOC, live, wanted, ["isActive"], Resolver())  # type: ignore[arg-type]
    assert [(r.method, r.path, r.body) for r in only_status] == [
        ("PUT", ("/calendars/groups/", "g1", "/status"), {"isActive": False})
    ]
    both = GROUPS.update_requests(LOC, live, wanted, ["description", "isActive"], Resolver())  # type: ignore[arg-type]
    assert [(r.path, r.body) for r in both] == [
        # The slug the manifest doesn't set keeps GHL's value: GroupUpdateDTO requires all three.
        (("/calendars/groups/", "g1"), {"name": "Dental Care", "description": "Checkups", "slug": "dental"}),
        (("/calendars/groups/", "g1", "/status"), {"isActive": False}),
    ]


def test_null_slug_or_status_is_refused_since_ghl_always_holds_one() -> None:
    with pytest.raises(ValidationError, match="slug cannot be null"):
        CalendarGroup.model_validate({"name": "G", "slug": None})


def test_a_missing_description_plans_no_change_against_the_empty_one_a_create_sent() -> None:
    desired = LocationDesired(name="l", location_id=LOC, entries={"calendarGroups": [
        CalendarGroup.model_validate({"name": "dental care", "description": None})]})  # fmt: skip
    live = LocationLive(location_id=LOC, objects={"calendarGroups": [_group()]})  # type: ignore[list-item]
    section = plan_location(desired, live, Resolver())
    assert [(c.action, [f.field for f in c.fields]) for c in section.changes] == [(Action.UPDATE, ["name"])]


def test_a_read_records_each_group_name_so_calendars_read_back_by_name() -> None:
    resolver = Resolver()
    GROUPS.live({"id": "g1", "name": "Dental Care", "slug": "d", "description": ""}, resolver)
    assert group_name(resolver, "g1") == "Dental Care"
    grouped = CALENDARS.live({"id": "c1", "name": "Cleaning", "groupId": "g1"}, resolver)
    other = CALENDARS.live({"id": "c2", "name": "Elsewhere", "groupId": "g9"}, resolver)
    left = CALENDARS.live({"id": "c3", "name": "Left", "groupId": ""}, resolver)
    assert (grouped.obj.group, other.obj.group, left.obj.group) == ("Dental Care", "id:g9", None)
    assert grouped.obj.groupId == "g1"


def test_a_calendar_names_its_group_by_ref_by_live_id_or_leaves_it_with_an_empty_group_id() -> None:
    resolver = Resolver(ids={("calendarGroups", "dental care"): "g1"})
    live = CALENDARS.live({"id": "c1", "name": "Cleaning", "groupId": "g1"}, resolver)
    new_group = CALENDARS.create_request(LOC, Calendar(name="A", group="Surgery"), resolver)
    assert new_group.body["groupId"] == Ref("calendarGroups", "surgery")
    existing = CALENDARS.update_request(LOC, live, Calendar(name="Cleaning", group="DENTAL care"), ["group"], resolver)
    assert existing.body == {"groupId": "g1"}
    leaving = CALENDARS.update_request(LOC, live, Calendar(name="Cleaning", group=""), ["group"], resolver)
    assert leaving.body == {"groupId": ""}
    assert "groupId" not in CALENDARS.create_request(LOC, Calendar(name="B", group=""), resolver).body
    assert [f.value for f in CALENDARS.referenced(Calendar(name="B", group=""))] == []


def test_a_calendar_setting_both_group_and_group_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="set group \\(by name\\) or groupId, not both"):
        Calendar(name="C", group="G", groupId="g1")


def test_a_group_delete_is_planned_after_the_calendars_that_leave_it() -> None:
    resolver = Resolver()
    groups = [GROUPS.live({"id": "g1", "name": "Surgery", "slug": "s", "description": ""}, resolver)]
    calendars = [CALENDARS.live({"id": "c1", "name": "Implant", "groupId": "g1"}, resolver)]
    desired = LocationDesired(
        name="l",
        location_id=LOC,
        prune=frozenset({"calendarGroups"}),
        entries={"calendarGroups": [], "calendars": [Calendar(name="Implant", group="")]},
    )
    live = LocationLive(location_id=LOC, objects={"calendarGroups": groups, "calendars": calendars})
    section = plan_location(desired, live, Resolver())
    assert [(c.action, c.kind, c.display) for c in section.changes] == [
        (Action.UPDATE, "calendars", "Implant"),
        (Action.DELETE, "calendarGroups", "Surgery"),
    ]
    assert section.changes[0].requests[0].body == {"groupId": ""}
    # The calendar leaves it: no warning beyond the kind's own, and no error.
    assert section.changes[1].warnings == (
        "deleting a calendar group its booking page stops working (its calendars stay, ungrouped)",
    )
    assert section.errors == ()


def test_a_group_is_deleted_after_the_calendars_the_same_prune_deletes_naming_those_that_stay() -> None:
    resolver = Resolver()
    groups = [GROUPS.live({"id": "g1", "name": "Surgery", "slug": "s", "description": ""}, resolver)]
    calendars = [
        CALENDARS.live({"id": "c1", "name": "Implant", "groupId": "g1"}, resolver),
        CALENDARS.live({"id": "c2", "name": "Walk-in", "groupId": "g1"}, resolver),
    ]
    desired = LocationDesired(
        name="l",
        location_id=LOC,
        prune=frozenset({"calendarGroups", "calendars"}),
        entries={"calendarGroups": [], "calendars": [Calendar(name="Walk-in", ignoreChanges=["group"])]},
    )
    live = LocationLive(location_id=LOC, objects={"calendarGroups": groups, "calendars": calendars})
    section = plan_location(desired, live, Resolver())
    assert [(c.action, c.display) for c in section.changes] == [(Action.DELETE, "Implant"), (Action.DELETE, "Surgery")]
    # Walk-in stays and leaves its group to GHL (its entry ignores `group`): named on the group's delete.
    assert section.changes[1].warnings[1:] == ("still in it, and no manifest moves them: calendar 'Walk-in'",)
