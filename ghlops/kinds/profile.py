"""The location's own profile and settings (`spec.profile`): `PUT /locations/{locationId}` (locations.json
UpdateLocationDto), read with `GET /locations/{locationId}` (GetLocationByIdSchema).

A singleton: every location has exactly one, so it is only ever updated, never created or deleted, and only the
fields the manifest sets are compared and sent. The PUT takes the agency token only (the document's security is
Agency-Access alone) and requires ``companyId``, which the GET answers with. What a PUT leaves out keeps its value
(settings and social key by key); ghlops still sends back the settings and social keys GHL gave (read-modify-write),
so an update never depends on that merge. ``twilio`` and ``mailgun`` are credentials and ``snapshot`` starts a
snapshot load (an action, not a setting): a manifest naming them is refused with a line saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from ghlops.kinds.base import Entry, Kind, LiveObject, Model, Resolver, overlay, plain
from ghlops.request import Auth, Request

#: UpdateLocationDto's country enum as locations.json publishes it: ISO 3166 alpha-2 codes with its oddities kept
#: (it has AN and XK, and lacks BQ and SS), since GHL refuses whatever its enum lacks.
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

#: Keys of UpdateLocationDto a manifest may not hold, and why.
REFUSED: Mapping[str, str] = {
    "twilio": "twilio holds credentials (sid, authToken): ghlops never puts secrets in manifests or plans",
    "mailgun": "mailgun holds credentials (apiKey): ghlops never puts secrets in manifests or plans",
    "snapshot": "snapshot starts a snapshot load, an action rather than a setting: load snapshots in GHL",
}

#: The natural key of the one profile a location has.
KEY = "profile"

#: Profile keys GET answers flat, as the PUT takes them.
FLAT = ("name", "phone", "address", "city", "state", "country", "postalCode", "website", "timezone")


class LocationSettings(Model):
    """SettingsSchema."""

    allowDuplicateContact: bool | None = None
    allowDuplicateOpportunity: bool | None = None
    allowFacebookNameMerge: bool | None = None
    disableContactTimezone: bool | None = None


class LocationSocial(Model):
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


Country = Literal[COUNTRIES]  # type: ignore[valid-type]


class Profile(Entry):
    """The location's profile: only the fields set here are compared and sent."""

    name: str | None = Field(default=None, min_length=1, description="The location's (business) name.")
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    country: Country | None = Field(default=None, description="ISO 3166 alpha-2 code, as GHL's enum has it.")
    postalCode: str | None = None
    website: str | None = None
    timezone: str | None = Field(default=None, description="IANA time zone, e.g. US/Central.")
    settings: LocationSettings | None = None
    social: LocationSocial | None = None

    @model_validator(mode="before")
    @classmethod
    def _refused(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key, why in REFUSED.items():
                if key in data:
                    raise ValueError(f"{key} is not accepted here: {why}")
        return data


class Profiles(Kind[Profile]):
    name = "profile"
    label = "location"
    model = Profile
    section_description = "The location's own profile and settings (updated only; never created or deleted)."
    template_description = "Profile and settings every location using this template gets (e.g. settings)."
    document_order = 5
    singleton = True
    stored_as = "locationProfile"
    # What identifies the source location (its name, phone, address, website): a clone leaves them out, so a new
    # location is never renamed or readdressed as its source; settings, social, country and timezone are copied.
    location_references = ("name", "phone", "address", "city", "state", "postalCode", "website")
    key_field = "name"

    def key(self, obj: Profile) -> str:
        return KEY

    def display(self, obj: Profile) -> str:
        return KEY

    def display_name(self, obj: Profile) -> str:
        return KEY

    def key_for_name(self, obj: Profile, name: str) -> str:
        return KEY

    def list_request(self, location_id: str) -> Request:
        # One GET per location (GetLocationByIdSchema answers under "location").
        return Request("GET", ("/locations/", location_id))

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        location = body.get("location") if isinstance(body, Mapping) else None
        if not isinstance(location, Mapping):
            raise ValueError("expected an object with 'location'")
        return [location]

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        data: dict[str, Any] = {k: raw[k] for k in FLAT if raw.get(k) is not None}
        for block in ("settings", "social"):
            if isinstance(raw.get(block), Mapping):
                data[block] = {k: v for k, v in raw[block].items() if v is not None}
        return data

    def create_request(self, location_id: str, desired: Profile, resolver: Resolver) -> Request:
        raise NotImplementedError("a location's profile is never created: it is updated (singleton)")

    def delete_request(self, location_id: str, live: LiveObject[Profile]) -> Request:
        raise NotImplementedError("a location's profile is never deleted (singleton)")

    def update_request(
        self, location_id: str, live: LiveObject[Profile], desired: Profile, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        company = live.raw.get("companyId")
        if not isinstance(company, str) or not company:
            raise ValueError("GHL's answer for the location carries no companyId, which its update requires")
        body: dict[str, Any] = {"companyId": company}
        for name in fields:
            value = plain(getattr(desired, name))
            if name in ("settings", "social") and isinstance(live.raw.get(name), Mapping):
                # Read-modify-write: the keys GHL gave that the manifest doesn't set go back as they are.
                value = overlay(live.raw[name], value)
            body[name] = value
        return Request("PUT", ("/locations/", location_id), auth=Auth.AGENCY, body=body)


KIND = Profiles()
