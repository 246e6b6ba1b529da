"""Custom fields on contacts and opportunities. Their values live on every contact, so deleting or replacing
a field erases data; the plan says so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationInfo, model_validator

from ghlops.kinds.base import (
    Entry,
    Kind,
    LiveObject,
    Model,
    Name,
    Resolver,
    expect_list,
    is_live,
    name_field,
    require_str,
)
from ghlops.request import Request


class DataType(StrEnum):
    TEXT = "TEXT"
    LARGE_TEXT = "LARGE_TEXT"
    NUMERICAL = "NUMERICAL"
    PHONE = "PHONE"
    MONETORY = "MONETORY"  # GHL's spelling
    CHECKBOX = "CHECKBOX"
    SINGLE_OPTIONS = "SINGLE_OPTIONS"
    MULTIPLE_OPTIONS = "MULTIPLE_OPTIONS"
    FLOAT = "FLOAT"
    TIME = "TIME"
    DATE = "DATE"
    TEXTBOX_LIST = "TEXTBOX_LIST"
    FILE_UPLOAD = "FILE_UPLOAD"
    SIGNATURE = "SIGNATURE"
    RADIO = "RADIO"
    EMAIL = "EMAIL"
    # Not in the OpenAPI documents, but GHL has it and lists fields of this type.
    URL = "URL"


OPTION_TYPES = frozenset({DataType.SINGLE_OPTIONS, DataType.MULTIPLE_OPTIONS, DataType.RADIO, DataType.CHECKBOX})


class FieldModel(StrEnum):
    contact = "contact"
    opportunity = "opportunity"


class TextBoxListOption(Model):
    label: str
    prefillValue: str | None = None


class CustomField(Entry):
    name: Name = name_field("Field name, unique per model.")
    model: FieldModel = Field(default=FieldModel.contact, description="contact or opportunity.")
    dataType: DataType = Field(description="Field type; GHL cannot change it, so a change means replace.")
    placeholder: str | None = Field(default=None, description="Placeholder text.")
    description: str | None = Field(
        default=None,
        description="Help text. Accepted on create though the API documents leave it out (maintainer-confirmed); "
        "compared only when GHL returns it.",
    )
    options: list[str] | None = Field(
        default=None, description="Choices for SINGLE_OPTIONS, MULTIPLE_OPTIONS, RADIO and CHECKBOX fields."
    )
    position: int | None = Field(default=None, description="Display position.")
    acceptedFormat: list[str] | None = Field(default=None, description="FILE_UPLOAD: accepted extensions.")
    isMultipleFile: bool | None = Field(default=None, description="FILE_UPLOAD: allow several files.")
    maxNumberOfFiles: int | None = Field(default=None, description="FILE_UPLOAD: most files per contact.")
    textBoxListOptions: list[TextBoxListOption] | None = Field(default=None, description="TEXTBOX_LIST rows.")

    @model_validator(mode="after")
    def _options_fit_type(self, info: ValidationInfo) -> CustomField:
        if is_live(info):
            return self  # live data is what it is; only manifests are held to the rule
        if self.dataType in OPTION_TYPES and not self.options and "dataType" in self.model_fields_set:
            raise ValueError(f"dataType {self.dataType} needs a non-empty 'options' list")
        if self.options and self.dataType not in OPTION_TYPES:
            raise ValueError(f"'options' only applies to {', '.join(sorted(OPTION_TYPES))} fields")
        return self


# What the list answer calls the fields the create body names differently.
_READ_NAMES = {"options": "picklistOptions", "isMultipleFile": "isMultiFileAllowed", "maxNumberOfFiles": "maxFileLimit"}


class CustomFields(Kind[CustomField]):
    name = "customFields"
    label = "custom field"
    model = CustomField
    immutable = frozenset({"dataType"})
    # The list answer does not return these; comparing them would show a change on every plan.
    write_only = frozenset({"acceptedFormat", "textBoxListOptions"})
    compared_when_present = frozenset({"description"})
    delete_warning = "erases the value every contact holds for this field"
    section_description = "Custom fields."
    document_order = 10
    stored_as = "customField"
    # CreateCustomFieldsDTO documents position 0; "contact" is the manifest model's own default.
    export_defaults = {"model": "contact", "position": 0}
    contact_data_on_delete = True
    contact_data_on_replace = True
    contact_options_field = "options"

    def key(self, obj: CustomField) -> str:
        return f"{obj.model}/{obj.name.casefold()}"

    def display(self, obj: CustomField) -> str:
        return f"{obj.model}/{obj.name}"

    def key_for_name(self, obj: CustomField, name: str) -> str:
        return f"{obj.model}/{name.casefold()}"

    def list_request(self, location_id: str) -> Request:
        # Without model=all GHL returns contact fields only and opportunity fields would look missing.
        return Request("GET", ("/locations/", location_id, "/customFields"), params=(("model", "all"),))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return expect_list(body, "customFields")

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # List items also carry documentType, parentId (the folder: GHL has no public API for folders,
        # highlevel-api-docs #171, so ghlops never sends it and an update leaves the field in its folder),
        # fieldKey, standard and dateAdded; positions are server-assigned (multiples of 50).
        data: dict[str, Any] = {
            "name": require_str(raw, "name"),
            "model": raw.get("model") or "contact",
            "dataType": raw.get("dataType"),
        }
        for name in ("placeholder", "position", "description"):
            if raw.get(name) is not None:
                data[name] = raw[name]
        for ours, theirs in _READ_NAMES.items():
            if raw.get(theirs) is not None:
                data[ours] = raw[theirs]
        # Non-option types carry no picklistOptions, or an empty list: neither is an option list.
        if data.get("options") == [] and not (isinstance(data["dataType"], str) and data["dataType"] in OPTION_TYPES):
            del data["options"]
        return data

    def _body(self, desired: CustomField, fields: Sequence[str], resolver: Resolver) -> dict[str, Any]:
        return {f: self.compare_value(f, desired, resolver) for f in fields if getattr(desired, f) is not None}

    def create_request(self, location_id: str, desired: CustomField, resolver: Resolver) -> Request:
        fields = [
            "name",
            "dataType",
            "model",
            *[f for f in desired.managed_fields() if f not in ("name", "dataType", "model")],
        ]
        return Request(
            "POST",
            ("/locations/", location_id, "/customFields"),
            body=self._body(desired, fields, resolver),
            id_field=("customField", "id"),
        )

    def update_request(
        self,
        location_id: str,
        live: LiveObject[CustomField],
        desired: CustomField,
        fields: Sequence[str],
        resolver: Resolver,
    ) -> Request:
        # PUT is a partial update here, but name is required; dataType may not be sent at all.
        send = ["name", *[f for f in fields if f not in ("name", "dataType", "model")]]
        return Request(
            "PUT", ("/locations/", location_id, "/customFields/", live.id), body=self._body(desired, send, resolver)
        )

    def delete_request(self, location_id: str, live: LiveObject[CustomField]) -> Request:
        return Request("DELETE", ("/locations/", location_id, "/customFields/", live.id))

    def export_entry(self, data: dict[str, Any], live: LiveObject[CustomField], notes: list[str]) -> Any:
        if isinstance(data.get("position"), int) and data["position"] % 50 == 0:
            del data["position"]  # GHL assigns positions in steps of 50: one the user never chose
        if data.get("options") is not None and str(data.get("dataType")) not in OPTION_TYPES:
            del data["options"]
        if data.get("placeholder") == "":
            del data["placeholder"]
        return data

    def export_notes(self, objects: Sequence[LiveObject[CustomField]]) -> list[str]:
        in_folders = sum(1 for o in objects if o.raw.get("parentId"))
        if not in_folders:
            return []
        # GHL has no public API to list or create custom field folders (highlevel-api-docs #171).
        return [
            f"{in_folders} custom field(s) sit in folders: GHL offers no API for folders, so ghlops "
            "leaves every field in the folder it is in (folders are not exported)"
        ]


KIND = CustomFields()
