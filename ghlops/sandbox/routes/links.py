"""Trigger Links API (links.json): list a location's links, create, update and delete one.

The location of a create is in its body, of an update or delete the link's own (the path carries only its id).
Answers follow LinkSchema: id, name, redirectTo, fieldKey ({{trigger_link.<id>}}) and locationId.
"""

from __future__ import annotations

from ghlops.sandbox.dto.links import CreateLink, UpdateLink
from ghlops.sandbox.replies import Reply, not_found
from ghlops.sandbox.routing import Call, Route, from_body, from_query, owner_of
from ghlops.sandbox.store import JsonObject, Kind
from ghlops.sandbox.validation import parse

STORED = "link"


def _link(call: Call, link_id: str) -> JsonObject:
    stored = call.store.get(STORED, link_id)
    if stored is None or stored.owner != call.location:
        raise not_found("Link not found")
    return stored.data


def list_links(call: Call) -> Reply:
    return Reply(200, {"links": call.store.find(STORED, owner=call.location)})


def create_link(call: Call) -> Reply:
    dto = parse(CreateLink, call.body)
    with call.store.transaction():
        link_id = call.store.new_id()
        link = {
            "id": link_id,
            "name": dto.name,
            "redirectTo": dto.redirectTo,
            "fieldKey": "{{trigger_link." + link_id + "}}",
            "locationId": call.location,
        }
        call.store.add(STORED, link_id, call.location, link)
    return Reply(201, {"link": link})


def update_link(call: Call) -> Reply:
    dto = parse(UpdateLink, call.body)
    with call.store.transaction():
        link = {**_link(call, call.params["linkId"]), "name": dto.name, "redirectTo": dto.redirectTo}
        call.store.replace(STORED, link["id"], link)
    return Reply(201, {"link": link})


def delete_link(call: Call) -> Reply:
    with call.store.transaction():
        _link(call, call.params["linkId"])
        call.store.remove(STORED, call.params["linkId"])
    return Reply(201, {"succeded": True})


_OWNER = owner_of(Kind.LINK, "linkId")

ROUTES = (
    Route("GET", "/links/", list_links, locate=from_query("locationId")),
    Route("POST", "/links/", create_link, locate=from_body("locationId")),
    Route("PUT", "/links/{linkId}", update_link, locate=_OWNER),
    Route("DELETE", "/links/{linkId}", delete_link, locate=_OWNER),
)
