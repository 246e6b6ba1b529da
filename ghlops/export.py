"""Live state -> manifest data (pure): what ``ghlops export`` and ``ghlops clone`` write.

Live objects are parsed by the kinds into the same models a manifest declares, so an export is the models
dumped with only the fields GHL returned (``exclude_unset``), minus:

* ghlops' own keys (renamedFrom, ignoreChanges, protect, passwordEnv) and every server id: entries are
  matched by natural key, and calendar team members name users by email (the reader's resolver maps ids);
* values equal to the defaults GHL documents for a create (CalendarCreateDTO, TeamMember, CreateProductDto,
  PermissionsDto, CreateCustomFieldsDTO.position), the model's own defaults (a custom field's
  ``model: contact``) and what GHL derives (a widget slug equal to the slug, empty calendar arrays): the plan
  compares only the fields a manifest sets, so leaving them out is safe and keeps exports short.

Entries are sorted by natural key and fields keep the model's order, so exporting twice gives the same text.
A clone (``for_clone=True``) also leaves out references to objects ghlops does not manage (calendar groups and
forms, product collections and taxes): their ids belong to the source location.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ghlops.kinds import BY_NAME, CALENDARS, CUSTOM_FIELDS, CUSTOM_VALUES, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import META_FIELDS, Entry, Kind, LiveObject, field_adapter
from ghlops.kinds.custom_fields import OPTION_TYPES
from ghlops.kinds.users import User, location_ids
from ghlops.manifest.model import API_VERSION, SPEC_ORDER
from ghlops.state import LocationLive

__all__ = [
    "EXPORTABLE",
    "Export",
    "export_sections",
    "location_document",
    "template_document",
]

EXPORTABLE: tuple[str, ...] = SPEC_ORDER

# CalendarCreateDTO's documented defaults: what GHL fills in when a create leaves them out.
CALENDAR_DEFAULTS: Mapping[str, Any] = {
    "isActive": True,
    "eventType": "RoundRobin_OptimizeForAvailability",
    "widgetType": "classic",
    "eventTitle": "{{contact.name}}",
    "eventColor": "#039be5",
    "slotDuration": 30,
    "slotInterval": 30,
    "appoinmentPerSlot": 1,
    "enableRecurring": False,
    "autoConfirm": True,
    "googleInvitationEmails": False,
    "allowReschedule": True,
    "allowCancellation": True,
    "formSubmitType": "ThankYouMessage",
}
# TeamMember: priority is documented as 0.5 by default; isPrimary is false unless a member is made primary; a
# member added without a meeting location gets one of kind custom with an empty location (recorded answers).
TEAM_MEMBER_DEFAULTS: Mapping[str, Any] = {
    "priority": 0.5,
    "isPrimary": False,
    "locationConfigurations": [{"kind": "custom", "location": ""}],
}
# What recorded answers show in `recurring` of a calendar that never set recurrence (after the keys the manifest
# model doesn't know are left out).
RECURRING_DEFAULTS: Mapping[str, Any] = {"freq": "DAILY", "count": 1, "bookingOption": "skip"}
# A widget slug GHL generated (<name>-<uuid>) rather than one a user chose.
_GENERATED_WIDGET_SLUG = re.compile(r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# CreateProductDto's documented defaults.
PRODUCT_DEFAULTS: Mapping[str, Any] = {"isTaxesEnabled": False, "isLabelEnabled": False, "taxInclusive": False}
# What GHL answers for a price created without these.
PRICE_DEFAULTS: Mapping[str, Any] = {"trackInventory": False}
# CreateCustomFieldsDTO documents position 0; "contact" is the manifest model's own default.
CUSTOM_FIELD_DEFAULTS: Mapping[str, Any] = {"model": "contact", "position": 0}
# PermissionsDto's documented defaults (users created without permissions get exactly these).
PERMISSION_DEFAULTS: Mapping[str, bool] = {
    "campaignsEnabled": True,
    "campaignsReadOnly": False,
    "contactsEnabled": True,
    "workflowsEnabled": True,
    "workflowsReadOnly": False,
    "triggersEnabled": True,
    "funnelsEnabled": True,
    "websitesEnabled": False,
    "opportunitiesEnabled": True,
    "dashboardStatsEnabled": True,
    "bulkRequestsEnabled": True,
    "appointmentsEnabled": True,
    "reviewsEnabled": True,
    "onlineListingsEnabled": True,
    "phoneCallEnabled": True,
    "conversationsEnabled": True,
    "assignedDataOnly": False,
    "adwordsReportingEnabled": False,
    "membershipEnabled": False,
    "facebookAdsReportingEnabled": False,
    "attributionsReportingEnabled": False,
    "settingsEnabled": True,
    "tagsEnabled": True,
    "leadValueEnabled": True,
    "marketingEnabled": True,
    "agentReportingEnabled": True,
    "botService": False,
    "socialPlanner": True,
    "bloggingEnabled": True,
    "invoiceEnabled": True,
    "affiliateManagerEnabled": True,
    "contentAiEnabled": True,
    "refundsEnabled": True,
    "recordPaymentEnabled": True,
    "cancelSubscriptionEnabled": True,
    "paymentsEnabled": True,
    "communitiesEnabled": True,
    "exportPaymentsEnabled": True,
}
# Ids of objects ghlops does not manage: valid only in the location they were read from.
LOCATION_REFERENCES: Mapping[str, tuple[str, ...]] = {
    "calendars": ("groupId", "formId"),
    "products": ("collectionIds", "taxes"),
}


@dataclass
class Export:
    """Manifest sections read from one location, and notes for the user (written to stderr)."""

    sections: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def export_sections(
    live: LocationLive,
    users: Sequence[LiveObject[User]] | None,
    kinds: Sequence[str] = EXPORTABLE,
    *,
    for_clone: bool = False,
) -> Export:
    """The manifest sections for ``kinds`` (in model order); ``users`` are the company's users (all of them:
    those whose ``roles.locationIds`` hold the location are exported). Empty sections are left out."""
    result = Export()
    for section in EXPORTABLE:
        if section not in kinds:
            continue
        if section == USERS.name:
            objects = [u for u in users or [] if live.location_id in location_ids(u.raw)]
            entries = [_user(u, result.notes) for u in _sorted(USERS, objects, result.notes)]
        elif section == PRODUCTS.name:
            entries = _products(live, result.notes, for_clone)
        else:
            kind = BY_NAME[section]
            entries = [
                _entry(section, o, result.notes, for_clone) for o in _sorted(kind, live.of(section), result.notes)
            ]
        if section == CUSTOM_FIELDS.name:
            in_folders = sum(1 for o in live.of(section) if o.raw.get("parentId"))
            if in_folders:
                # GHL has no public API to list or create custom field folders (highlevel-api-docs #171).
                result.notes.append(
                    f"{in_folders} custom field(s) sit in folders: GHL offers no API for folders, so ghlops "
                    "leaves every field in the folder it is in (folders are not exported)"
                )
        if entries:
            result.sections[section] = entries
    return result


def location_document(
    name: str,
    location_id: str,
    sections: Mapping[str, list[Any]],
    *,
    token_env: str | None = None,
    templates: Sequence[str] = (),
) -> dict[str, Any]:
    """A Location document in the order ``ghlops validate`` documents it."""
    spec: dict[str, Any] = {"locationId": location_id}
    if token_env:
        spec["tokenEnv"] = token_env
    if templates:
        spec["templates"] = list(templates)
    spec.update(_ordered(sections))
    return {"apiVersion": API_VERSION, "kind": "Location", "metadata": {"name": name}, "spec": spec}


def template_document(name: str, sections: Mapping[str, list[Any]]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "Template", "metadata": {"name": name}, "spec": _ordered(sections)}


def _ordered(sections: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    return {section: sections[section] for section in SPEC_ORDER if section in sections}


# -- per kind -----------------------------------------------------------------------------------------------------


def _sorted(kind: Kind[Any], objects: Sequence[LiveObject[Any]], notes: list[str]) -> list[LiveObject[Any]]:
    ordered = sorted(objects, key=lambda o: (kind.key(o.obj), kind.display(o.obj)))
    for before, after in itertools.pairwise(ordered):
        if kind.key(before.obj) == kind.key(after.obj):
            notes.append(
                f"two live {kind.label}s share the natural key {kind.display(after.obj)!r} (ids {before.id} and "
                f"{after.id}); both are exported and validate will report the duplicate: remove one in GHL"
            )
    return ordered


def dump(obj: Entry) -> dict[str, Any]:
    """The fields GHL returned, in model order, without ghlops' own keys; whole floats as integers."""
    data = obj.model_dump(
        mode="json", exclude_unset=True, exclude=set(META_FIELDS) & set(type(obj).model_fields), warnings=False
    )
    return {k: _tidy(v) for k, v in data.items() if v is not None}


