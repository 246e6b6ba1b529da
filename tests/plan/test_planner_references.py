"""References between kinds are generic: resolved against live objects, then declared ones, else an error."""

from __future__ import annotations

from typing import Any

from ghlops.kinds import CALENDARS, TAGS, USERS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.calendars import Calendar, TeamMember
from ghlops.kinds.products import Price, Product
from ghlops.kinds.users import User
from ghlops.plan.model import Action, Plan
from ghlops.plan.planner import build_plan, natural
from ghlops.request import Ref
from ghlops.state import CompanyLive, LocationDesired, LocationLive
from tests.plan.sample_plans import through_a_plan_file

LOC = "loc1"
JANE = {"id": "u1", "email": "jane@example.com", "firstName": "Jane", "lastName": "S", "roles": {"locationIds": [LOC]}}


def plan(d: LocationDesired, objects: dict[str, list[LiveObject[Any]]], users: list[dict[str, Any]]) -> Plan:
    company = CompanyLive("co", users=[USERS.live(u, Resolver()) for u in users])
    return build_plan([d], {LOC: LocationLive(LOC, objects)}, {"co": company})


def location(**entries: list[Any]) -> LocationDesired:
    d = LocationDesired(name="clinic", location_id=LOC, company_id="co")
    d.entries.update(entries)
    return d


def test_a_team_member_naming_a_live_user_no_manifest_declares_is_sent_by_id() -> None:
    cal = Calendar(name="Intake", teamMembers=[TeamMember(user="Jane@Example.com")])
    p = plan(location(calendars=[cal]), {}, [JANE])
    assert p.errors == []
    (change,) = [c for _, c in p.all_changes()]
    assert change.requests[0].body["teamMembers"] == [{"userId": "u1"}]
    assert not p.companies  # the user is referenced, not managed: nothing planned for it


def test_a_team_member_declared_in_the_same_run_is_sent_by_ref_and_joins_the_location() -> None:
    cal = Calendar(name="Intake", teamMembers=[TeamMember(user="omar@example.com")])
    omar = User(email="omar@example.com", firstName="Omar", lastName="H")
    p = plan(location(calendars=[cal], users=[omar]), {}, [])
    assert p.errors == []
    (users,) = p.companies
    assert [(c.action, c.creates) for c in users.changes] == [(Action.CREATE, Ref("users", "omar@example.com"))]
    (change,) = p.locations[0].changes
    assert change.requests[0].body["teamMembers"] == [{"userId": Ref("users", "omar@example.com")}]


def test_a_team_member_matching_nothing_live_or_declared_is_an_error_naming_it() -> None:
    cal = Calendar(name="Intake", teamMembers=[TeamMember(user="ghost@example.com")])
    p = plan(location(calendars=[cal]), {}, [JANE])
    assert p.errors == [
        "clinic: calendar 'Intake': team member 'ghost@example.com' matches no live user and no user the "
        "manifests declare"
    ]


def test_a_create_carries_the_ref_it_fills_and_a_child_its_parent() -> None:
    price = Price(name="Std", type="one_time", amount=5, currency="USD")
    product = Product(name="Kit", productType="SERVICE", prices=[price])
    d = location(products=[product], prices=[price.with_product("Kit")])
    p = plan(d, {}, [])
    creates = {c.kind: (c.creates, c.parent) for _, c in p.all_changes()}
    assert creates == {
        "products": (Ref("products", "kit"), None),
        "prices": (Ref("prices", "kit/std"), Ref("products", "kit")),
    }


def test_a_price_of_a_live_product_names_its_parent_by_id() -> None:
    price = Price(name="Std", type="one_time", amount=5, currency="USD")
    product = Product(name="Kit", productType="SERVICE", prices=[price])
    live_product = LiveObject("p1", Product(name="Kit", productType="SERVICE"), {"_id": "p1"})
    p = plan(location(products=[product], prices=[price.with_product("Kit")]), {"products": [live_product]}, [])
    (change,) = [c for _, c in p.all_changes()]
    assert (change.kind, change.parent) == ("prices", "p1")


def test_deletes_are_in_natural_order_so_tag_2_comes_before_tag_10() -> None:
    d = location(tags=[])
    d.prune = frozenset({"tags"})
    tags = [TAGS.live({"id": f"t{n}", "name": f"tag-{n}"}, Resolver()) for n in (10, 2, 1)]
    p = plan(d, {"tags": tags}, [])
    assert [c.display for _, c in p.all_changes()] == ["tag-1", "tag-2", "tag-10"]
    assert sorted(["b10", "B2", "a"], key=natural) == ["a", "B2", "b10"]


def test_the_calendar_kind_declares_its_team_members_as_references_to_users() -> None:
    cal = Calendar(name="Intake", teamMembers=[TeamMember(user="a@x.com"), TeamMember(user="b@x.com")])
    found = [(f.path, f.reference.target, f.value) for f in CALENDARS.referenced(cal)]
    assert found == [(("teamMembers", 0, "user"), "users", "a@x.com"), (("teamMembers", 1, "user"), "users", "b@x.com")]


def test_a_change_keeps_what_it_creates_and_its_parent_through_json() -> None:
    price = Price(name="Std", type="one_time", amount=5, currency="USD")
    product = Product(name="Kit", productType="SERVICE", prices=[price])
    p = plan(location(products=[product], prices=[price.with_product("Kit")]), {}, [])
    again = through_a_plan_file(p)
    assert [(c.creates, c.parent) for _, c in again.all_changes()] == [
        (Ref("products", "kit"), None),
        (Ref("prices", "kit/std"), Ref("products", "kit")),
    ]


def test_users_leaving_their_last_location_are_deleted_in_natural_order() -> None:
    d = location()
    d.prune = frozenset({"users"})
    users = [
        {"id": f"u{n}", "email": f"user{n}@x.com", "firstName": "U", "lastName": "N", "roles": {"locationIds": [LOC]}}
        for n in (10, 2)
    ]
    p = plan(d, {}, users)
    assert [c.display for c in p.companies[0].changes] == ["user2@x.com", "user10@x.com"]


class _Profile(TAGS.__class__):  # type: ignore[misc]
    """A singleton kind for the test: one object per location, only ever updated."""

    name = "profiles"
    label = "profile"
    singleton = True


def test_a_singleton_is_never_created_or_deleted_only_updated() -> None:
    from ghlops.kinds.tags import Tag
    from ghlops.plan.planner import diff_kind

    kind = _Profile()
    missing = diff_kind(kind, [Tag(name="Clinic")], [], Resolver(), LOC, prune=True)
    assert missing.upserts == [] and missing.errors == ["profile 'Clinic' does not exist live; ghlops only updates it"]
    live_one = kind.live({"id": "p1", "name": "clinic"}, Resolver())
    assert kind.prunable is False
    kept = diff_kind(kind, [], [live_one], Resolver(), LOC, prune=True)
    # Every location has its singleton (its profile): not declaring it means not managing it, nothing to report.
    assert kept.deletes == [] and kept.unmanaged == []
