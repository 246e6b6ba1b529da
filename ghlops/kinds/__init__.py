"""One module per kind. KINDS is the dependency order creates and updates follow; deletes run in reverse."""

from __future__ import annotations

from typing import Any

from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver
from ghlops.kinds.calendars import KIND as CALENDARS
from ghlops.kinds.custom_fields import KIND as CUSTOM_FIELDS
from ghlops.kinds.custom_values import KIND as CUSTOM_VALUES
from ghlops.kinds.products import PRICES, PRODUCTS
from ghlops.kinds.tags import KIND as TAGS
from ghlops.kinds.users import KIND as USERS

KINDS: tuple[Kind[Any], ...] = (USERS, TAGS, CUSTOM_FIELDS, CUSTOM_VALUES, PRODUCTS, PRICES, CALENDARS)
BY_NAME: dict[str, Kind[Any]] = {k.name: k for k in KINDS}
LOCATION_KINDS: tuple[Kind[Any], ...] = tuple(k for k in KINDS if k is not USERS)
# What `spec.prune` accepts: the manifest sections (prices follow products).
PRUNABLE: tuple[str, ...] = ("users", "tags", "customFields", "customValues", "products", "calendars")

__all__ = [
    "BY_NAME",
    "CALENDARS",
    "CUSTOM_FIELDS",
    "CUSTOM_VALUES",
    "KINDS",
    "LOCATION_KINDS",
    "PRICES",
    "PRODUCTS",
    "PRUNABLE",
    "TAGS",
    "USERS",
    "Entry",
    "Kind",
    "LiveObject",
    "Resolver",
]
