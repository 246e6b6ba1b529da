"""plan/diff.py: field comparison with items paired by identity, and the item diffs of list fields."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ghlops.kinds import CALENDARS, CUSTOM_FIELDS, TAGS
from ghlops.kinds.base import Resolver
from ghlops.plan.diff import ItemChange, ItemSpec, ListDiff, deleted_fields, field_changes, list_diff, same_value
from ghlops.plan.model import FieldChange

USERS = {"u1": "jane@example.com", "u2": "omar@example.com"}
RESOLVER = Resolver(user_id_by_email={v: k for k, v in USERS.items()}, user_email_by_id=USERS)
MEMBER = ItemSpec("member", "user")
OPTION = ItemSpec("option")


def test_a_member_added_while_another_stays_leaves_the_staying_members_server_defaults_out_of_the_plan() -> None:
    live = CALENDARS.live(
        {"id": "c1", "name": "Cons", "teamMembers": [{"userId": "u1", "priority": 1, "isPrimary": False}]}, RESOLVER
    )
    entry = CALENDARS.model.model_validate(
        {"name": "Cons", "teamMembers": [{"user": "jane@example.com", "priority": 1}, {"user": "omar@example.com"}]}
    )
    assert field_changes(CALENDARS, entry, live, RESOLVER) == (
        FieldChange(
            "teamMembers",
            [{"user": "jane@example.com", "priority": 1}],
            [{"user": "jane@example.com", "priority": 1}, {"user": "omar@example.com"}],
        ),
    )


def test_members_equal_in_every_key_the_manifest_sets_are_no_change() -> None:
    live = CALENDARS.live(
        {"id": "c1", "name": "Cons", "teamMembers": [{"userId": "u2", "priority": 0.5, "isPrimary": True},
                                                     {"userId": "u1", "priority": 1.0, "isPrimary": False}]},
        RESOLVER,
    )  # fmt: skip
    entry = CALENDARS.model.model_validate(
        {"name": "Cons", "teamMembers": [{"user": "Jane@example.com", "priority": 1}, {"user": "omar@example.com"}]}
    )
    assert field_changes(CALENDARS, entry, live, RESOLVER) == ()


def test_members_are_told_apart_by_user_and_changed_members_by_the_keys_that_differ() -> None:
    old = [{"user": "a", "priority": 1}, {"user": "b", "priority": 0.5, "isPrimary": False}]
    new = [{"user": "a", "priority": 0.5, "isPrimary": True}, {"user": "c", "priority": 0}]
    assert list_diff("calendars", "teamMembers", old, new) == ListDiff(
        MEMBER,
        added=({"user": "c", "priority": 0},),
        removed=({"user": "b", "priority": 0.5, "isPrimary": False},),
        changed=(ItemChange("a", (("priority", 1, 0.5), ("isPrimary", None, True))),),
    )


def test_a_user_whose_email_starts_with_two_underscores_is_still_compared() -> None:
    # DeepDiff skips "private" keys by default; grouped by user, an email becomes a key.
    diff = list_diff("calendars", "teamMembers", [{"user": "__x", "priority": 1}], [{"user": "__x", "priority": 0}])
    assert diff is not None and diff.changed == (ItemChange("__x", (("priority", 1, 0),)),)


def test_options_added_and_removed_keep_the_lists_order_and_a_moved_option_is_a_reorder() -> None:
    assert list_diff("customFields", "options", ["Gold", "Silver", "Bronze"], ["Bronze", "Platinum", "Gold"]) == (
        ListDiff(OPTION, added=("Platinum",), removed=("Silver",), reordered=(("Gold", "Bronze"), ("Bronze", "Gold")))
    )


def test_fields_without_an_item_identity_or_values_that_are_not_lists_get_no_item_diff() -> None:
    assert list_diff("products", "collectionIds", ["a"], ["b"]) is None
    assert list_diff("customFields", "options", None, ["a"]) is None
    assert list_diff("calendars", "teamMembers", [{"user": "a"}, {"user": "a"}], [{"user": "a"}]) is None
    assert list_diff("calendars", "teamMembers", [{"priority": 1}], [{"user": "a"}]) is None


def test_a_deleted_object_carries_its_compared_values_as_old() -> None:
    live = CUSTOM_FIELDS.live(
        {"id": "f1", "name": "Plan", "model": "contact", "dataType": "SINGLE_OPTIONS", "picklistOptions": ["a"]},
        RESOLVER,
    )
    fields = {f.field: (f.old, f.new) for f in deleted_fields(CUSTOM_FIELDS, live, RESOLVER)}
    assert fields["name"] == ("Plan", None)
    assert fields["dataType"] == ("SINGLE_OPTIONS", None)
    assert fields["options"] == (["a"], None)
    assert deleted_fields(TAGS, TAGS.live({"id": "t", "name": "vip"}, RESOLVER), RESOLVER) == (
        FieldChange("name", "vip", None),
    )


def test_same_value_projects_the_live_side_and_ignores_order_only_for_set_like_fields() -> None:
    assert same_value({"a": 1, "server": True}, {"a": 1.0})
    assert same_value([{"user": "b"}, {"user": "a"}], [{"user": "a"}, {"user": "b"}], unordered=True)
    assert not same_value(["b", "a"], ["a", "b"])


# -- properties ----------------------------------------------------------------------------------------------------

emails = st.sampled_from([f"user{i}@example.com" for i in range(8)] + ["__private", "a.b", "x[0]", "'q'"])
member = st.fixed_dictionaries(
    {"user": emails}, optional={"priority": st.sampled_from([0, 0.5, 1]), "isPrimary": st.booleans()}
)
members = st.lists(
    member,
    unique_by=lambda m: m["user"],
    max_size=6,
)  # fmt: skip
options = st.lists(st.text(max_size=6), unique=True, max_size=8)


@settings(max_examples=300, deadline=None)
@given(members, members)
def test_old_minus_removed_plus_added_is_new_and_changed_members_differ_in_exactly_their_keys(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> None:
    diff = list_diff("calendars", "teamMembers", old, new)
    assert diff is not None
    users = {m["user"] for m in old} - {m["user"] for m in diff.removed} | {m["user"] for m in diff.added}
    assert users == {m["user"] for m in new}
    before = {m["user"]: m for m in old}
    for m in new:
        if m["user"] in before:
            differing = {k for k in m if k != "user" and before[m["user"]].get(k) != m[k]}
            found = [c for c in diff.changed if c.identity == m["user"]]
            assert ({k for k, _, _ in found[0].fields} if found else set()) == differing


@settings(max_examples=300, deadline=None)
@given(options, options)
def test_option_diffs_account_for_every_option(old: list[str], new: list[str]) -> None:
    diff = list_diff("customFields", "options", old, new)
    assert diff is not None
    assert set(diff.removed) == set(old) - set(new)
    assert set(diff.added) == set(new) - set(old)
    kept = [o for o in old if o in new]
    assert (diff.reordered is not None) == (kept != [o for o in new if o in old])
