"""A throwaway kind, registered only by the test that proves one module is all a new kind needs.

`spec.snippets`: a name and a body per location, optionally naming one of the location's calendars (resolved to
its id on create, by ref when the calendar is created in the same apply). Loaded through GHLOPS_KIND_MODULES;
its sandbox routes are in throwaway_routes.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from ghlops.kinds.base import Entry, Kind, LiveObject, Reference, Resolver, expect_list, require_str
from ghlops.request import Request


class Snippet(Entry):
    name: str = Field(min_length=1, description="The snippet's name; the natural key.")
    body: str | None = Field(default=None, description="Its text.")
    calendar: str | None = Field(default=None, description="A calendar of the location, by name.")


class Snippets(Kind[Snippet]):
    name = "snippets"
    label = "snippet"
    model = Snippet
    section_description = "Snippets (a kind that exists only in tests)."
    document_order = 90
    stored_as = "snippet"
    references = (Reference(("calendar",), "calendars", "calendar"),)
    # Sent on create, never listed back by id-to-name: not compared.
    write_only = frozenset({"calendar"})
    delete_warning = "nothing uses it"

    def list_request(self, location_id: str) -> Request:
        return Request("GET", ("/snippets/",), params=(("locationId", location_id),))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return expect_list(body, "snippets")

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        data: dict[str, Any] = {"name": require_str(raw, "name")}
        if raw.get("body") is not None:
            data["body"] = raw["body"]
        return data

    def create_request(self, location_id: str, desired: Snippet, resolver: Resolver) -> Request:
        body: dict[str, Any] = {"locationId": location_id, "name": desired.name}
        if desired.body is not None:
            body["body"] = desired.body
        if desired.calendar is not None:
            body["calendarId"] = resolver.ref("calendars", desired.calendar.casefold())
        return Request("POST", ("/snippets/",), body=body, id_field=("snippet", "id"))

    def update_request(
        self, location_id: str, live: LiveObject[Snippet], desired: Snippet, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        return Request("PUT", ("/snippets/", live.id), body={"name": desired.name, "body": desired.body})

    def delete_request(self, location_id: str, live: LiveObject[Snippet]) -> Request:
        return Request("DELETE", ("/snippets/", live.id))


KIND = Snippets()
