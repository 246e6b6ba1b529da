"""Sub-Account API: the location itself, its tags, custom fields and custom values.

Custom fields answer as real GHL does (recorded GET /locations/{id}/customFields answers published in public
repositories; GoHighLevel/highlevel-api-docs #300: create also takes the undocumented ``parentId`` (the folder),
``fieldKey`` and ``description``): every item carries ``documentType: "field"``, ``parentId``, ``standard`` and
``dateAdded``; ``picklistOptions`` only on option types (written as ``options``, read-only itself); positions are
assigned by the server in steps of 50. GHL has no public API for folders (highlevel-api-docs #171): a field
created without ``parentId`` lands in its model's default folder and no update moves it.

The location's own profile (``PUT /locations/{locationId}``, locations.json UpdateLocationDto) takes the agency
token only: the document's security is Agency-Access alone, and a location token is refused by the gateway as on
every agency route (see ghlops/sandbox/auth.py). The body needs ``companyId``, the location's company. What is
not sent keeps its value, ``settings`` and ``social`` key by key. GET then answers what was set in
GetLocationByIdSchema's shape: flat profile keys, ``prospectInfo`` as ``firstName``/``lastName``/``email``,
``settings``, ``social`` and a ``business`` block mirroring the business address. ``twilio`` and ``mailgun``
are credentials, taken but never answered; ``snapshot`` starts a snapshot load, which the sandbox doesn't run. A
location whose profile was never written answers only ``id``, ``companyId`` and ``name``. The PUT answers the
profile flat (CreateLocationSuccessfulResponseDto, no ``location`` wrapper).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ghlops.sandbox.dto.locations import (
    OPTION_DATA_TYPES,
    CreateCustomField,
    CustomValueBody,
    TagBody,
    UpdateCustomField,
    UpdateLocation,
)
from ghlops.sandbox.replies import (
    HttpError,
    Reply,
    bad_request,
    no_location_access,
    not_found,
    timestamp,
    traced,
    unprocessable,
)
from ghlops.sandbox.routes.calendar_groups import store_name
from ghlops.sandbox.routing import Access, Call, Route, from_path
from ghlops.sandbox.store import JsonObject, Kind, Location
from ghlops.sandbox.validation import parse

# Without ?model= GHL lists contact fields only, so a client must ask for "all" to see everything.
_MODEL_FILTERS: dict[str | None, set[str]] = {
    None: {"contact"},
    "contact": {"contact"},
    "opportunity": {"opportunity"},
    "all": {"contact", "opportunity"},
}
# How the write DTO's file settings are named when GHL reads the field back.
_FILE_SETTINGS = (
    ("acceptedFormat", "acceptedFormat"),
    ("isMultipleFile", "isMultiFileAllowed"),
    ("maxNumberOfFiles", "maxFileLimit"),
    ("textBoxListOptions", "textBoxListOptions"),
)
DELETED = {"succeded": True}  # sic: GHL's spelling
_POSITION_STEP = 50  # recorded positions are all multiples of 50 (50, 350, 1200...)
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def snake_name(name: str) -> str:
    """The key GHL derives from a display name: "Pin Code" -> "pin_code"."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_") or "field"


def _unique(template: str, base: str, taken: set[str]) -> str:
    """``template`` with the first of base, base_1, base_2... that makes a key not in ``taken``."""
    # GHL keeps keys unique when two names reduce to the same key ("Pin code" and "pin-code").
    key, n = template.format(base), 0
    while key in taken:
        n += 1
        key = template.format(f"{base}_{n}")
    return key


