"""The manifest document schema (apiVersion ghlops/v1): a Location document holds one section per kind."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ghlops.kinds.base import Model
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.custom_fields import CustomField
from ghlops.kinds.custom_values import CustomValue
from ghlops.kinds.products import Product
from ghlops.kinds.tags import Tag
from ghlops.kinds.users import User

API_VERSION = "ghlops/v1"
PruneKind = Literal["users", "tags", "customFields", "customValues", "products", "calendars"]
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Metadata(Model):
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=100,
        description="Handle used in plan output and --location (letters, digits, '.', '_', '-').",
    )


class LocationSpec(Model):
    locationId: str = Field(min_length=1, description="The GHL location (sub-account) id.")
    companyId: str | None = Field(
        default=None, description="The agency's company id (for users); defaults to GHL_COMPANY_ID."
    )
    tokenEnv: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="Name of the environment variable holding this location's token (default GHL_TOKEN).",
    )
    prune: list[PruneKind] | Literal["all"] = Field(
        default_factory=list,
        description="Kinds whose live objects missing from this manifest are deleted ('all' for every kind). "
        "Without it, undeclared objects are only reported.",
    )
    customFields: list[CustomField] | None = Field(default=None, description="Custom fields.")
    customValues: list[CustomValue] | None = Field(default=None, description="Custom values.")
    tags: list[Tag] | None = Field(default=None, description="Tags (strings, or mappings with protect etc.).")
    users: list[User] | None = Field(default=None, description="Users who belong to this location.")
    calendars: list[Calendar] | None = Field(default=None, description="Calendars.")
    products: list[Product] | None = Field(default=None, description="Products with their prices.")

    @field_validator("prune", mode="before")
    @classmethod
    def _prune_string(cls, value: object) -> object:
        # `prune: tags` reads naturally; treat a single kind like a one-item list.
        if isinstance(value, str) and value != "all":
            return [value]
        return value


class LocationDocument(Model):
    apiVersion: Literal["ghlops/v1"] = Field(description="Always ghlops/v1.")
    kind: Literal["Location"] = Field(description="Location.")
    metadata: Metadata
    spec: LocationSpec


SECTIONS: tuple[str, ...] = ("users", "tags", "customFields", "customValues", "products", "calendars")
