"""Trigger links (`/links/`): a name and the URL a click redirects to. Messages carry a link as the merge field
{{trigger_link.<id>}} (LinkSchema.fieldKey in links.json), so a link is updated in place, never replaced: a new
link would have a new id and every message using the old one would stop redirecting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from ghlops.kinds.base import Entry, Kind, LiveObject, Name, Resolver, expect_list, name_field, require_str
from ghlops.request import Request


class Link(Entry):
    name: Name = name_field("The link's name; the natural key.")
    redirectTo: str = Field(min_length=1, description="Where a click on the link goes (a URL).")


class Links(Kind[Link]):
    name = "links"
    label = "trigger link"
    model = Link
    section_description = "Trigger links: a name and the URL a click redirects to."
    document_order = 70
    stored_as = "link"
    delete_warning = "messages that carry it ({{trigger_link...}}) stop redirecting and its click triggers stop"

    def list_request(self, location_id: str) -> Request:
        # GET /links/ lists a location's links whole (links.json documents no paging on it, only on /links/search).
        return Request("GET", ("/links/",), params=(("locationId", location_id),))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return expect_list(body, "links")

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        data: dict[str, Any] = {"name": require_str(raw, "name")}
        if raw.get("redirectTo") is not None:
            data["redirectTo"] = raw["redirectTo"]
        return data

    def create_request(self, location_id: str, desired: Link, resolver: Resolver) -> Request:
        body = {"locationId": location_id, "name": desired.name, "redirectTo": desired.redirectTo}
        return Request("POST", ("/links/",), body=body, id_field=("link", "id"))

    def update_request(
        self, location_id: str, live: LiveObject[Link], desired: Link, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        # LinkUpdateDto requires both; a redirect the manifest ignores keeps its live value.
        redirect = desired.redirectTo if "redirectTo" in fields else live.raw.get("redirectTo", desired.redirectTo)
        return Request("PUT", ("/links/", live.id), body={"name": desired.name, "redirectTo": redirect})

    def delete_request(self, location_id: str, live: LiveObject[Link]) -> Request:
        return Request("DELETE", ("/links/", live.id))


KIND = Links()
