"""Contacts in the sandbox: the seed fixture format, and the contacts search GHL answers.

ghlops never manages contacts, so they are not in ghlops manifests. The sandbox is seeded with them from
fixture files beside the seed manifests, named ``*.contacts.json`` (a directory passed to ``ghlops sandbox
--seed`` and the demo's seed directory are searched recursively; ``*.json`` is never a manifest)::

    {
      "kind": "SandboxContacts",
      "locationId": "ve9EPM428h8vShlRW1KT",
      "contacts": [
        {"firstName": "Ann", "email": "ann@example.com", "tags": ["vip"],
         "customFields": {"Insurance Provider": "Delta Dental"}, "copies": 3}
      ]
    }

``customFields`` names contact custom fields by name (their ids only exist once the seed manifests are applied);
``copies`` makes that many contacts alike (emails numbered), so a fixture can hold realistic counts.

The search follows what GHL documents for ``POST /contacts/search`` (see ghlops/impact.py and README for the
sources): ``locationId`` and ``pageLimit`` required (422 otherwise, GoHighLevel/highlevel-api-docs#31),
``filters`` of ``{field, operator, value}`` or ``{group: AND|OR, filters}``, combined with AND; custom fields
addressed as ``customFields.<id>``. An unknown field is GHL's 400 "Invalid field <name>"
(GoHighLevel/highlevel-api-docs#289, #279); an unknown operator a 422 (unverified: GHL's message is not
documented). A ``customFields.<x>`` naming no field of the location matches nothing, as GHL does for a field
addressed by name (GoHighLevel/highlevel-api-docs#42).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ghlops.errors import GhlopsError
from ghlops.sandbox.replies import HttpError, bad_request, unprocessable
from ghlops.sandbox.store import JsonObject, Kind, Store

FIXTURE_KIND = "SandboxContacts"
FIXTURE_SUFFIX = ".contacts.json"
MAX_PAGE_LIMIT = 500  # GHL's documented maximum per page
MAX_COPIES = 100_000
OPERATORS = ("eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range")
# Standard fields the sandbox can filter on (GHL has more; these are the ones contacts here carry).
STANDARD_FIELDS = ("id", "email", "phone", "firstNameLowerCase", "lastNameLowerCase", "tags", "dnd")
_CONTACT_KEYS = frozenset({"firstName", "lastName", "email", "phone", "tags", "customFields", "copies", "dnd"})


# -- the search ----------------------------------------------------------------------------------------------


def search(store: Store, body: Any) -> JsonObject:
    """The answer to a contacts search body: ``{contacts, total}``; HttpError for a body GHL refuses."""
    if not isinstance(body, Mapping):
        raise unprocessable(["locationId should not be empty", "pageLimit should not be empty"])
    problems = []
    location_id = body.get("locationId")
    if not isinstance(location_id, str) or not location_id:
        problems += ["locationId should not be empty", "locationId must be a string"]
    page_limit = body.get("pageLimit")
    if isinstance(page_limit, bool) or not isinstance(page_limit, int):
        problems += ["pageLimit should not be empty", "pageLimit must be a number"]
    elif not 1 <= page_limit <= MAX_PAGE_LIMIT:
        problems.append(f"pageLimit must not be greater than {MAX_PAGE_LIMIT} or less than 1")
    page = body.get("page", 1)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        problems.append("page must not be less than 1")
    filters = body.get("filters", [])
    if not isinstance(filters, list):
        problems.append("filters must be an array")
    if problems:
        raise unprocessable(problems)
    assert isinstance(location_id, str) and isinstance(page_limit, int) and isinstance(page, int)
    match = _all(filters)
    found = [c for c in store.find(Kind.CONTACT, owner=location_id) if match(c)]
    start = (page - 1) * page_limit
    return {"contacts": found[start : start + page_limit], "total": len(found)}


Predicate = Callable[[JsonObject], bool]


def _all(filters: Sequence[Any]) -> Predicate:
    checks = [_filter(f) for f in filters]
    return lambda contact: all(check(contact) for check in checks)


def _filter(item: Any) -> Predicate:
    if not isinstance(item, Mapping):
        raise unprocessable(["each value in filters must be an object"])
    if "group" in item:
        group = item.get("group")
        inner = item.get("filters")
        if group not in ("AND", "OR") or not isinstance(inner, list):
            raise unprocessable(["group must be one of the following values: AND, OR", "filters must be an array"])
        checks = [_filter(f) for f in inner]
        if group == "OR":
            return lambda contact: any(check(contact) for check in checks)
        return lambda contact: all(check(contact) for check in checks)
    field, operator = item.get("field"), item.get("operator")
    if not isinstance(field, str) or not field:
        raise unprocessable(["field should not be empty", "field must be a string"])
    if operator not in OPERATORS:
        raise unprocessable([f"operator must be one of the following values: {', '.join(OPERATORS)}"])
    if not (field in STANDARD_FIELDS or (field.startswith("customFields.") and len(field) > len("customFields."))):
        raise invalid_field(field)
    wanted = item.get("value")
    if operator not in ("exists", "not_exists") and wanted is None:
        raise unprocessable(["value should not be empty"])
    test = _OPERATORS[str(operator)]
    return lambda contact: test(_values(contact, field), wanted)


def invalid_field(field: str) -> HttpError:
    return bad_request(f"Invalid field {field}")


def _values(contact: JsonObject, field: str) -> list[Any]:
    """The values a contact holds for a field: a list (empty when it holds none; several for tags and
    multiple-option fields)."""
    if field.startswith("customFields."):
        field_id = field.removeprefix("customFields.")
        raw = next((f.get("value") for f in contact.get("customFields", []) if f.get("id") == field_id), None)
    else:
        raw = contact.get(field)
    items = raw if isinstance(raw, list) else [raw]
    return [v for v in items if v is not None and v != ""]


def _text(value: Any) -> str:
    return str(value).casefold()


def _eq(values: list[Any], wanted: Any) -> bool:
    return any(_text(v) == _text(wanted) for v in values)


def _contains(values: list[Any], wanted: Any) -> bool:
    return any(_text(wanted) in _text(v) for v in values)


def _range(values: list[Any], wanted: Any) -> bool:
    if not isinstance(wanted, Mapping):
        raise unprocessable(["value must be an object for range"])
    bounds: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }

    def within(v: Any) -> bool:
        try:
            return all(bounds[k](type(b)(v), b) for k, b in wanted.items() if k in bounds)
        except (TypeError, ValueError):
            return False

    return any(within(v) for v in values)


_OPERATORS: dict[str, Callable[[list[Any], Any], bool]] = {
    "eq": _eq,
    "not_eq": lambda values, wanted: not _eq(values, wanted),
    "contains": _contains,
    "not_contains": lambda values, wanted: not _contains(values, wanted),
    "exists": lambda values, wanted: bool(values),
    "not_exists": lambda values, wanted: not values,
    "range": _range,
}


# -- seeding -------------------------------------------------------------------------------------------------


def fixture_files(paths: Sequence[str | Path]) -> list[Path]:
    """The contacts fixtures under the seed paths, in a stable order (hidden files and directories skipped)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob(f"*{FIXTURE_SUFFIX}"))
                if not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.name.endswith(FIXTURE_SUFFIX):
            found.append(path)
    return found


