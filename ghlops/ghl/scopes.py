"""The OAuth scopes ghlops needs per managed kind (GHL's scope names, https://highlevel.stoplight.io/docs/
integrations/ "Scopes" page, and the ``security`` of each operation in ../shared/ghl-openapi)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: Always needed: reading the location, minting location tokens and listing installations.
BASE_SCOPES = ("locations.readonly", "oauth.readonly", "oauth.write")

SCOPES_BY_KIND: Mapping[str, tuple[str, ...]] = {
    "customFields": ("locations/customFields.readonly", "locations/customFields.write"),
    "customValues": ("locations/customValues.readonly", "locations/customValues.write"),
    "tags": ("locations/tags.readonly", "locations/tags.write"),
    "calendars": ("calendars.readonly", "calendars.write"),
    "products": ("products.readonly", "products.write", "products/prices.readonly", "products/prices.write"),
    "users": ("users.readonly", "users.write"),
}


def all_scopes() -> tuple[str, ...]:
    found = list(BASE_SCOPES)
    for scopes in SCOPES_BY_KIND.values():
        found.extend(s for s in scopes if s not in found)
    return tuple(found)


def missing_scopes(kinds: Iterable[str], granted: Iterable[str]) -> dict[str, list[str]]:
    """Kind → the scopes it needs that ``granted`` lacks (only kinds missing something)."""
    have = set(granted)
    missing: dict[str, list[str]] = {}
    base = [s for s in BASE_SCOPES if s not in have]
    if base:
        missing["(every run)"] = base
    for kind in kinds:
        lacking = [s for s in SCOPES_BY_KIND.get(kind, ()) if s not in have]
        if lacking:
            missing[kind] = lacking
    return missing
