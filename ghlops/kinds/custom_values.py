"""Custom values: named location-wide values used in templates as {{ custom_values.name }}."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, field_validator

from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver, expect_list, require_str
from ghlops.request import Request

# The custom value that holds a location's apply lease (ghlops/lease.py): plans, export and prune never see it,
# and manifests may not declare it.
LEASE_NAME = "ghlops.lock"


def is_lease(name: object) -> bool:
    # GHL compares custom value names ignoring case (the sandbox's duplicate check does too).
    return isinstance(name, str) and name.strip().casefold() == LEASE_NAME


class CustomValue(Entry):
    name: str = Field(min_length=1, description="Name; GHL derives the merge key {{ custom_values.<name> }}.")
    value: str = Field(description="The value.")

    @field_validator("name")
    @classmethod
    def _not_the_lease(cls, name: str) -> str:
        if is_lease(name):
            raise ValueError(f"{LEASE_NAME!r} is reserved: ghlops keeps its apply lock in that custom value")
        return name


class CustomValues(Kind[CustomValue]):
    name = "customValues"
    label = "custom value"
    model = CustomValue
    delete_warning = "templates and workflows that use this custom value will render it empty"
    section_description = "Custom values."
    document_order = 20
    stored_as = "customValue"

    def list_request(self, location_id: str) -> Request:
        return Request("GET", ("/locations/", location_id, "/customValues"))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        # The apply lease is ghlops's own bookkeeping, not configuration: never unmanaged, never pruned.
        return [raw for raw in expect_list(body, "customValues") if not is_lease(raw.get("name"))]

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # GHL leaves the `value` key out of an empty custom value's list item.
        value = raw.get("value")
        return {"name": require_str(raw, "name"), "value": "" if value is None else value}

    def create_request(self, location_id: str, desired: CustomValue, resolver: Resolver) -> Request:
        return Request(
            "POST",
            ("/locations/", location_id, "/customValues"),
            body={"name": desired.name, "value": desired.value},
            id_field=("customValue", "id"),
        )

    def update_request(
        self,
        location_id: str,
        live: LiveObject[CustomValue],
        desired: CustomValue,
        fields: Sequence[str],
        resolver: Resolver,
    ) -> Request:
        # The PUT requires both fields; a value the manifest ignores keeps its live content.
        value = desired.value if "value" in fields else live.obj.value
        value = value if isinstance(value, str) else "" if value is None else str(value)
        return Request(
            "PUT", ("/locations/", location_id, "/customValues/", live.id), body={"name": desired.name, "value": value}
        )

    def delete_request(self, location_id: str, live: LiveObject[CustomValue]) -> Request:
        return Request("DELETE", ("/locations/", location_id, "/customValues/", live.id))


KIND = CustomValues()
