"""Tags: a name per location. GHL stores them lower-cased and unique case-insensitively."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import model_validator

from ghlops.kinds.base import Entry, Kind, LiveObject, Name, Resolver, expect_list, name_field, require_str
from ghlops.request import Request


class Tag(Entry):
    """A contact tag. In a manifest either a plain string or a mapping (to use protect, renamedFrom, ...)."""

    name: Name = name_field("The tag; GHL stores it lower-cased.")

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


class Tags(Kind[Tag]):
    name = "tags"
    label = "tag"
    model = Tag
    section_description = "Tags (strings, or mappings with protect etc.)."
    document_order = 30
    read_first = True
    stored_as = "tag"
    accepts_string = True
    contact_data_on_delete = True

    def list_request(self, location_id: str) -> Request:
        return Request("GET", ("/locations/", location_id, "/tags"))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return expect_list(body, "tags")

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # GHL stores tags lower-cased and keeps surrounding whitespace (it does not trim): matched as stored.
        return {"name": require_str(raw, "name")}

    def compare_value(self, field_name: str, desired: Tag, resolver: Resolver) -> Any:
        # Letter case never differs in a way GHL keeps, so it is never a change.
        return desired.name.casefold() if field_name == "name" else super().compare_value(field_name, desired, resolver)

    def create_request(self, location_id: str, desired: Tag, resolver: Resolver) -> Request:
        return Request(
            "POST", ("/locations/", location_id, "/tags"), body={"name": desired.name}, id_field=("tag", "id")
        )

    def update_request(
        self, location_id: str, live: LiveObject[Tag], desired: Tag, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        return Request("PUT", ("/locations/", location_id, "/tags/", live.id), body={"name": desired.name})

    def delete_request(self, location_id: str, live: LiveObject[Tag]) -> Request:
        return Request("DELETE", ("/locations/", location_id, "/tags/", live.id))

    def export_entry(self, data: dict[str, Any], live: LiveObject[Tag], notes: list[str]) -> Any:
        return data["name"]  # a plain string, as manifests usually write tags


KIND = Tags()
