"""The manifest document schema (apiVersion ghlops/v1).

A Location document holds one section per kind for one GHL location. A Template document holds the same
sections (and variables) for many: a Location lists templates in ``spec.templates`` and the loader merges them
into it before validation (see :mod:`ghlops.manifest.templates`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    WithJsonSchema,
    create_model,
    field_validator,
)

from ghlops.ids import ID_SHAPE, id_problem
from ghlops.kinds import registry
from ghlops.kinds.base import Model

API_VERSION = "ghlops/v1"
# What `spec.prune` accepts, from the registry (children follow their parent's section).
if TYPE_CHECKING:
    PruneKind = str
else:
    PruneKind = Literal[registry.prunable()]
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


class LocationSpecBase(Model):
    locationId: str = Field(
        description="The GHL location (sub-account) id.", json_schema_extra={"pattern": f"^{ID_SHAPE.pattern}$"}
    )
    companyId: str | None = Field(
        default=None,
        description="The agency's company id (for users); defaults to GHL_COMPANY_ID.",
        json_schema_extra={"pattern": f"^{ID_SHAPE.pattern}$"},
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

    @field_validator("locationId", "companyId")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        # Ids go into URL paths and queries: one that is not id-shaped (ghlops.ids) is refused here, with
        # file:line, rather than when the first call is built (issue 13, section 4).
        problem = id_problem(value) if value is not None else None
        if problem is not None:
            raise ValueError(problem)
        return value

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


def _sections(template: bool) -> dict[str, Any]:
    """One optional list field per kind with a section, in document order, typed by the kind's model."""
    fields: dict[str, Any] = {}
    for name in registry.document_order():
        kind = registry.BY_NAME[name]
        description = (kind.template_description if template else None) or kind.section_description or name
        # A singleton's section is its one object (spec.profile), the others' a list of entries.
        annotation = (kind.model | None) if kind.singleton else (list[kind.model] | None)  # type: ignore[name-defined]
        fields[name] = (annotation, Field(default=None, description=description))
    return fields


if TYPE_CHECKING:
    LocationSpec = LocationSpecBase
else:
    LocationSpec = create_model(
        "LocationSpec", __base__=LocationSpecBase, __module__=__name__, __doc__=None, **_sections(False)
    )


class LocationDocument(Model):
    apiVersion: Literal["ghlops/v1"] = Field(description="Always ghlops/v1.")
    kind: Literal["Location"] = Field(description="Location.")
    metadata: Metadata
    spec: LocationSpec


class TemplateSpecBase(Model):
    """The sections a Template gives its locations. No locationId, companyId, tokenEnv or prune: those are
    decisions of each Location (a template never makes a location delete anything)."""

    vars: dict[VarName, VarValue] | None = Field(
        default=None, description=_VARS_DESCRIPTION + " Later templates and the location override them."
    )


if TYPE_CHECKING:
    TemplateSpec = TemplateSpecBase
else:
    TemplateSpec = create_model(
        "TemplateSpec",
        __base__=TemplateSpecBase,
        __module__=__name__,
        __doc__=TemplateSpecBase.__doc__,
        **_sections(True),
    )


class TemplateDocument(Model):
    apiVersion: Literal["ghlops/v1"] = Field(description="Always ghlops/v1.")
    kind: Literal["Template"] = Field(description="Template: sections shared by the locations that list it.")
    metadata: Metadata
    spec: TemplateSpec


#: The manifest sections in dependency order (from the registry).
SECTIONS: tuple[str, ...] = registry.section_names()
#: The sections in the order the models (and exported manifests) list them.
SPEC_ORDER: tuple[str, ...] = registry.document_order()
DOCUMENT_KINDS: tuple[str, ...] = ("Location", "Template")
