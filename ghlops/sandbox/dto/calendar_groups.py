"""Bodies of the Calendar Groups API (calendars.json): GroupCreateDTO, GroupUpdateDTO, GroupStatusUpdateParams and
ValidateGroupSlugPostBody."""

from __future__ import annotations

from ghlops.sandbox.validation import Dto, Name


class CreateGroup(Dto):
    # All four are required by GroupCreateDTO; a description may be empty (the UI leaves it blank), a name and a
    # slug may not (the slug is the group's booking URL).
    locationId: str
    name: Name
    description: str
    slug: Name
    isActive: bool | None = None


class UpdateGroup(Dto):
    """GroupUpdateDTO: the whole group every time (all three required), no ``isActive`` (that is /status)."""

    name: Name
    description: str
    slug: Name


class GroupStatus(Dto):
    isActive: bool


class ValidateSlug(Dto):
    locationId: str
    slug: Name
