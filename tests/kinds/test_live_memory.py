"""What a live object holds (issue 15): shared strings and defaults, the same values as before."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from ghlops.kinds import BY_NAME
from ghlops.kinds.base import Resolver, shared_strings, tolerant
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.tags import Tag

ANSWER = '{"id": "t1", "name": "vip", "locationId": "L1", "meta": {"kind": "tag", "list": ["a", {"x": "y"}]}}'


def test_shared_strings_is_equal_to_the_answer_and_shares_its_keys_and_short_values() -> None:
    first, second = json.loads(ANSWER), json.loads(ANSWER)
    a, b = shared_strings(first), shared_strings(second)
    assert a == first and b == second
    assert [k for k in a if any(k is j for j in b)] == list(a)  # every key one object
    assert a["meta"]["kind"] is b["meta"]["kind"]
    assert a["meta"]["list"][1]["x"] is b["meta"]["list"][1]["x"]
    long = "x" * 17
    text = shared_strings(json.loads(json.dumps({"d": long})))["d"]
    assert text == long  # long texts (ids, descriptions) are kept as they are, not interned


def test_live_objects_without_odd_values_share_one_empty_set() -> None:
    tags = BY_NAME["tags"]
    one = tags.live(json.loads(ANSWER), Resolver())
    two = tags.live(json.loads(ANSWER), Resolver())
    assert one.odd == frozenset() and one.odd is two.odd
    assert one.raw == json.loads(ANSWER)


def test_unset_meta_lists_are_one_shared_list_that_refuses_changes() -> None:
    a, b = Tag(name="a"), Tag(name="b")
    assert a.renamedFrom == [] and a.renamedFrom is b.renamedFrom is b.ignoreChanges
    with pytest.raises(TypeError):
        a.renamedFrom.append("old")
    with pytest.raises(TypeError):
        a.ignoreChanges += ["name"]
    for clone in (copy.deepcopy(a), pickle.loads(pickle.dumps(a)), a.model_copy(deep=True)):
        assert clone == a and clone.renamedFrom is a.renamedFrom
    assert a.model_dump()["renamedFrom"] == [] and '"renamedFrom":[]' in a.model_dump_json()
    declared = Tag(name="c", renamedFrom=["old"])
    declared.renamedFrom.append("older")  # a list the manifest wrote is its own
    assert declared.renamedFrom == ["old", "older"] and a.renamedFrom == []


def test_the_tolerant_fallback_fills_defaults_without_marking_them_set() -> None:
    obj, odd = tolerant(Calendar, {"name": "Cleaning", "appoinmentPerDay": "", "calendarType": "event"})
    assert odd == [("appoinmentPerDay",)]
    assert obj.model_fields_set == {"name", "appoinmentPerDay", "calendarType"}
    assert obj.notifications == [] and obj.renamedFrom == [] and obj.protect is False
    assert obj.appoinmentPerDay == ""  # type: ignore[comparison-overlap]
    other, _ = tolerant(Calendar, {"name": "Other", "appoinmentPerDay": ""})
    assert other.notifications is not obj.notifications  # a factory's value per object, as pydantic makes them


def test_live_objects_with_the_same_fields_share_one_fields_set_that_refuses_changes() -> None:
    tags = BY_NAME["tags"]
    one = tags.live({"id": "t1", "name": "a"}, Resolver())
    two = tags.live({"id": "t2", "name": "b"}, Resolver())
    assert one.obj.model_fields_set == {"name"} and one.obj.model_fields_set is two.obj.model_fields_set
    assert one.obj.model_dump(exclude_unset=True) == {"name": "a"}
    copied = one.obj.model_copy()
    assert copied.model_fields_set == {"name"} and copied.model_fields_set is not one.obj.model_fields_set
    assert pickle.loads(pickle.dumps(one.obj)) == one.obj
    with pytest.raises(TypeError):
        one.obj.model_fields_set.add("protect")
    assert two.obj.model_fields_set == {"name"}


def test_declared_entries_and_nested_models_share_fields_sets_too() -> None:
    from ghlops.manifest.model import LocationDocument
    from ghlops.manifest.validation import validate

    spec = {
        "locationId": "L" * 20,
        "tags": ["a", "b"],
        "calendars": [{"name": "C", "teamMembers": [{"user": "a@b.c"}]}, {"name": "D", "teamMembers": []}],
    }
    doc = {"apiVersion": "ghlops/v1", "kind": "Location", "metadata": {"name": "x"}, "spec": spec}
    model, errors = validate(LocationDocument, doc)
    assert errors == [] and model is not None
    first, second = model.spec.tags or []
    assert first.model_fields_set == {"name"} and first.model_fields_set is second.model_fields_set
    one, two = model.spec.calendars or []
    assert one.model_fields_set == two.model_fields_set == {"name", "teamMembers"}
    assert one.model_fields_set is two.model_fields_set
    (member,) = one.teamMembers or []
    assert member.model_fields_set == {"user"}
    with pytest.raises(TypeError):  # a nested model's set is a shared one as well
        member.model_fields_set.add("role")
