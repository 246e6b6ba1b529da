"""Bodies of the Trigger Links API (links.json: LinksDto, LinkUpdateDto)."""

from __future__ import annotations

from ghlops.sandbox.validation import Dto


class CreateLink(Dto):
    locationId: str
    name: str
    redirectTo: str


class UpdateLink(Dto):
    name: str
    redirectTo: str
