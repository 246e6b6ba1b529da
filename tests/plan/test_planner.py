"""The planner is a pure function of desired and live state: tables of inputs and exact outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from ghlops.kinds import CALENDARS, CUSTOM_FIELDS, CUSTOM_VALUES, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.custom_fields import CustomField
from ghlops.kinds.custom_values import CustomValue
from ghlops.kinds.products import Product
from ghlops.kinds.tags import Tag
from ghlops.kinds.users import User
from ghlops.plan.model import Action, Plan, Stage
from ghlops.plan.planner import build_plan
from ghlops.request import Ref
from ghlops.state import CompanyLive, LocationDesired, LocationLive
from tests.plan.sample_plans import through_a_plan_file

LOC = "loc1"


def live(kind: Kind[Any], raw: dict[str, Any], resolver: Resolver | None = None) -> LiveObject[Any]:
    return kind.live(raw, resolver or Resolver())


def desired(
    name: str = "clinic", location_id: str = LOC, prune: tuple[str, ...] = (), **entries: list[Any]
) -> LocationDesired:
    d = LocationDesired(name=name, location_id=location_id, company_id="co", prune=frozenset(prune))
    for kind, items in entries.items():
        d.entries[kind] = items
    if "products" in entries:
        d.entries["prices"] = [p.with_product(prod.name) for prod in entries["products"] for p in prod.prices]
    return d


def plan_one(
    d: LocationDesired, objects: dict[str, list[LiveObject[Any]]], users: list[LiveObject[Any]] | None = None
) -> Plan:
    company = CompanyLive("co", users=users or [], read=users is not None)
    return build_plan([d], {d.location_id: LocationLive(d.location_id, objects)}, {"co": company})


def actions(plan: Plan) -> list[tuple[str, str, str]]:
    return [(c.action.value, c.kind, c.display) for _, c in plan.all_changes()]


def test_a_missing_tag_is_created_and_an_existing_one_in_other_case_is_no_change() -> None:
    d = desired(tags=[Tag(name="VIP"), Tag(name="new-lead")])
    p = plan_one(d, {"tags": [live(TAGS, {"id": "t1", "name": "vip"})]})
    assert actions(p) == [("create", "tags", "new-lead")]
    assert p.locations[0].changes[0].requests[0].body == {"name": "new-lead"}


def test_an_identical_location_plans_no_changes() -> None:
    d = desired(customValues=[CustomValue(name="hours", value="9-5")])
    p = plan_one(d, {"customValues": [live(CUSTOM_VALUES, {"id": "v1", "name": "hours", "value": "9-5"})]})
    assert not p.has_changes


def test_only_fields_the_manifest_sets_are_compared() -> None:
    field = CustomField.model_validate({"name": "Size", "dataType": "TEXT"})
    raw = {"id": "f1", "name": "Size", "dataType": "TEXT", "model": "contact", "placeholder": "x", "position": 3}
    p = plan_one(desired(customFields=[field]), {"customFields": [live(CUSTOM_FIELDS, raw)]})
    assert not p.has_changes


def test_a_changed_value_is_an_update_with_old_and_new() -> None:
    d = desired(customValues=[CustomValue(name="hours", value="9-6")])
    p = plan_one(d, {"customValues": [live(CUSTOM_VALUES, {"id": "v1", "name": "hours", "value": "9-5"})]})
    (change,) = p.locations[0].changes
    assert change.action is Action.UPDATE
    assert [(f.field, f.old, f.new) for f in change.fields] == [("value", "9-5", "9-6")]
    assert change.requests[0].method == "PUT"
    assert change.requests[0].endpoint == "/locations/loc1/customValues/v1"
    assert change.requests[0].body == {"name": "hours", "value": "9-6"}


def test_a_custom_field_data_type_change_is_a_destructive_replace() -> None:
    field = CustomField.model_validate({"name": "Size", "dataType": "SINGLE_OPTIONS", "options": ["a", "b"]})
    raw = {"id": "f1", "name": "Size", "dataType": "TEXT", "model": "contact"}
    p = plan_one(desired(customFields=[field]), {"customFields": [live(CUSTOM_FIELDS, raw)]})
    (change,) = p.locations[0].changes
    assert change.action is Action.REPLACE and change.destructive
    assert [r.method for r in change.requests] == ["DELETE", "POST"]
    assert "erases the value every contact holds" in change.warnings[0]
    assert change.requests[1].body == {
        "name": "Size",
        "dataType": "SINGLE_OPTIONS",
        "model": "contact",
        "options": ["a", "b"],
    }


def test_options_are_compared_with_picklist_options_in_order() -> None:
    field = CustomField.model_validate({"name": "Size", "dataType": "SINGLE_OPTIONS", "options": ["a", "b"]})
    same = {"id": "f1", "name": "Size", "dataType": "SINGLE_OPTIONS", "picklistOptions": ["a", "b"]}
    swapped = {**same, "picklistOptions": ["b", "a"]}
    assert not plan_one(desired(customFields=[field]), {"customFields": [live(CUSTOM_FIELDS, same)]}).has_changes
    p = plan_one(desired(customFields=[field]), {"customFields": [live(CUSTOM_FIELDS, swapped)]})
    assert actions(p) == [("update", "customFields", "contact/Size")]
    assert p.locations[0].changes[0].requests[0].body == {"name": "Size", "options": ["a", "b"]}


def test_custom_fields_are_matched_by_model_and_name() -> None:
    field = CustomField.model_validate({"name": "Source", "model": "opportunity", "dataType": "TEXT"})
    raw = {"id": "f1", "name": "Source", "dataType": "TEXT", "model": "contact"}
    p = plan_one(desired(customFields=[field]), {"customFields": [live(CUSTOM_FIELDS, raw)]})
    assert actions(p) == [("create", "customFields", "opportunity/Source")]
    assert p.locations[0].unmanaged[0].keys == ("contact/Source",)


def test_undeclared_live_objects_are_unmanaged_without_prune_and_deleted_with_it() -> None:
    objects = {"tags": [live(TAGS, {"id": "t1", "name": "old"}), live(TAGS, {"id": "t2", "name": "keep"})]}
    kept = plan_one(desired(tags=[Tag(name="keep")]), objects)
    assert not kept.has_changes
    assert kept.locations[0].unmanaged[0].kind == "tags" and kept.locations[0].unmanaged[0].keys == ("old",)
    pruned = plan_one(desired(prune=("tags",), tags=[Tag(name="keep")]), objects)
    assert actions(pruned) == [("delete", "tags", "old")]
    assert pruned.locations[0].changes[0].requests[0].endpoint == "/locations/loc1/tags/t1"


def test_creates_follow_dependency_order_and_deletes_run_in_reverse() -> None:
    d = desired(
        prune=("tags", "calendars"),
        calendars=[Calendar(name="Cal")],
        customValues=[CustomValue(name="v", value="1")],
        tags=[Tag(name="t")],
        products=[
            Product.model_validate(
                {
                    "name": "P",
                    "productType": "SERVICE",
                    "prices": [{"name": "Std", "type": "one_time", "amount": 1, "currency": "USD"}],
                }
            )
        ],
        customFields=[CustomField.model_validate({"name": "F", "dataType": "TEXT"})],
    )
    objects = {
        "tags": [live(TAGS, {"id": "t9", "name": "gone"})],
        "calendars": [live(CALENDARS, {"id": "c9", "name": "Old Cal", "locationId": LOC})],
    }
    p = plan_one(d, objects)
    assert actions(p) == [
        ("create", "tags", "t"),
        ("create", "customFields", "contact/F"),
        ("create", "customValues", "v"),
        ("create", "products", "P"),
        ("create", "prices", "P/Std"),
        ("create", "calendars", "Cal"),
        ("delete", "calendars", "Old Cal"),
        ("delete", "tags", "gone"),
    ]


def test_a_price_of_a_new_product_references_the_product_created_first() -> None:
    product = Product.model_validate(
        {
            "name": "P",
            "productType": "SERVICE",
            "prices": [{"name": "Std", "type": "one_time", "amount": 5, "currency": "USD"}],
        }
    )
    p = plan_one(desired(products=[product]), {})
    create_product, create_price = p.locations[0].changes
    assert create_product.requests[0].binds == Ref("products", "p")
    assert create_price.requests[0].path == ("/products/", Ref("products", "p"), "/price")
    assert create_price.requests[0].body == {
        "locationId": LOC,
        "name": "Std",
        "type": "one_time",
        "amount": 5.0,
        "currency": "USD",
    }


def test_product_updates_send_back_unmanaged_live_fields() -> None:
    product = Product.model_validate({"name": "P", "productType": "SERVICE", "description": "new"})
    raw = {
        "_id": "p1",
        "name": "P",
        "productType": "SERVICE",
        "description": "old",
        "image": "https://i/x.png",
        "locationId": LOC,
        "createdAt": "2024-01-01T00:00:00Z",
        "availableInStore": True,
    }
    p = plan_one(desired(products=[product]), {"products": [live(PRODUCTS, raw)]})
    (change,) = p.locations[0].changes
    assert change.requests[0].body == {
        "name": "P",
        "locationId": LOC,
        "description": "new",
        "productType": "SERVICE",
        "image": "https://i/x.png",
        "availableInStore": True,
    }


def test_prices_follow_products_for_prune() -> None:
    product = Product.model_validate({"name": "P", "productType": "SERVICE", "prices": []})
    price_raw = {"_id": "x1", "name": "Old", "type": "one_time", "amount": 3, "currency": "USD", "product": "p1"}
    objects = {
        "products": [live(PRODUCTS, {"_id": "p1", "name": "P", "productType": "SERVICE"})],
        "prices": [LiveObject("x1", PRICES.live(price_raw, Resolver()).obj.with_product("P"), price_raw)],
    }
    assert actions(plan_one(desired(products=[product]), objects)) == []
    pruned = plan_one(desired(prune=("products",), products=[product]), objects)
    assert actions(pruned) == [("delete", "prices", "P/Old")]
    assert pruned.locations[0].changes[0].requests[0].endpoint == "/products/p1/price/x1"


def test_two_live_objects_with_one_natural_key_are_an_error_naming_both_ids() -> None:
    objects = {
        "customValues": [
            live(CUSTOM_VALUES, {"id": "a", "name": "x", "value": "1"}),
            live(CUSTOM_VALUES, {"id": "b", "name": "X", "value": "2"}),
        ]
    }
    p = plan_one(desired(customValues=[CustomValue(name="x", value="1")]), objects)
    assert p.errors == [
        "clinic: two live custom values share the natural key 'X' (ids a and b); remove one in GHL before planning"
    ]


def test_a_rename_updates_in_place_instead_of_delete_and_create() -> None:
    entry = CustomField.model_validate({"name": "New", "dataType": "TEXT", "renamedFrom": ["Old"]})
    p = plan_one(
        desired(prune=("customFields",), customFields=[entry]),
        {"customFields": [live(CUSTOM_FIELDS, {"id": "f1", "name": "Old", "dataType": "TEXT"})]},
    )
    (change,) = p.locations[0].changes
    assert change.action is Action.UPDATE and change.object_id == "f1"
    assert [(f.field, f.old, f.new) for f in change.fields] == [("name", "Old", "New")]


def test_calendar_team_members_compare_by_email_as_a_set() -> None:
    users = [
        live(
            USERS,
            {
                "id": "u1",
                "email": "jane@x.com",
                "firstName": "J",
                "lastName": "S",
                "roles": {"type": "account", "role": "admin", "locationIds": [LOC]},
            },
        )
    ]
    resolver = Resolver(user_id_by_email={"jane@x.com": "u1"}, user_email_by_id={"u1": "jane@x.com"})
    cal = Calendar.model_validate({"name": "Cal", "teamMembers": [{"user": "Jane@X.com", "priority": 1}]})
    raw = {
        "id": "c1",
        "name": "Cal",
        "locationId": LOC,
        "teamMembers": [{"userId": "u1", "priority": 1, "isPrimary": False, "meetingLocationType": "custom"}],
    }
    user = User.model_validate({"email": "jane@x.com", "firstName": "J", "lastName": "S"})
    p = plan_one(desired(users=[user], calendars=[cal]), {"calendars": [live(CALENDARS, raw, resolver)]}, users)
    assert not p.has_changes


def test_a_new_user_is_created_first_with_every_location_that_declares_it() -> None:
    jane = User.model_validate({"email": "jane@x.com", "firstName": "Jane", "lastName": "S", "role": "admin"})
    a = desired("a", "L1", users=[jane])
    b = desired(
        "b",
        "L2",
        users=[jane],
        calendars=[Calendar.model_validate({"name": "Cal", "teamMembers": [{"user": "jane@x.com"}]})],
    )
    company = CompanyLive("co", users=[], read=True)
    p = build_plan([a, b], {"L1": LocationLive("L1"), "L2": LocationLive("L2")}, {"co": company})
    users_section = p.companies[0]
    (create,) = users_section.changes
    assert create.stage is Stage.USERS_FIRST
    body = create.requests[0].body
    assert body["locationIds"] == ["L1", "L2"] and body["companyId"] == "co"
    assert "password" in body and not isinstance(body["password"], str)
    cal = p.locations[1].changes[0]
    assert cal.requests[0].body["teamMembers"] == [{"userId": Ref("users", "jane@x.com")}]
    assert p.locations_changed() == 2


def _user(uid: str, email: str, locations: list[str], type_: str = "account") -> LiveObject[Any]:
    return live(
        USERS,
        {
            "id": uid,
            "email": email,
            "firstName": "F",
            "lastName": "L",
            "roles": {"type": type_, "role": "user", "locationIds": locations},
        },
    )


def test_dropping_a_user_from_one_location_removes_only_that_membership() -> None:
    other = User.model_validate({"email": "keep@x.com", "firstName": "F", "lastName": "L"})
    a = desired("a", "L1", prune=("users",), users=[other])
    company = CompanyLive("co", users=[_user("u1", "bob@x.com", ["L1", "L9"]), _user("u2", "keep@x.com", ["L1"])])
    p = build_plan([a], {"L1": LocationLive("L1")}, {"co": company})
    (change,) = p.companies[0].changes
    assert change.action is Action.UPDATE and change.stage is Stage.USERS_LAST
    assert change.requests[0].body == {"locationIds": ["L9"]}
    assert [(f.field, f.old, f.new) for f in change.fields] == [("locations", ["a", "L9"], ["L9"])]


def test_a_user_is_deleted_only_when_it_would_belong_to_no_location() -> None:
    a = desired("a", "L1", prune=("users",), users=[])
    company = CompanyLive("co", users=[_user("u1", "bob@x.com", ["L1"]), _user("u3", "boss@x.com", [], "agency")])
    p = build_plan([a], {"L1": LocationLive("L1")}, {"co": company})
    (change,) = p.companies[0].changes
    assert (change.action, change.display) == (Action.DELETE, "bob@x.com")
    assert change.requests[0].endpoint == "/users/u1"


def test_without_prune_undeclared_members_are_reported_per_location() -> None:
    a = desired("a", "L1", users=[])
    company = CompanyLive("co", users=[_user("u1", "bob@x.com", ["L1"])])
    p = build_plan([a], {"L1": LocationLive("L1")}, {"co": company})
    assert not p.has_changes
    assert p.locations[0].unmanaged[0].kind == "users"
    assert p.locations[0].unmanaged[0].keys == ("bob@x.com",)


def test_a_protected_object_that_would_be_replaced_is_an_error() -> None:
    field = CustomField.model_validate({"name": "Size", "dataType": "NUMERICAL", "protect": True})
    p = plan_one(
        desired(customFields=[field]),
        {"customFields": [live(CUSTOM_FIELDS, {"id": "f1", "name": "Size", "dataType": "TEXT"})]},
    )
    assert p.errors == [
        "clinic: custom field 'contact/Size' is protected and would be replaced (dataType cannot change in place)"
    ]


@pytest.mark.parametrize("entry", [Tag(name="x"), CustomValue(name="x", value="y")])
def test_plans_round_trip_through_json(entry: Entry) -> None:
    kind = "tags" if isinstance(entry, Tag) else "customValues"
    p = plan_one(desired(**{kind: [entry]}), {})
    assert through_a_plan_file(p) == p


def test_planning_location_by_location_in_any_order_is_build_plan() -> None:
    # plan --out plans each location as soon as it is read (issue 15), in the order the reads finish.
    import random

    from bench.bench_planner import inputs
    from bench.workload import Workload
    from ghlops.identity import Identity
    from ghlops.plan.model import Guard
    from ghlops.plan.planner import Planner

    desired, live, companies = inputs(Workload(12, 40))
    guard, me = Guard(max_delete_percent=50.0, min_existing=3), Identity(email="me@example.com")
    whole = build_plan(desired, live, companies, guard, me)
    assert whole.has_changes and all(c.read and c.users for c in companies.values())
    order = list(range(len(desired)))
    random.Random(15).shuffle(order)
    planner = Planner(desired, companies, guard, me)
    sections: dict[int, Any] = {}
    for index in order:
        sections[index] = planner.location(desired[index], live[desired[index].location_id])
    assert planner.plan([sections[i] for i in range(len(desired))]) == whole
