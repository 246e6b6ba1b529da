"""Calendar Groups API (calendars.json, "Calendar Groups"): list, create, update, enable/disable, delete, slug check.

What the documents and GHL's help say, and where the sandbox has to guess:
- every body is strict (GroupCreateDTO needs locationId, name, description and slug; GroupUpdateDTO needs name,
  description and slug - a PUT sends the whole group - and has no ``isActive``, which only
  ``PUT /calendars/groups/{groupId}/status`` changes);
- answers are GroupDTO: ``id``, ``locationId``, ``name``, ``description``, ``slug``, ``isActive`` (a create that
  leaves ``isActive`` out makes an active group); lists are ``{"groups": [...]}``, status and delete answer
  ``{"success": true}`` (GroupSuccessfulResponseDTO);
- a slug is the group's booking URL, so it is unique in its location: ``POST /calendars/groups/validate-slug``
  answers ``{"available": bool}``, and a create or update that takes a used slug is refused (the refusal text is
  OUR GUESS: GHL publishes none);
- deleting a group leaves its calendars in place, ungrouped: GHL's own UI offers "Delete group only - calendars
  and appointments remain" next to "delete group and calendars" (help.kyriossystems.com, a HighLevel white-label
  help centre, "Managing Calendar Groups"); the API's DELETE is the first, so calendars lose their ``groupId``.
"""

from __future__ import annotations

from typing import cast

from ghlops.sandbox.dto.calendar_groups import CreateGroup, GroupStatus, UpdateGroup, ValidateSlug
from ghlops.sandbox.replies import HttpError, Reply, bad_request, not_found
from ghlops.sandbox.routing import Call, Route, from_body, from_query, owner_of
from ghlops.sandbox.store import JsonObject, Kind, Store
from ghlops.sandbox.validation import parse


def store_name(name: str) -> Kind:
    """``name`` (a kind's ``stored_as``) as the store's methods take a kind. The store takes plain strings now
    (ghlops/sandbox/store.py: every registered kind's ``stored_as``), so no enum member is needed; the cast only
    satisfies helpers still typed with the enum (``routing.owner_of``)."""
    return cast(Kind, name)


GROUP = store_name("calendarGroup")
CALENDAR = Kind.CALENDAR


def _not_found() -> HttpError:
    # OUR GUESS: the wording of GHL's answer for an unknown group id (calendars answer "Calendar not found").
    return not_found("Group not found")


def _check_slug(store: Store, location_id: str, slug: str, own_id: str | None) -> None:
    if not slug_available(store, location_id, slug, own_id):
        # OUR GUESS: the wording (a slug is unique per location, as validate-slug implies).
        raise bad_request(f"Group with slug '{slug}' already exists in this location")


def slug_available(store: Store, location_id: str, slug: str, own_id: str | None = None) -> bool:
    return not any(g["id"] != own_id and g["slug"] == slug for g in store.find(GROUP, owner=location_id))


def group_of(store: Store, location_id: str, group_id: str) -> JsonObject | None:
    """The location's group with this id (calendars use it to check their ``groupId``)."""
    stored = store.get(GROUP, group_id)
    return stored.data if stored is not None and stored.owner == location_id else None


def list_groups(call: Call) -> Reply:
    location_id = call.required_arg("locationId")
    return Reply(200, {"groups": call.store.find(GROUP, owner=location_id)})


def create_group(call: Call) -> Reply:
    dto = parse(CreateGroup, call.body)
    with call.store.transaction():
        _check_slug(call.store, dto.locationId, dto.slug, None)
        group: JsonObject = {
            "id": call.store.new_id(),
            "locationId": dto.locationId,
            "name": dto.name,
            "description": dto.description,
            "slug": dto.slug,
            "isActive": True if dto.isActive is None else dto.isActive,
        }
        call.store.add(GROUP, group["id"], dto.locationId, group)
    return Reply(201, {"group": group})


def _stored_group(call: Call) -> JsonObject:
    stored = call.store.get(GROUP, call.params["groupId"])
    if stored is None:
        raise _not_found()
    return stored.data


def update_group(call: Call) -> Reply:
    dto = parse(UpdateGroup, call.body)
    with call.store.transaction():
        group = _stored_group(call)
        _check_slug(call.store, group["locationId"], dto.slug, group["id"])
        group.update(name=dto.name, description=dto.description, slug=dto.slug)
        call.store.replace(GROUP, group["id"], group)
    return Reply(200, {"group": group})


def set_group_status(call: Call) -> Reply:
    dto = parse(GroupStatus, call.body)
    with call.store.transaction():
        group = _stored_group(call)
        group["isActive"] = dto.isActive
        call.store.replace(GROUP, group["id"], group)
    return Reply(200, {"success": True})


def delete_group(call: Call) -> Reply:
    with call.store.transaction():
        group = _stored_group(call)
        # Its calendars stay, ungrouped (see the module docstring).
        for calendar in call.store.find(CALENDAR, owner=group["locationId"]):
            if calendar.get("groupId") == group["id"]:
                del calendar["groupId"]
                call.store.replace(CALENDAR, calendar["id"], calendar)
        call.store.remove(GROUP, group["id"])
    return Reply(200, {"success": True})


def validate_slug(call: Call) -> Reply:
    dto = parse(ValidateSlug, call.body)
    return Reply(200, {"available": slug_available(call.store, dto.locationId, dto.slug)})


_BY_ID = owner_of(GROUP, "groupId")

# Literal paths first: /calendars/groups must be tried before the calendars' /calendars/{calendarId}.
ROUTES = (
    Route("GET", "/calendars/groups", list_groups, locate=from_query("locationId")),
    Route("POST", "/calendars/groups", create_group, locate=from_body("locationId")),
    Route("POST", "/calendars/groups/validate-slug", validate_slug, locate=from_body("locationId")),
    Route("PUT", "/calendars/groups/{groupId}/status", set_group_status, locate=_BY_ID),
    Route("PUT", "/calendars/groups/{groupId}", update_group, locate=_BY_ID),
    Route("DELETE", "/calendars/groups/{groupId}", delete_group, locate=_BY_ID),
)