def seed_contacts(store: Store, paths: Sequence[str | Path]) -> int:
    """Add the contacts of every fixture under ``paths`` (after the seed manifests are applied, so the custom
    fields they name exist); returns how many were added. GhlopsError names the file and what is wrong."""
    added = 0
    for path in fixture_files(paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise GhlopsError(f"cannot seed the sandbox: {path}: not a contacts fixture ({exc})") from None
        try:
            added += _seed_file(store, data)
        except ValueError as exc:
            raise GhlopsError(f"cannot seed the sandbox: {path}: {exc}") from None
    return added


def _seed_file(store: Store, data: Any) -> int:
    if not isinstance(data, Mapping) or data.get("kind") != FIXTURE_KIND:
        raise ValueError(f"kind must be {FIXTURE_KIND!r}")
    location_id = data.get("locationId")
    if not isinstance(location_id, str) or store.location(location_id) is None:
        raise ValueError(f"locationId {location_id!r} is not a location of the seed manifests")
    contacts = data.get("contacts")
    if not isinstance(contacts, list):
        raise ValueError("contacts must be a list")
    fields = {
        str(f["name"]).casefold(): str(f["id"])
        for f in store.find(Kind.CUSTOM_FIELD, owner=location_id)
        if f.get("model", "contact") == "contact"
    }
    added = 0
    with store.transaction():
        for index, entry in enumerate(contacts):
            where = f"contacts[{index}]"
            if not isinstance(entry, Mapping):
                raise ValueError(f"{where} must be an object")
            unknown = sorted(set(entry) - _CONTACT_KEYS)
            if unknown:
                raise ValueError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_CONTACT_KEYS))})")
            copies = entry.get("copies", 1)
            if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= MAX_COPIES:
                raise ValueError(f"{where}.copies must be a whole number from 1 to {MAX_COPIES:,}")
            values = entry.get("customFields", {})
            if not isinstance(values, Mapping):
                raise ValueError(f"{where}.customFields must map field names to values")
            custom = []
            for name, value in values.items():
                if str(name).casefold() not in fields:
                    raise ValueError(f"{where}.customFields: no contact custom field {name!r} in the location")
                custom.append({"id": fields[str(name).casefold()], "value": value})
            tags = entry.get("tags", [])
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise ValueError(f"{where}.tags must be a list of strings")
            for n in range(copies):
                contact_id = store.new_id()
                store.add(Kind.CONTACT, contact_id, location_id, _contact(contact_id, location_id, entry, n, custom))
                added += 1
    return added


def _contact(contact_id: str, location_id: str, entry: Mapping[str, Any], n: int, custom: list[Any]) -> JsonObject:
    """A contact as the search answers it (GHL's shape: tags lower-cased, custom fields as {id, value})."""
    first, last = str(entry.get("firstName", "")), str(entry.get("lastName", ""))
    email = entry.get("email")
    if isinstance(email, str) and n:
        local, _, domain = email.partition("@")
        email = f"{local}+{n}@{domain}"
    return {
        "id": contact_id,
        "locationId": location_id,
        "firstName": first,
        "lastName": last,
        "firstNameLowerCase": first.casefold(),
        "lastNameLowerCase": last.casefold(),
        "email": email,
        "phone": entry.get("phone"),
        "dnd": bool(entry.get("dnd", False)),
        "tags": [str(t).casefold() for t in entry.get("tags", [])],
        "customFields": custom,
        "dateAdded": "2024-01-01T00:00:00.000Z",
    }