def _same_name(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _owned(call: Call, kind: Kind, obj_id: str) -> JsonObject | None:
    stored = call.store.get(kind, obj_id)
    return stored.data if stored and stored.owner == call.location else None


# -- location ------------------------------------------------------------------------------------------------


# The profile a PUT wrote, one object per location stored under the location's own id.
PROFILE = store_name("locationProfile")
# Profile keys GetLocationByIdSchema answers flat, and those its ``business`` block repeats.
_FLAT_KEYS = ("phone", "address", "city", "state", "country", "postalCode", "website", "timezone")
_BUSINESS_KEYS = ("address", "city", "state", "country", "postalCode", "website", "timezone")
# Sent but never answered: credentials, and a snapshot load (an action, not a setting).
_WRITE_ONLY = ("twilio", "mailgun", "snapshot")


def _location(call: Call) -> Location:
    location = call.store.location(call.location)
    if location is None:
        raise no_location_access()
    return location


def location_answer(call: Call, location: Location) -> JsonObject:
    """The location as GET answers it: id, company and name, then whatever its profile holds."""
    answer: JsonObject = {"id": location.id, "companyId": location.company_id, "name": location.name}
    stored = call.store.get(PROFILE, location.id)
    if stored is None:
        return answer
    profile = stored.data
    answer.update({k: profile[k] for k in _FLAT_KEYS if k in profile})
    answer.update(profile.get("prospectInfo", {}))
    answer["business"] = {"name": location.name, **{k: profile[k] for k in _BUSINESS_KEYS if k in profile}}
    answer["social"] = dict(profile.get("social", {}))
    answer["settings"] = dict(profile.get("settings", {}))
    return answer


def get_location(call: Call) -> Reply:
    return Reply(200, {"location": location_answer(call, _location(call))})


def update_location(call: Call) -> Reply:
    dto = parse(UpdateLocation, call.body)
    sent = {k: v for k, v in dto.sent().items() if v is not None and k not in _WRITE_ONLY}
    with call.store.transaction():
        location = _location(call)
        if dto.companyId != location.company_id:
            # OUR GUESS: the wording; the location belongs to another company than the body names.
            raise bad_request(f"Location {location.id} does not belong to company {dto.companyId}")
        sent.pop("companyId")
        stored = call.store.get(PROFILE, location.id)
        profile: JsonObject = stored.data if stored is not None else {}
        for block in ("settings", "social", "prospectInfo"):
            if block in sent:
                sent[block] = {**profile.get(block, {}), **{k: v for k, v in sent[block].items() if v is not None}}
        if "name" in sent:
            call.store.create_location(location.id, sent.pop("name"), location.company_id)
        profile.update(sent)
        if stored is None:
            call.store.add(PROFILE, location.id, location.id, profile)
        else:
            call.store.replace(PROFILE, location.id, profile)
        renamed = call.store.location(location.id) or location
        answer = location_answer(call, renamed)
    # The PUT answers flat, without GET's ``business`` block (CreateLocationSuccessfulResponseDto).
    answer.pop("business")
    return Reply(200, answer)


# -- custom fields -------------------------------------------------------------------------------------------


def _set_picklist(field: JsonObject, options: list[str] | None) -> None:
    """``picklistOptions`` from the ``options`` sent; fields of other types carry no such key."""
    if field["dataType"] not in OPTION_DATA_TYPES:
        return
    if not options:
        raise unprocessable(["options must contain at least 1 elements"])
    field["picklistOptions"] = list(options)


def default_folder(location_id: str, model: str) -> str:
    """The id of a model's default field folder in a location: stable, in GHL's 20-character id style."""
    digest = hashlib.sha256(f"folder:{location_id}:{model}".encode()).digest()
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:20])


