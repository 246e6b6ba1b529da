"""One module per kind; the registry (:mod:`ghlops.kinds.registry`) lists them in dependency order: creates and
updates follow it, deletes run in reverse."""

from __future__ import annotations

from ghlops.kinds.base import Entry, Kind, LiveObject, Reference, Resolver, Scope
from ghlops.kinds.calendars import KIND as CALENDARS
from ghlops.kinds.custom_fields import KIND as CUSTOM_FIELDS
from ghlops.kinds.custom_values import KIND as CUSTOM_VALUES
from ghlops.kinds.products import PRICES, PRODUCTS
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, KINDS, LOCATION_KINDS, SECTION_KINDS, section_names
from ghlops.kinds.tags import KIND as TAGS
from ghlops.kinds.users import KIND as USERS

__all__ = [
    "BY_NAME",
    "CALENDARS",
    "COMPANY_KINDS",
    "CUSTOM_FIELDS",
    "CUSTOM_VALUES",
    "KINDS",
    "LOCATION_KINDS",
    "PRICES",
    "PRODUCTS",
    "SECTION_KINDS",
    "TAGS",
    "USERS",
    "Entry",
    "Kind",
    "LiveObject",
    "Reference",
    "Resolver",
    "Scope",
    "section_names",
]
