"""Contacts API: the search (``POST /contacts/search``), the only contacts call ghlops makes (to count what a
destructive change costs). The rules live in ghlops/sandbox/contacts.py."""

from __future__ import annotations

from ghlops.sandbox.contacts import search
from ghlops.sandbox.replies import Reply
from ghlops.sandbox.routing import Call, Route, from_body


def search_contacts(call: Call) -> Reply:
    # The body's locationId names the location (and the token must have access to it, checked by the app);
    # search() answers 422 when it is missing before anything is read.
    return Reply(200, search(call.store, call.body))


ROUTES = (Route("POST", "/contacts/search", search_contacts, locate=from_body("locationId")),)