def dump_live(live: LiveObject[Any], notes: list[str], kind: Kind[Any]) -> dict[str, Any]:
    """:func:`dump` of a live object without the values that don't fit the manifest model (``live.odd``):
    an export must validate. Empty odd values ("" or {} where GHL means unset) go silently; others get a note."""
    data = dump(live.obj)
    for path in sorted(live.odd, key=len, reverse=True):
        value = _pop(data, path)
        if value not in (None, "", {}, []):
            notes.append(
                f"{kind.label} {kind.display(live.obj)!r}: left out "
                f"{_render(path)}: GHL's value {value!r} is not one ghlops can write"
            )
    model = type(live.obj)
    for top in {str(p[0]) for p in live.odd}:
        if top in data and not _fits(model, top, data[top]):
            del data[top]  # what remained of it (a meeting location without its kind) would not validate
    return data


def _pop(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path[:-1]:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    last = path[-1]
    if isinstance(data, dict) and isinstance(last, str):
        return data.pop(last, None)
    if isinstance(data, list) and isinstance(last, int) and last < len(data):
        return data.pop(last)
    return None


def _render(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


def _fits(model: type[Entry], name: str, value: Any) -> bool:
    try:
        field_adapter(model, name).validate_python(value)
    except ValidationError:
        return False
    return True


def _entry(section: str, live: LiveObject[Any], notes: list[str], for_clone: bool) -> Any:
    data = dump_live(live, notes, BY_NAME[section])
    if section == TAGS.name:
        return data["name"]
    if section == CUSTOM_FIELDS.name:
        _drop_defaults(data, CUSTOM_FIELD_DEFAULTS)
        if isinstance(data.get("position"), int) and data["position"] % 50 == 0:
            del data["position"]  # GHL assigns positions in steps of 50: one the user never chose
        if data.get("options") is not None and str(data.get("dataType")) not in OPTION_TYPES:
            del data["options"]
        if data.get("placeholder") == "":
            del data["placeholder"]
    elif section == CALENDARS.name:
        _drop_defaults(data, CALENDAR_DEFAULTS)
        for key in [k for k, v in data.items() if v == []]:
            del data[key]  # GHL lists unset arrays (teamMembers, openHours...) as []
        widget = data.get("widgetSlug")
        if widget is not None and (widget == data.get("slug") or _GENERATED_WIDGET_SLUG.search(str(widget))):
            del data["widgetSlug"]  # GHL derives or generates the widget slug; GHL's lists carry no `slug`
        if data.get("recurring") == RECURRING_DEFAULTS:
            del data["recurring"]
        members = data.get("teamMembers")
        if isinstance(members, list):
            for member in members:
                _drop_defaults(member, TEAM_MEMBER_DEFAULTS)
                if str(member.get("user", "")).startswith("id:"):
                    notes.append(
                        f"calendar {data['name']!r}: team member {member['user'][3:]} is not a user of this "
                        "company that ghlops can see; it is exported by id and validate will reject it"
                    )
            members.sort(key=lambda m: str(m.get("user", "")).casefold())
    elif section == CUSTOM_VALUES.name:
        pass
    if for_clone:
        _drop_references(section, data, notes)
    return data


def _user(user: LiveObject[User], notes: list[str]) -> dict[str, Any]:
    data = dump_live(user, notes, USERS)
    permissions = data.get("permissions")
    if isinstance(permissions, dict):
        _drop_defaults(permissions, PERMISSION_DEFAULTS)
        if not permissions:
            del data["permissions"]
    return data


def _products(live: LocationLive, notes: list[str], for_clone: bool) -> list[dict[str, Any]]:
    prices: dict[str, list[LiveObject[Any]]] = {}
    for price in live.of(PRICES.name):
        prices.setdefault(price.obj._product.casefold(), []).append(price)
    out = []
    for product in _sorted(PRODUCTS, live.of(PRODUCTS.name), notes):
        data = dump_live(product, notes, PRODUCTS)
        data.pop("prices", None)
        _drop_defaults(data, PRODUCT_DEFAULTS)
        for key in [k for k, v in data.items() if v == []]:
            del data[key]  # GHL lists unset arrays (collectionIds, taxes) as []
        if for_clone:
            _drop_references(PRODUCTS.name, data, notes)
        own = _sorted(PRICES, prices.get(PRODUCTS.key(product.obj), []), notes)
        if own:
            data["prices"] = [_price(p, notes) for p in own]
        out.append(data)
    return out


def _price(price: LiveObject[Any], notes: list[str]) -> dict[str, Any]:
    data = dump_live(price, notes, PRICES)
    _drop_defaults(data, PRICE_DEFAULTS)
    return data


def _drop_defaults(data: dict[str, Any], defaults: Mapping[str, Any]) -> None:
    for key, default in defaults.items():
        if key in data and _same(data[key], default):
            del data[key]


def _same(value: Any, default: Any) -> bool:
    # True == 1 in Python; a default is only matched by a value of the same kind.
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _drop_references(section: str, data: dict[str, Any], notes: list[str]) -> None:
    dropped = [key for key in LOCATION_REFERENCES.get(section, ()) if data.get(key) not in (None, [])]
    for key in dropped:
        del data[key]
    if dropped:
        label = BY_NAME[section].label
        notes.append(
            f"{label} {data['name']!r}: left out {', '.join(dropped)}: ids of objects ghlops does not manage "
            "belong to the source location; set them in the new manifest if the target has its own"
        )


def _tidy(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value