def _next_position(fields: list[JsonObject], model: str) -> int:
    positions = [int(f.get("position") or 0) for f in fields if f["model"] == model]
    return (max(positions, default=0) // _POSITION_STEP + 1) * _POSITION_STEP


def _field_key(sent: str | None, model: str, name: str, taken: set[str]) -> str:
    """The key a field gets: the one sent (GHL prefixes a bare key with the model) or one from the name."""
    if sent is None:
        return _unique(model + ".{}", snake_name(name), taken)
    key = sent if sent.startswith(f"{model}.") else f"{model}.{sent}"
    if key in taken:
        raise bad_request("Custom field with this key already exists")
    return key


def _field_not_found() -> HttpError:
    return not_found("Custom field not found")


def list_custom_fields(call: Call) -> Reply:
    model = call.arg("model")
    models = _MODEL_FILTERS.get(model)
    if models is None:
        raise unprocessable(["model must be one of the following values: contact, opportunity, all"])
    fields = [f for f in call.store.find(Kind.CUSTOM_FIELD, owner=call.location) if f["model"] in models]
    return Reply(200, traced({"customFields": fields}, call.store.new_uuid()))


def get_custom_field(call: Call) -> Reply:
    # GHL finds a field by id or by its key ("contact.pin_code").
    wanted = call.params["id"]
    for field in call.store.find(Kind.CUSTOM_FIELD, owner=call.location):
        if wanted in (field["id"], field["fieldKey"]):
            return Reply(200, {"customField": field})
    raise _field_not_found()


def create_custom_field(call: Call) -> Reply:
    dto = parse(CreateCustomField, call.body)
    model = dto.model or "contact"
    sent = dto.sent()
    with call.store.transaction():
        existing = call.store.find(Kind.CUSTOM_FIELD, owner=call.location)
        if any(f["model"] == model and _same_name(f["name"], dto.name) for f in existing):
            raise bad_request("Custom field with this name already exists")
        key = _field_key(dto.fieldKey, model, dto.name, {f["fieldKey"] for f in existing})
        field: JsonObject = {"id": call.store.new_id(), "name": dto.name, "model": model, "fieldKey": key}
        field["placeholder"] = dto.placeholder if dto.placeholder is not None else ""
        if dto.description is not None:
            field["description"] = dto.description
        field["dataType"] = dto.dataType
        field["position"] = dto.position if dto.position is not None else _next_position(existing, model)
        field["documentType"] = "field"
        field["parentId"] = dto.parentId or default_folder(call.location, model)
        field["locationId"] = call.location
        field["dateAdded"] = timestamp()
        field["standard"] = False
        _set_picklist(field, dto.options)
        for sent_name, read_name in _FILE_SETTINGS:
            if sent.get(sent_name) is not None:
                field[read_name] = sent[sent_name]
        call.store.add(Kind.CUSTOM_FIELD, field["id"], call.location, field)
    return Reply(201, {"customField": field})


def update_custom_field(call: Call) -> Reply:
    dto = parse(UpdateCustomField, call.body)
    sent = dto.sent()
    with call.store.transaction():
        field = _owned(call, Kind.CUSTOM_FIELD, call.params["id"])
        if field is None:
            raise _field_not_found()
        siblings = call.store.find(Kind.CUSTOM_FIELD, owner=call.location)
        if any(
            f["id"] != field["id"] and f["model"] == field["model"] and _same_name(f["name"], dto.name)
            for f in siblings
        ):
            raise bad_request("Custom field with this name already exists")
        # Partial update: what is not sent keeps its value. The key, the model and the folder (parentId) never
        # change after creation.
        field["name"] = dto.name
        if "placeholder" in sent:
            field["placeholder"] = sent["placeholder"] or ""
        if "description" in sent:
            _set_or_clear(field, "description", sent["description"])
        if sent.get("position") is not None:
            field["position"] = sent["position"]
        for sent_name, read_name in _FILE_SETTINGS:
            if sent_name in sent:
                _set_or_clear(field, read_name, sent[sent_name])
        if "options" in sent:
            _set_picklist(field, dto.options)
        call.store.replace(Kind.CUSTOM_FIELD, field["id"], field)
    return Reply(200, {"customField": field})


def delete_custom_field(call: Call) -> Reply:
    with call.store.transaction():
        if _owned(call, Kind.CUSTOM_FIELD, call.params["id"]) is None:
            raise _field_not_found()
        call.store.remove(Kind.CUSTOM_FIELD, call.params["id"])
    return Reply(200, DELETED)


def _set_or_clear(obj: JsonObject, key: str, value: Any) -> None:
    if value is None:
        obj.pop(key, None)
    else:
        obj[key] = value


# -- custom values -------------------------------------------------------------------------------------------


def _value_not_found() -> HttpError:
    return not_found("Custom value not found", "bare")


def _check_value_name(call: Call, name: str, own_id: str | None) -> None:
    for value in call.store.find(Kind.CUSTOM_VALUE, owner=call.location):
        if value["id"] != own_id and _same_name(value["name"], name):
            raise bad_request("Custom value with this name already exists", "bare")


def _set_value(custom_value: JsonObject, text: str) -> None:
    # GHL answers an empty custom value with no ``value`` key at all (issue 9, recorded answers).
    if text:
        custom_value["value"] = text
    else:
        custom_value.pop("value", None)


def list_custom_values(call: Call) -> Reply:
    return Reply(200, {"customValues": call.store.find(Kind.CUSTOM_VALUE, owner=call.location)})


def get_custom_value(call: Call) -> Reply:
    value = _owned(call, Kind.CUSTOM_VALUE, call.params["id"])
    if value is None:
        raise _value_not_found()
    return Reply(200, {"customValue": value})


def create_custom_value(call: Call) -> Reply:
    dto = parse(CustomValueBody, call.body)
    with call.store.transaction():
        _check_value_name(call, dto.name, None)
        taken = {v["fieldKey"] for v in call.store.find(Kind.CUSTOM_VALUE, owner=call.location)}
        value = {
            "id": call.store.new_id(),
            "name": dto.name,
            "fieldKey": _unique("{{{{ custom_values.{} }}}}", snake_name(dto.name), taken),
            "locationId": call.location,
        }
        _set_value(value, dto.value)
        call.store.add(Kind.CUSTOM_VALUE, value["id"], call.location, value)
    return Reply(201, {"customValue": value})


def update_custom_value(call: Call) -> Reply:
    dto = parse(CustomValueBody, call.body)
    with call.store.transaction():
        value = _owned(call, Kind.CUSTOM_VALUE, call.params["id"])
        if value is None:
            raise _value_not_found()
        _check_value_name(call, dto.name, value["id"])
        value["name"] = dto.name
        _set_value(value, dto.value)
        call.store.replace(Kind.CUSTOM_VALUE, value["id"], value)
    return Reply(200, {"customValue": value})


def delete_custom_value(call: Call) -> Reply:
    with call.store.transaction():
        if _owned(call, Kind.CUSTOM_VALUE, call.params["id"]) is None:
            raise _value_not_found()
        call.store.remove(Kind.CUSTOM_VALUE, call.params["id"])
    return Reply(200, DELETED)


# -- tags ----------------------------------------------------------------------------------------------------


def _tag_not_found() -> HttpError:
    return not_found("Tag not found", "status")


def _tag_name(raw: str, call: Call, own_id: str | None) -> str:
    # GHL stores tags lower-cased, which also makes them unique regardless of case; surrounding whitespace is
    # kept as sent, not trimmed (issue 9).
    name = raw.lower()
    for tag in call.store.find(Kind.TAG, owner=call.location):
        if tag["id"] != own_id and tag["name"] == name:
            raise bad_request("Tag with this name already exists", "bare")
    return name


def list_tags(call: Call) -> Reply:
    return Reply(200, {"tags": call.store.find(Kind.TAG, owner=call.location)})


def get_tag(call: Call) -> Reply:
    tag = _owned(call, Kind.TAG, call.params["tagId"])
    if tag is None:
        raise _tag_not_found()
    return Reply(200, {"tag": tag})


def create_tag(call: Call) -> Reply:
    dto = parse(TagBody, call.body)
    with call.store.transaction():
        tag = {
            "id": call.store.new_id(),
            "name": _tag_name(dto.name, call, None),
            "locationId": call.location,
        }
        call.store.add(Kind.TAG, tag["id"], call.location, tag)
    return Reply(201, {"tag": tag})


def update_tag(call: Call) -> Reply:
    dto = parse(TagBody, call.body)
    with call.store.transaction():
        tag = _owned(call, Kind.TAG, call.params["tagId"])
        if tag is None:
            raise _tag_not_found()
        tag["name"] = _tag_name(dto.name, call, tag["id"])
        call.store.replace(Kind.TAG, tag["id"], tag)
    return Reply(200, {"tag": tag})


def delete_tag(call: Call) -> Reply:
    with call.store.transaction():
        if _owned(call, Kind.TAG, call.params["tagId"]) is None:
            raise _tag_not_found()
        call.store.remove(Kind.TAG, call.params["tagId"])
    return Reply(200, DELETED)


_LOC = from_path("locationId")
_BASE = "/locations/{locationId}"

ROUTES = (
    Route("GET", _BASE, get_location, Access.ANY, _LOC),
    Route("PUT", _BASE, update_location, Access.AGENCY, _LOC),
    Route("GET", f"{_BASE}/customFields", list_custom_fields, locate=_LOC),
    Route("POST", f"{_BASE}/customFields", create_custom_field, locate=_LOC),
    Route("GET", f"{_BASE}/customFields/{{id}}", get_custom_field, locate=_LOC),
    Route("PUT", f"{_BASE}/customFields/{{id}}", update_custom_field, locate=_LOC),
    Route("DELETE", f"{_BASE}/customFields/{{id}}", delete_custom_field, locate=_LOC),
    Route("GET", f"{_BASE}/customValues", list_custom_values, locate=_LOC),
    Route("POST", f"{_BASE}/customValues", create_custom_value, locate=_LOC),
    Route("GET", f"{_BASE}/customValues/{{id}}", get_custom_value, locate=_LOC),
    Route("PUT", f"{_BASE}/customValues/{{id}}", update_custom_value, locate=_LOC),
    Route("DELETE", f"{_BASE}/customValues/{{id}}", delete_custom_value, locate=_LOC),
    Route("GET", f"{_BASE}/tags", list_tags, locate=_LOC),
    Route("POST", f"{_BASE}/tags", create_tag, locate=_LOC),
    Route("GET", f"{_BASE}/tags/{{tagId}}", get_tag, locate=_LOC),
    Route("PUT", f"{_BASE}/tags/{{tagId}}", update_tag, locate=_LOC),
    Route("DELETE", f"{_BASE}/tags/{{tagId}}", delete_tag, locate=_LOC),
)
