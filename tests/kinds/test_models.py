"""The kinds' models: what a manifest may say, and how live API objects read back into the same types."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds import CALENDARS, CUSTOM_FIELDS, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.custom_fields import CustomField
from ghlops.kinds.products import Price, Product
from ghlops.kinds.tags import Tag
from ghlops.kinds.users import User
from ghlops.request import Ref


def test_a_tag_may_be_a_plain_string_or_a_mapping() -> None:
    assert Tag.model_validate("vip") == Tag(name="vip")
    assert Tag.model_validate({"name": "vip", "protect": True}).protect is True


def test_unknown_keys_are_rejected_on_every_model() -> None:
    for model, data in (
        (Tag, {"name": "x", "colour": "red"}),
        (CustomField, {"name": "x", "dataType": "TEXT", "plceholder": "y"}),
        (Calendar, {"name": "x", "teamMembers": [{"user": "a@b.co", "prio": 1}]}),
        (
            Product,
            {
                "name": "x",
                "productType": "SERVICE",
                "prices": [{"name": "p", "type": "one_time", "amount": 1, "currency": "USD", "cost": 2}],
            },
        ),
        (User, {"email": "a@b.co", "firstName": "A", "lastName": "B", "password": "hunter2"}),
    ):
        with pytest.raises(ValidationError) as caught:
            model.model_validate(data)
        assert {e["type"] for e in caught.value.errors()} == {"extra_forbidden"}


def test_option_fields_need_options_and_other_fields_refuse_them() -> None:
    with pytest.raises(ValidationError, match="needs a non-empty 'options' list"):
        CustomField.model_validate({"name": "x", "dataType": "RADIO"})
    with pytest.raises(ValidationError, match="'options' only applies to"):
        CustomField.model_validate({"name": "x", "dataType": "TEXT", "options": ["a"]})


def test_team_member_priority_is_zero_half_or_one() -> None:
    assert Calendar.model_validate({"name": "c", "teamMembers": [{"user": "a@b.co", "priority": 0.5}]})
    with pytest.raises(ValidationError, match=r"priority 2\.0 is not one of 0, 0\.5, 1"):
        Calendar.model_validate({"name": "c", "teamMembers": [{"user": "a@b.co", "priority": 2}]})


def test_user_emails_are_checked_and_keys_ignore_case() -> None:
    with pytest.raises(ValidationError, match="is not an email address"):
        User.model_validate({"email": "jane", "firstName": "J", "lastName": "S"})
    user = User.model_validate({"email": "Jane@Example.com", "firstName": "J", "lastName": "S"})
    assert USERS.key(user) == "jane@example.com"


def test_only_fields_set_in_the_manifest_are_managed() -> None:
    field = CustomField.model_validate(
        {"name": "x", "dataType": "TEXT", "ignoreChanges": ["placeholder"], "placeholder": "p"}
    )
    assert field.managed_fields() == ["name", "dataType"]


def test_live_custom_fields_read_picklist_options_as_options() -> None:
    raw = {
        "id": "f1",
        "name": "Size",
        "dataType": "SINGLE_OPTIONS",
        "model": "opportunity",
        "picklistOptions": ["a", "b"],
        "fieldKey": "opportunity.size",
        "position": 0,
    }
    live = CUSTOM_FIELDS.live(raw, Resolver())
    assert (live.id, live.obj.options, CUSTOM_FIELDS.key(live.obj)) == ("f1", ["a", "b"], "opportunity/size")


def test_live_products_and_prices_use_underscore_id() -> None:
    product = PRODUCTS.live({"_id": "p1", "name": "P", "productType": "SERVICE"}, Resolver())
    assert product.id == "p1"
    price = PRICES.live({"_id": "x1", "name": "Std", "type": "one_time", "amount": 5, "currency": "USD"}, Resolver())
    assert price.id == "x1"
    with pytest.raises(ValueError, match="without an '_id'"):
        PRODUCTS.live({"id": "p1", "name": "P", "productType": "SERVICE"}, Resolver())


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


def test_a_price_belongs_to_its_product_by_name() -> None:
    price = Price.model_validate({"name": "Std", "type": "one_time", "amount": 1, "currency": "USD"}).with_product("P")
    assert (PRICES.key(price), PRICES.display(price)) == ("p/std", "P/Std")


def test_tags_compare_without_letter_case() -> None:
    assert TAGS.compare_value("name", Tag(name="VIP"), Resolver()) == "vip"
