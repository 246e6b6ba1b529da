"""Bodies of the Sub-Account API endpoints ghlops uses: the location itself, custom fields, custom values, tags."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

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

#: UpdateLocationDto's country enum as locations.json publishes it: ISO 3166 alpha-2 codes, with its oddities
#: kept (it has AN and XK, and lacks BQ and SS), since GHL refuses whatever its enum lacks.
COUNTRIES: tuple[str, ...] = tuple(
    " ".join(
        (
            "AF AX AL DZ AS AD AO AI AQ AG AR AM AW AU AT AZ BS BH BD BB BY BE BZ BJ BM BT BO BA BW BV BR IO BN",
            "BG BF BI KH CM CA CV KY CF TD CL CN CX CC CO KM CG CD CK CR CI HR CU CY CZ DK DJ DM DO EC EG SV GQ",
            "ER EE ET FK FO FJ FI FR GF PF TF GA GM GE DE GH GI GR GL GD GP GU GT GG GN GW GY HT HM VA HN HK HU",
            "IS IN ID IR IQ IE IM IL IT JM JP JE JO KZ KE KI KP KR XK KW KG LA LV LB LS LR LY LI LT LU MO MK MG",
            "MW MY MV ML MT MH MQ MR MU YT MX FM MD MC MN ME MS MA MZ MM NA NR NP NL AN NC NZ NI NE NG NU NF MP",
            "NO OM PK PW PS PA PG PY PE PH PN PL PT PR QA RE RO RU RW SH KN LC MF PM VC WS SM ST SA SN RS SC SL",
            "SG SX SK SI SB SO ZA GS ES LK SD SR SJ SZ SE CH SY TW TJ TZ TH TL TG TK TO TT TN TR TM TC TV UG GB",
            "UA AE US UM UY UZ VU VE VN VG VI WF EH YE ZM ZW",
        )
    ).split()
)

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
