"""Property tests (hypothesis): whatever extra keys and off-type values GHL puts in its list answers, reading
never breaks, and a location still plans, applies and converges (issue #9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghlops.kinds import BY_NAME, CALENDARS, CUSTOM_FIELDS, CUSTOM_VALUES, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import Kind, Resolver, plain
from ghlops.plan.diff import field_changes
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations
from ghlops.sandbox.store import Kind as StoreKind
from tests.e2e.conftest import EXAMPLES, Cli
from tests.replay import real_world

LOC = "L1"
RESOLVER = Resolver(user_id_by_email={"jane@example.com": "u1"}, user_email_by_id={"u1": "jane@example.com"})

REALISTIC: dict[str, dict[str, Any]] = {
    TAGS.name: {"id": "t1", "name": "vip", "locationId": LOC},
    CUSTOM_FIELDS.name: real_world.custom_field(
        {"id": "f1", "name": "Size", "model": "contact", "dataType": "SINGLE_OPTIONS", "position": 50,
         "picklistOptions": ["a", "b"], "placeholder": "", "locationId": LOC, "fieldKey": "contact.size"}
    ),
    CUSTOM_VALUES.name: real_world.custom_value({"id": "v1", "name": "hours", "value": "", "locationId": LOC}),
    CALENDARS.name: real_world.calendar(
        {"id": "c1", "name": "Consult", "calendarType": "round_robin", "slotDuration": 30, "locationId": LOC,
         "teamMembers": [{"userId": "u1", "priority": 0.5, "isPrimary": False}], "openHours": []}
    ),
    PRODUCTS.name: real_world.product({"_id": "p1", "name": "Pkg", "productType": "SERVICE", "locationId": LOC}),
    PRICES.name: real_world.price(
        {"_id": "x1", "name": "Std", "type": "one_time", "amount": 10, "currency": "USD", "product": "p1"}
    ),
    USERS.name: real_world.user(
        {"id": "u1", "email": "jane@example.com", "firstName": "Jane", "lastName": "S",
         "roles": {"type": "account", "role": "admin", "locationIds": [LOC]}, "permissions": {"tagsEnabled": True}}
    ),
}  # fmt: skip
KEYS = {"id", "_id", "name", "email", "model"}  # what matching needs: required, never mutated here

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4) | st.sampled_from(["", "URL", "google_meet"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)  # fmt: skip
odd_values = st.sampled_from(["", {}, [], 0, "x", None, True, [{}], {"a": 1}]) | json_values


@st.composite
def mutated(draw: st.DrawFn, raw: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(raw))
    for key in sorted(k for k in out if k not in KEYS):
        if draw(st.booleans()):
            out[key] = draw(odd_values)
    for key in draw(st.lists(st.text(min_size=1, max_size=6), max_size=4)):
        if key not in KEYS:
            out[key] = draw(json_values)
    return out


def desired_like(kind: Kind[Any], raw: dict[str, Any]) -> Any:
    return kind.live(raw, RESOLVER).obj


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind_name=st.sampled_from(sorted(REALISTIC)))
def test_any_extra_keys_and_off_type_values_never_break_a_read_a_diff_or_an_update(
    data: st.DataObject, kind_name: str
) -> None:
    kind = BY_NAME[kind_name]
    desired = desired_like(kind, REALISTIC[kind_name])
    if kind is PRICES:
        desired.with_product("Pkg")
    raw = data.draw(mutated(REALISTIC[kind_name]))
    live = kind.live(raw, RESOLVER)
    if kind is PRICES:
        live.obj.with_product("Pkg")
    assert kind.key(live.obj) == kind.key(desired)
    changes = field_changes(kind, desired, live, RESOLVER)
    json.dumps(plain(live.obj))
    if kind is not USERS:
        request = kind.update_request(LOC, live, desired, [c.field for c in changes], RESOLVER)
        json.dumps(request.body, default=str)


# Fields the example manifests leave alone, per sandbox kind: GHL may say anything there and it must not matter.
UNMANAGED = {
    StoreKind.CALENDAR: ("eventColor", "widgetType", "appoinmentPerSlot", "formSubmitType", "openHours", "notes"),
    StoreKind.PRODUCT: ("image", "availableInStore", "statementDescriptor", "collectionIds"),
    StoreKind.CUSTOM_FIELD: ("position", "isMultiFileAllowed", "maxFileLimit"),
    StoreKind.PRICE: ("compareAtPrice", "sku", "trackInventory"),
}


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.one_of(st.none(), odd_values), min_size=24, max_size=24),
    extras=st.lists(json_values, min_size=4, max_size=4),
)
def test_a_location_with_random_odd_answers_still_plans_applies_and_converges(
    values: list[Any], extras: list[Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Everything drawn up front (a fixed number of values), so what is drawn never depends on the sandbox.
    with Sandbox(db_path=":memory:", port=0) as sb:
        create_locations(sb, [EXAMPLES])
        cli = Cli(sb)
        assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
        locations = ["ve9EPM428h8vShlRW1KT", "Xy7Pq2Lm9Rt4Vb6Nc8Dz"]
        real_world.make_real_world(sb, locations)
        slot = 0
        for location in locations:
            for kind, fields in UNMANAGED.items():
                rows = (
                    [p for prod in sb.store.find(StoreKind.PRODUCT, owner=location)
                     for p in sb.store.find(StoreKind.PRICE, parent=prod["_id"])]
                    if kind is StoreKind.PRICE else sb.store.find(kind, owner=location)
                )  # fmt: skip
                for row in sorted(rows, key=lambda r: str(r["name"])):
                    for name in fields:
                        value = values[slot % len(values)]
                        slot += 1
                        if value is not None:  # None: leave GHL's value as it is
                            row[name] = value
                    for index, extra in enumerate(extras):
                        row[f"unknownKey{index}"] = extra
                    sb.store.replace(kind, str(row.get("id") or row["_id"]), row)
        first = cli("plan", str(EXAMPLES), "--detailed-exitcode")
        assert first.exit_code == 0, first.output
        # A manifest change that updates objects carrying the odd values: the update must go through.
        manifest = tmp_path_factory.mktemp("odd") / "downtown.yaml"
        manifest.write_text(
            (EXAMPLES / "downtown-dental.yaml")
            .read_text()
            .replace("10 hours of consulting", "12 hours of consulting")
            .replace("slotDuration: 30", "slotDuration: 60")
            .replace("amount: 1500", "amount: 1600")
            .replace("placeholder: Pick one", "placeholder: Choose")
        )
        applied = cli("apply", str(manifest), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        again = cli("plan", str(manifest), "--detailed-exitcode")
        assert again.exit_code == 0, again.output
