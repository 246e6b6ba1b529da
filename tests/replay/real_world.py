"""Real-world shapes of GHL's list answers, laid over what the sandbox holds.

Written from facts about GHL's real answers (issue #9, which cites recorded answers published in public
repositories and GoHighLevel/highlevel-api-docs #300, #82, #171), not copied from anywhere: keys the OpenAPI
documents don't list, empty strings where numbers are documented, ``{}`` where arrays are, calendars without a
``slug``, team members with Zoom settings, users with extra permissions. The sandbox stores objects as the JSON
it answers with, so rewriting its rows makes every later list answer carry these shapes.
"""

from __future__ import annotations

from typing import Any

from ghlops.sandbox import Sandbox
from ghlops.sandbox.store import Kind

JsonObject = dict[str, Any]

ZOOM_MEMBER = {"selected": True, "isZoomAdded": "true", "zoomOauthId": "zoom-oauth-1", "meetingLocation": ""}
ZOOM_CONFIG = {
    "kind": "zoom_conference", "location": "", "position": 0, "zoomOauthId": "zoom-oauth-1", "meetingId": "m-1",
}  # fmt: skip
MEDIA = {"id": "m1", "title": "a.png", "url": "https://x.test/a.png", "type": "image", "isFeatured": True}
EXTRA_PERMISSIONS = {"opportunitiesBulkActionsEnabled": True, "certificatesEnabled": False, "gokollabEnabled": True}


def calendar(data: JsonObject) -> JsonObject:
    out = {**data, "appoinmentPerDay": "", "lookBusyConfig": {"enabled": False, "LookBusyPercentage": 0}}
    out.pop("slug", None)  # list items carry only the generated widgetSlug
    out.setdefault("widgetSlug", "w-" + str(data["id"]).lower())
    if not out.get("openHours"):
        out["openHours"] = {}
    out["recurring"] = {
        "freq": "DAILY", "count": 24, "bookingOption": "skip", "bookingOverlapDefaultStatus": "",
        "interval": 1, "monthDays": [], "weekDays": [],
    }  # fmt: skip
    out["teamMembers"] = [
        {**m, **ZOOM_MEMBER, "locationConfigurations": [dict(ZOOM_CONFIG)]} for m in data.get("teamMembers", [])
    ]
    out.update({"isLivePaymentMode": False, "traceId": "trace-cal", "deleted": False, "__v": 0})
    return out


def custom_field(data: JsonObject) -> JsonObject:
    out = {**data, "documentType": "field", "parentId": "folder-" + data["locationId"], "standard": False}
    out.update({"dateAdded": "2024-03-01T10:00:00.000Z", "fieldKey": data.get("fieldKey") or "contact.x"})
    if not out.get("picklistOptions"):
        out.pop("picklistOptions", None)  # non-option types carry none
    return out


def custom_value(data: JsonObject) -> JsonObject:
    out = {**data, "traceId": "trace-cv"}
    if out.get("value") == "":
        del out["value"]  # an empty value comes back without the key
    return out


def product(data: JsonObject) -> JsonObject:
    return {
        **data, "archived": False, "deleted": False, "__v": 0, "rating": {"count": 0, "average": 0},
        "displayPriority": 0, "traceId": "trace-p", "medias": [MEDIA],
    }  # fmt: skip


def price(data: JsonObject) -> JsonObject:
    return {**data, "membershipOffers": [], "variantOptionIds": [], "__v": 0, "deleted": False, "traceId": "t"}


def user(data: JsonObject) -> JsonObject:
    permissions = {**(data.get("permissions") or {}), **EXTRA_PERMISSIONS}
    return {
        **data, "permissions": permissions, "scopes": ["contacts.write", "campaigns.readonly"],
        "dateAdded": "2023-11-02T08:00:00.000Z", "totpEnabled": False, "traceId": "trace-u",
    }  # fmt: skip


SHAPES = {
    Kind.CALENDAR: calendar,
    Kind.CUSTOM_FIELD: custom_field,
    Kind.CUSTOM_VALUE: custom_value,
    Kind.PRODUCT: product,
    Kind.PRICE: price,
}


def make_real_world(sb: Sandbox, location_ids: list[str]) -> None:
    """Rewrite every stored object of these locations (and the company's users) into real-world shape."""
    for location_id in location_ids:
        for kind, shape in SHAPES.items():
            if kind is Kind.PRICE:
                products = sb.store.find(Kind.PRODUCT, owner=location_id)
                rows = [p for prod in products for p in sb.store.find(Kind.PRICE, parent=prod["_id"])]
            else:
                rows = sb.store.find(kind, owner=location_id)
            for row in rows:
                sb.store.replace(kind, str(row.get("id") or row["_id"]), shape(row))
    for row in sb.store.users(sb.company_id):
        sb.store.replace(Kind.USER, row["id"], user(row))


def add_raw(sb: Sandbox, kind: Kind, location_id: str, obj_id: str, data: JsonObject) -> None:
    """A live object exactly as given (for objects ghlops cannot match: no name, odd values)."""
    sb.store.add(kind, obj_id, location_id, data)
