"""Calendar groups (`/calendars/groups`, API Version 2021-04-15): a name, a description, the slug of the group's
booking page and whether it is active. Calendars name their group (`group: NAME`), resolved to its id.

GHL facts (calendars.json, "Calendar Groups"): a create needs locationId, name, description and slug
(GroupCreateDTO); the PUT sends the whole group (GroupUpdateDTO requires name, description and slug) and has no
`isActive`, which only `PUT /calendars/groups/{groupId}/status` changes (GroupStatusUpdateParams). Deleting a group
leaves its calendars, ungrouped (see ghlops/sandbox/routes/calendar_groups.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, model_validator

from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver, expect_list, require_str
from ghlops.kinds.calendar_api import VERSION_CALENDARS
from ghlops.request import Ref, Request

NAME = "calendarGroups"
# Where a location read records each live group's name by id, so its calendars are read back as `group: NAME`
# (they are parsed after the groups: this kind reads first). Not a kind name: nothing resolves references to it.
NAMES_BY_ID = "calendarGroups#name"


class CalendarGroup(Entry):
    name: str = Field(min_length=1, description="The group's name; the natural key.")
    description: str | None = Field(default=None, description="Shown on the group's booking page.")
    slug: str | None = Field(
        default=None,
        min_length=1,
        description="The group's booking URL, unique in the location (made from the name when left out).",
    )
    isActive: bool | None = Field(default=None, description="An inactive group's booking page is off.")

    @model_validator(mode="after")
    def _no_nulls(self) -> CalendarGroup:
        # GHL keeps a slug and a status on every group: null cannot be sent, and would be a diff every plan.
        for name in ("slug", "isActive"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep GHL's value")
        return self


def slugify(name: str) -> str:
    """A slug from a group's name, for a create whose manifest sets none (GHL requires one)."""
    return re.sub(r"[^0-9a-z]+", "-", name.casefold()).strip("-") or "group"


def group_name(resolver: Resolver, group_id: str) -> str | None:
    """The name of the live group with this id, as the location read recorded it (None when unknown)."""
    return resolver.ids.get((NAMES_BY_ID, group_id))


class CalendarGroups(Kind[CalendarGroup]):
    name = NAME
    label = "calendar group"
    model = CalendarGroup
    section_description = "Calendar groups: calendars name theirs with `group`."
    document_order = 45
    stored_as = "calendarGroup"
    # Read before the location's other kinds, so calendars find their group's name (see NAMES_BY_ID).
    read_first = True
    # GroupCreateDTO: a create that leaves isActive out makes an active group.
    export_defaults = {"isActive": True}
    delete_warning = "its booking page stops working (its calendars stay, ungrouped)"

    def list_request(self, location_id: str) -> Request:
        # The whole list in one answer: calendars.json documents no paging on GET /calendars/groups.
        return Request("GET", ("/calendars/groups",), version=VERSION_CALENDARS, params=(("locationId", location_id),))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return expect_list(body, "groups")

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        data: dict[str, Any] = {"name": require_str(raw, "name")}
        for field_name in ("description", "slug", "isActive"):
            if raw.get(field_name) is not None:
                data[field_name] = raw[field_name]
        return data

    def compare_value(self, field_name: str, desired: CalendarGroup, resolver: Resolver) -> Any:
        value = getattr(desired, field_name)
        # A group always has a description; an empty one is what a create without one sends.
        return "" if field_name == "description" and value is None else value

    def live(self, raw: Mapping[str, Any], resolver: Resolver) -> LiveObject[CalendarGroup]:
        found = super().live(raw, resolver)
        # Ids are unique across locations, so the company-wide read resolver may hold every location's groups.
        resolver.ids[(NAMES_BY_ID, found.id)] = found.obj.name
        return found

    def create_request(self, location_id: str, desired: CalendarGroup, resolver: Resolver) -> Request:
        body: dict[str, Any] = {
            "locationId": location_id,
            "name": desired.name,
            "description": desired.description or "",
            "slug": desired.slug or slugify(desired.name),
        }
        if desired.isActive is not None:
            body["isActive"] = desired.isActive
        return Request(
            "POST",
            ("/calendars/groups",),
            version=VERSION_CALENDARS,
            body=body,
            binds=Ref(NAME, self.key(desired)),
            id_field=("group", "id"),
        )

    def update_requests(
        self,
        location_id: str,
        live: LiveObject[CalendarGroup],
        desired: CalendarGroup,
        fields: Sequence[str],
        resolver: Resolver,
    ) -> tuple[Request, ...]:
        """The group PUT for name, description and slug, and the status PUT for isActive (the group PUT refuses
        it): one or both, in that order."""
        requests: list[Request] = []
        if any(f != "isActive" for f in fields):
            requests.append(self._put(live, desired, fields))
        if "isActive" in fields and desired.isActive is not None:
            requests.append(
                Request(
                    "PUT",
                    ("/calendars/groups/", live.id, "/status"),
                    version=VERSION_CALENDARS,
                    body={"isActive": desired.isActive},
                )
            )
        return tuple(requests)

    def update_request(
        self,
        location_id: str,
        live: LiveObject[CalendarGroup],
        desired: CalendarGroup,
        fields: Sequence[str],
        resolver: Resolver,
    ) -> Request:
        """The first of :meth:`update_requests` (for callers that take one request)."""
        return self.update_requests(location_id, live, desired, fields, resolver)[0]

    def _put(self, live: LiveObject[CalendarGroup], desired: CalendarGroup, fields: Sequence[str]) -> Request:
        # GroupUpdateDTO requires all three: what the manifest doesn't change keeps GHL's value.
        body = {
            "name": desired.name,
            "description": _kept(live, desired, fields, "description", ""),
            "slug": _kept(live, desired, fields, "slug", slugify(desired.name)),
        }
        return Request("PUT", ("/calendars/groups/", live.id), version=VERSION_CALENDARS, body=body)

    def delete_request(self, location_id: str, live: LiveObject[CalendarGroup]) -> Request:
        return Request("DELETE", ("/calendars/groups/", live.id), version=VERSION_CALENDARS)

    def export_entry(self, data: dict[str, Any], live: LiveObject[CalendarGroup], notes: list[str]) -> Any:
        if data.get("description") == "":
            del data["description"]  # what a create that sets none sends (GHL requires the key)
        return data


def _kept(live: LiveObject[CalendarGroup], desired: CalendarGroup, fields: Sequence[str], name: str, empty: str) -> Any:
    if name in fields and getattr(desired, name) is not None:
        return getattr(desired, name)
    value = live.raw.get(name)
    return value if isinstance(value, str) else empty


KIND = CalendarGroups()
