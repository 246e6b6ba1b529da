"""kinds/base.py: what every kind's model shares: strict for manifests (unknown keys refused), only the fields a
manifest sets are managed. Each kind's own behaviour is in tests/kinds/test_<kind>.py."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds.base import LIVE, tolerant
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.custom_fields import CustomField
from ghlops.kinds.products import Product
from ghlops.kinds.tags import Tag
from ghlops.kinds.users import User


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


def test_only_fields_set_in_the_manifest_are_managed() -> None:
    field = CustomField.model_validate(
        {"name": "x", "dataType": "TEXT", "ignoreChanges": ["placeholder"], "placeholder": "p"}
    )
    assert field.managed_fields() == ["name", "dataType"]


def test_manifest_names_may_not_have_spaces_at_either_end_but_live_names_are_taken_as_they_are() -> None:
    with pytest.raises(ValidationError, match="' vip' has spaces at its start or end: remove them"):
        Tag.model_validate(" vip")
    assert Tag.model_validate(" vip", context=LIVE).name == " vip"
    assert Tag.model_validate("{{ vars.tag }} ").name == "{{ vars.tag }} "  # the loader reports the variable


def test_live_objects_drop_unknown_keys_and_keep_values_that_do_not_fit_as_sent() -> None:
    calendar, odd = tolerant(Calendar, {"name": "C", "slotDuration": "", "brandNewKey": 1})
    assert (calendar.name, calendar.slotDuration, odd) == ("C", "", [("slotDuration",)])
    assert calendar.model_fields_set == {"name", "slotDuration"}
