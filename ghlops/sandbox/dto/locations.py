"""Bodies of the Sub-Account API endpoints ghlops uses: the location itself, custom fields, custom values, tags."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

from ghlops.kinds.profile import COUNTRIES
from ghlops.sandbox.validation import Dto, Name, Number, one_of

DATA_TYPES = (
    "TEXT",
    "LARGE_TEXT",
    "NUMERICAL",
    "PHONE",
    "MONETORY",
    "CHECKBOX",
    "SINGLE_OPTIONS",
    "MULTIPLE_OPTIONS",
    "FLOAT",
    "TIME",
    "DATE",
    "TEXTBOX_LIST",
    "FILE_UPLOAD",
    "SIGNATURE",
    "RADIO",
    "EMAIL",
    # Not in the documents' enum, but real GHL has it (issue 9; recorded custom field scripts create URL fields).
    "URL",
)
# Types whose values are picked from a list; GHL refuses them without options.
OPTION_DATA_TYPES = frozenset({"SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "RADIO", "CHECKBOX"})
FIELD_MODELS = ("contact", "opportunity")

DataType = Annotated[str, PlainValidator(one_of(*DATA_TYPES))]
FieldModel = Annotated[str, PlainValidator(one_of(*FIELD_MODELS))]


class TextBoxListOption(Dto):
    label: str | None = None
    prefillValue: str | None = None


class _CustomFieldCommon(Dto):
    name: Name
    placeholder: str | None = None
    acceptedFormat: list[str] | None = None
    isMultipleFile: bool | None = None
    maxNumberOfFiles: Number | None = None
    textBoxListOptions: list[TextBoxListOption] | None = None
    position: Number | None = None
    model: FieldModel | None = None
    # Not in the published DTOs, but real GHL takes the choices of option-type fields here (and answers them as
    # ``picklistOptions``, which it refuses on writes).
    options: list[str] | None = None
    # Undocumented but working on GHL, maintainer-confirmed in GoHighLevel/highlevel-api-docs #300.
    description: str | None = None


class CreateCustomField(_CustomFieldCommon):
    dataType: DataType
    # Also from highlevel-api-docs #300, on create only: the folder and a chosen key.
    parentId: str | None = None
    fieldKey: str | None = None


class UpdateCustomField(_CustomFieldCommon):
    """No ``dataType``: GHL cannot change a field's type, and whitelisting rejects the property."""


class CustomValueBody(Dto):
    name: Name
    value: str


class TagBody(Dto):
    name: Name


# -- the location itself: UpdateLocationDto (PUT /locations/{locationId}, agency token) -----------------------

# UpdateLocationDto's country enum (locations.json): one list, kept with the profile kind that validates it.
Country = Annotated[str, PlainValidator(one_of(*COUNTRIES))]


class ProspectInfo(Dto):
    firstName: str
    lastName: str
    email: str


class LocationSettings(Dto):
    """SettingsSchema."""

    allowDuplicateContact: bool | None = None
    allowDuplicateOpportunity: bool | None = None
    allowFacebookNameMerge: bool | None = None
    disableContactTimezone: bool | None = None


class LocationSocial(Dto):
    """SocialSchema."""

    facebookUrl: str | None = None
    googlePlus: str | None = None
    linkedIn: str | None = None
    foursquare: str | None = None
    twitter: str | None = None
    yelp: str | None = None
    instagram: str | None = None
    youtube: str | None = None
    pinterest: str | None = None
    blogRss: str | None = None
    googlePlacesId: str | None = None


class Twilio(Dto):
    sid: str
    authToken: str


class Mailgun(Dto):
    apiKey: str
    domain: str


class SnapshotLoad(Dto):
    id: str
    override: bool | None = None


class UpdateLocation(Dto):
    """UpdateLocationDto: only ``companyId`` is required; what is not sent keeps its value."""

    companyId: str
    name: Name | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    country: Country | None = None
    postalCode: str | None = None
    website: str | None = None
    timezone: str | None = None
    prospectInfo: ProspectInfo | None = None
    settings: LocationSettings | None = None
    social: LocationSocial | None = None
    twilio: Twilio | None = None
    mailgun: Mailgun | None = None
    snapshot: SnapshotLoad | None = None
