"""The sandbox routes of the throwaway kind (tests/kinds/throwaway_kind.py): list, create, update, delete."""

from __future__ import annotations

from ghlops.sandbox.replies import Reply, bad_request, not_found
from ghlops.sandbox.routing import Call, Route, from_body, from_query, owner_of

STORED = "snippet"


def list_snippets(call: Call) -> Reply:
    return Reply(200, {"snippets": call.store.find(STORED, owner=call.location)})


def create_snippet(call: Call) -> Reply:
    body = call.body if isinstance(call.body, dict) else {}
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request("name should not be empty")
    calendar = body.get("calendarId")
    if calendar is not None and call.store.get("calendar", str(calendar)) is None:
        raise bad_request(f"calendar {calendar} not found")
    with call.store.transaction():
        snippet = {"id": call.store.new_id(), "locationId": call.location, "name": name, "body": body.get("body")}
        if calendar is not None:
            snippet["calendarId"] = calendar
        call.store.add(STORED, snippet["id"], call.location, snippet)
    return Reply(201, {"snippet": snippet})


def update_snippet(call: Call) -> Reply:
    stored = call.store.get(STORED, call.params["id"])
    if stored is None:
        raise not_found("snippet not found")
    body = call.body if isinstance(call.body, dict) else {}
    snippet = {**stored.data, "name": body.get("name", stored.data["name"]), "body": body.get("body")}
    call.store.replace(STORED, snippet["id"], snippet)
    return Reply(200, {"snippet": snippet})


def delete_snippet(call: Call) -> Reply:
    if not call.store.remove(STORED, call.params["id"]):
        raise not_found("snippet not found")
    return Reply(200, {"succeded": True})


ROUTES = (
    Route("GET", "/snippets/", list_snippets, locate=from_query("locationId")),
    Route("POST", "/snippets/", create_snippet, locate=from_body("locationId")),
    Route("PUT", "/snippets/{id}", update_snippet, locate=owner_of(STORED, "id")),
    Route("DELETE", "/snippets/{id}", delete_snippet, locate=owner_of(STORED, "id")),
)
