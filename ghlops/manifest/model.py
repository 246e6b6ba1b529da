"""The manifest document schema (apiVersion ghlops/v1).

A Location document holds one section per kind for one GHL location. A Template document holds the same
sections (and variables) for many: a Location lists templates in ``spec.templates`` and the loader merges them
into it before validation (see :mod:`ghlops.manifest.templates`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictFloat, StrictInt, WithJsonSchema, field_validator

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
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


def _var_name(name: str) -> str:
    if not re.match(VAR_NAME_PATTERN, name):
        raise ValueError(f"variable name {name!r}: use letters, digits and '_', not starting with a digit")
    return name


VarName = Annotated[str, AfterValidator(_var_name), WithJsonSchema({"type": "string", "pattern": VAR_NAME_PATTERN})]
# Scalars only; strict so that validation reports a list or mapping instead of coercing anything.
VarValue = StrictBool | StrictInt | StrictFloat | str
TemplateName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]

_VARS_DESCRIPTION = (
    "Variables for '{{ vars.NAME }}' references in any string value of this document's sections (and of the "
    "templates it uses). Values are substituted as text; a number field accepts a string holding one reference."
)


class Metadata(Model):
    name: str = Field(
        pattern=NAME_PATTERN,
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
    templates: list[TemplateName] | None = Field(
        default=None,
        description="Template documents merged into this location, in order: later templates override earlier "
        "ones, and this document's own entries override them all (matched by natural key, field by field).",
    )
    vars: dict[VarName, VarValue] | None = Field(
        default=None, description=_VARS_DESCRIPTION + " These override the templates' vars."
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

    @field_validator("templates", mode="before")
    @classmethod
    def _templates_string(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class LocationDocument(Model):
    apiVersion: Literal["ghlops/v1"] = Field(description="Always ghlops/v1.")
    kind: Literal["Location"] = Field(description="Location.")
    metadata: Metadata
    spec: LocationSpec


class TemplateSpec(Model):
    """The sections a Template gives its locations. No locationId, companyId, tokenEnv or prune: those are
    decisions of each Location (a template never makes a location delete anything)."""

    vars: dict[VarName, VarValue] | None = Field(
        default=None, description=_VARS_DESCRIPTION + " Later templates and the location override them."
    )
    customFields: list[CustomField] | None = Field(default=None, description="Custom fields.")
    customValues: list[CustomValue] | None = Field(default=None, description="Custom values.")
    tags: list[Tag] | None = Field(default=None, description="Tags (strings, or mappings with protect etc.).")
    users: list[User] | None = Field(default=None, description="Users who belong to every location using this.")
    calendars: list[Calendar] | None = Field(default=None, description="Calendars.")
    products: list[Product] | None = Field(default=None, description="Products with their prices.")


class TemplateDocument(Model):
    apiVersion: Literal["ghlops/v1"] = Field(description="Always ghlops/v1.")
    kind: Literal["Template"] = Field(description="Template: sections shared by the locations that list it.")
    metadata: Metadata
    spec: TemplateSpec


SECTIONS: tuple[str, ...] = ("users", "tags", "customFields", "customValues", "products", "calendars")
# The sections in the order the models (and exported manifests) list them.
SPEC_ORDER: tuple[str, ...] = ("customFields", "customValues", "tags", "users", "calendars", "products")
DOCUMENT_KINDS: tuple[str, ...] = ("Location", "Template")
