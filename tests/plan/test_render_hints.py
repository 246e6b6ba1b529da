"""Rename hints (ghlops.plan.hints): which delete + create pairs suggest renamedFrom, and which never do."""

from __future__ import annotations

from ghlops.kinds import CUSTOM_VALUES, TAGS
from ghlops.kinds.base import Resolver
from ghlops.plan.diff import deleted_fields
from ghlops.plan.hints import RenameHint, rename_hints
from ghlops.plan.model import Action, Change, FieldChange, Plan, Section
from ghlops.plan.planner import diff_kind
from ghlops.request import Request


def create(kind: str, key: str, display: str, **fields: object) -> Change:
    return Change(
        Action.CREATE,
        kind,
        key,
        display,
        (Request("POST", ("/x",)),),
        fields=tuple(FieldChange(k, None, v) for k, v in fields.items()),
    )


def delete(kind: str, key: str, display: str, **fields: object) -> Change:
    return Change(
        Action.DELETE,
        kind,
        key,
        display,
        (Request("DELETE", ("/x",)),),
        object_id=f"id-{key}",
        fields=tuple(FieldChange(k, v, None) for k, v in fields.items()),
    )


def hints(*changes: Change) -> tuple[RenameHint, ...]:
    return rename_hints(Plan((Section("dental", "loc-1", changes),))).hints


def test_a_custom_value_deleted_and_created_under_a_new_name_with_the_same_value_is_a_rename() -> None:
    found = hints(
        create("customValues", "opening hours", "Opening Hours", name="Opening Hours", value="9-5"),
        delete("customValues", "hours", "Hours", name="Hours", value="9-5"),
    )
    assert found == (RenameHint("dental", "loc-1", "customValues", "Hours", "Hours", "Opening Hours"),)
    assert found[0].message == "looks like a rename: add renamedFrom: [Hours] to keep the id"


def test_a_different_value_in_any_field_the_new_entry_sets_is_no_rename() -> None:
    assert not hints(
        create("customValues", "opening hours", "Opening Hours", name="Opening Hours", value="9-6"),
        delete("customValues", "hours", "Hours", name="Hours", value="9-5"),
    )


def test_custom_fields_of_another_model_are_no_rename() -> None:
    assert not hints(
        create("customFields", "opportunity/plan", "opportunity/Plan", name="Plan", dataType="TEXT"),
        delete("customFields", "contact/tier", "contact/Tier", name="Tier", dataType="TEXT"),
    )


def test_a_rename_must_be_one_to_one() -> None:
    assert not hints(
        create("customValues", "a2", "a2", name="a2", value="x"),
        create("customValues", "b2", "b2", name="b2", value="x"),
        delete("customValues", "a", "a", name="a", value="x"),
    )


def test_tags_have_nothing_but_a_name_and_are_never_called_a_rename() -> None:
    assert not hints(create("tags", "new-lead", "new-lead", name="new-lead"), delete("tags", "lead", "lead"))


def test_a_delete_without_its_values_gives_no_evidence() -> None:
    assert not hints(
        create("customValues", "opening hours", "Opening Hours", name="Opening Hours", value="9-5"),
        delete("customValues", "hours", "Hours"),
    )


def test_a_name_yaml_would_read_otherwise_is_quoted_in_the_suggestion() -> None:
    for old, shown in [("Yes", '["Yes"]'), ("a: b", '["a: b"]'), ("2024", '["2024"]'), ("Old name", "[Old name]")]:
        hint = RenameHint("dental", "loc-1", "customValues", old, old, "New")
        assert hint.renamed_from == f"renamedFrom: {shown}"


def test_the_planner_with_delete_values_finds_a_renamed_custom_value() -> None:
    # What the planner gives once its deletes carry deleted_fields (see the review report): end to end here.
    resolver = Resolver()
    live = CUSTOM_VALUES.live({"id": "cv-1", "name": "Hours", "value": "9-5"}, resolver)
    entry = CUSTOM_VALUES.model.model_validate({"name": "Opening Hours", "value": "9-5"})
    planned = diff_kind(CUSTOM_VALUES, [entry], [live], resolver, "loc-1", prune=True)
    (gone,) = planned.deletes
    gone = Change(
        gone.action, gone.kind, gone.key, gone.display, gone.requests, deleted_fields(CUSTOM_VALUES, live, resolver)
    )
    assert [h.old for h in hints(*planned.upserts, gone)] == ["Hours"]
    tag = TAGS.live({"id": "t-1", "name": "lead"}, resolver)
    assert deleted_fields(TAGS, tag, resolver) == (FieldChange("name", "lead", None),)


def test_many_deletes_and_creates_pair_one_to_one_by_value_and_identical_values_pair_none() -> None:
    distinct = [create("customValues", f"n{i}", f"n{i}", name=f"n{i}", value=f"v{i}") for i in range(1000)]
    distinct += [delete("customValues", f"o{i}", f"o{i}", name=f"o{i}", value=f"v{i}") for i in range(1000)]
    assert [(h.old, h.created) for h in hints(*distinct)] == [(f"o{i}", f"n{i}") for i in range(1000)]
    same = [create("customValues", f"n{i}", f"n{i}", name=f"n{i}", value="x") for i in range(1000)]
    same += [delete("customValues", f"o{i}", f"o{i}", name=f"o{i}", value="x") for i in range(1000)]
    assert hints(*same) == ()
