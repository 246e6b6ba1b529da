"""kinds/custom_values.py: name and value; the apply lock's reserved name is never configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds import CUSTOM_VALUES
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.custom_values import LEASE_NAME, CustomValue, is_lease
from ghlops.request import Request


def test_the_lease_name_is_reserved_whatever_its_letter_case_or_spaces() -> None:
    assert is_lease(LEASE_NAME) and is_lease(" GHLOPS.Lock ") and not is_lease("ghlops.locked") and not is_lease(3)
    with pytest.raises(ValidationError, match=r"'ghlops\.lock' is reserved"):
        CustomValue.model_validate({"name": "GHLOPS.LOCK", "value": "x"})


def test_the_lease_is_left_out_of_what_the_list_reads() -> None:
    body = {"customValues": [{"id": "v1", "name": "phone", "value": "1"}, {"id": "v2", "name": "ghlops.lock"}]}
    assert [raw["id"] for raw in CUSTOM_VALUES.parse_list(body)] == ["v1"]


def test_an_empty_value_ghl_leaves_out_reads_back_as_empty_text() -> None:
    assert CUSTOM_VALUES.live({"id": "v1", "name": "phone"}, Resolver()).obj == CustomValue(name="phone", value="")


def test_an_update_sends_both_fields_keeping_a_value_the_manifest_ignores() -> None:
    live = LiveObject("v1", CustomValue(name="phone", value="live"), {"id": "v1"})
    desired = CustomValue(name="Phone", value="manifest")
    assert CUSTOM_VALUES.update_request("L1", live, desired, ["name"], Resolver()) == Request(
        "PUT", ("/locations/", "L1", "/customValues/", "v1"), body={"name": "Phone", "value": "live"}
    )
    assert CUSTOM_VALUES.update_request("L1", live, desired, ["value"], Resolver()).body == {
        "name": "Phone",
        "value": "manifest",
    }
    assert CUSTOM_VALUES.create_request("L1", desired, Resolver()) == Request(
        "POST",
        ("/locations/", "L1", "/customValues"),
        body={"name": "Phone", "value": "manifest"},
        id_field=("customValue", "id"),
    )
