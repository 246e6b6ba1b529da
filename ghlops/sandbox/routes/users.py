"""Users API (agency token): search, create, read, update and delete a company's users.

Answers carry what real GHL sends beyond the spec (recorded answers published in public repositories; the
documents are incomplete, GoHighLevel/highlevel-api-docs #300 and #82): permission keys PermissionsDto does not
list, ``scopes`` and ``scopesAssignedToOnly`` always as arrays, ``totpEnabled``, ``dateAdded``/``dateUpdated``
and a ``traceId`` on every answer. Deletion is queued: DELETE answers "Queued deleting ... Will take effect in a
few minutes." and the user stays listed for ``Store.removal_lag`` more list answers (or until ``Store.tick``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from ghlops.sandbox.dto.user_catalog import DEFAULT_PERMISSIONS, EXTRA_PERMISSIONS
from ghlops.sandbox.dto.users import CreateUser, UpdateUser
from ghlops.sandbox.replies import (
    HttpError,
    Reply,
    bad_request,
    error,
    no_location_access,
    not_found,
    timestamp,
    traced,
    unprocessable,
)
from ghlops.sandbox.routing import Access, Call, Route, from_query
from ghlops.sandbox.store import JsonObject, Kind
from ghlops.sandbox.validation import compact, parse

USER_TYPE_MISMATCH = "Token's user type mismatch!"
_PAGE_DEFAULT = 25  # users.json: limit defaults to 25
_HASH_ROUNDS = 10_000  # enough to make the stored value a real hash; more only slows the tests down
# Optional properties a user carries as sent (absent until sent, removed by null).
_PASSTHROUGH = ("phone", "profilePhoto", "twilioPhone", "platformLanguage")
# Always present as arrays in GHL's answers (empty when never set; null clears to empty).
_SCOPE_LISTS = ("scopes", "scopesAssignedToOnly")


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _HASH_ROUNDS)
    return f"pbkdf2_sha256${_HASH_ROUNDS}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    _, rounds, salt, digest = stored.split("$")
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(candidate.hex(), digest)


def _not_found() -> HttpError:
    return not_found("User not found", "bare")


def _check_company(call: Call, company_id: str) -> None:
    if company_id != call.company_id:
        raise error(403, "The token does not have access to this company.", "bare")


def _check_locations(call: Call, user_type: str, location_ids: list[str]) -> None:
    if user_type == "account" and not location_ids:
        raise unprocessable(["locationIds should not be empty"])
    foreign = [i for i in location_ids if i not in call.store.company_locations(call.company_id)]
    if foreign:
        raise bad_request(f"Locations {', '.join(foreign)} do not belong to company {call.company_id}", "bare")


def _traced(call: Call, body: JsonObject) -> JsonObject:
    return traced(body, call.store.new_uuid())


def _user(call: Call) -> JsonObject:
    stored = call.store.get(Kind.USER, call.params["userId"])
    if stored is None or stored.owner != call.company_id:
        raise _not_found()
    return stored.data


def search_users(call: Call) -> Reply:
    company_id = call.required_arg("companyId")
    _check_company(call, company_id)
    offset, limit = call.page(default=_PAGE_DEFAULT, maximum=call.store.page_caps.users, offset_name="skip")
    users = [u for u in call.store.find(Kind.USER, owner=company_id) if _matches(call, u)]
    if call.arg("sortDirection") == "desc":
        users.reverse()
    call.store.listed(Kind.USER)
    # A page may hold fewer than ``limit`` users; ``count`` is the real total, so clients page on it.
    return Reply(200, _traced(call, {"users": users[offset : offset + limit], "count": len(users)}))


def _matches(call: Call, user: JsonObject) -> bool:
    roles = user["roles"]
    text = (call.arg("query") or "").casefold()
    location_id, user_type, role, ids = (
        call.arg("locationId"),
        call.arg("type"),
        call.arg("role"),
        call.arg("ids"),
    )
    return (
        (not text or text in user["name"].casefold() or text in user["email"].casefold())
        and (not location_id or location_id in roles["locationIds"])
        and (not user_type or roles["type"] == user_type)
        and (not role or roles["role"] == role)
        and (not ids or user["id"] in {i.strip() for i in ids.split(",")})
    )


def users_of_location(call: Call) -> Reply:
    location_id = call.required_arg("locationId")
    location = call.store.location(location_id)
    if location is None or location.company_id != call.company_id:
        raise no_location_access()
    users = [u for u in call.store.find(Kind.USER, owner=call.company_id) if location_id in u["roles"]["locationIds"]]
    call.store.listed(Kind.USER)
    return Reply(200, _traced(call, {"users": users}))


def get_user(call: Call) -> Reply:
    return Reply(200, _traced(call, _user(call)))


def create_user(call: Call) -> Reply:
    dto = parse(CreateUser, call.body)
    _check_company(call, dto.companyId)
    sent = compact(dto.sent())
    with call.store.transaction():
        emails = call.store.field_values(Kind.USER, "email", owner=dto.companyId)
        if any(isinstance(e, str) and e.casefold() == dto.email.casefold() for e in emails):
            raise bad_request("User with this email already exists", "bare")
        _check_locations(call, dto.type, dto.locationIds)
        now = timestamp()
        user: JsonObject = {
            "id": call.store.new_id(),
            "name": f"{dto.firstName} {dto.lastName}",
            "firstName": dto.firstName,
            "lastName": dto.lastName,
            "email": dto.email,
            "extension": "",
            "permissions": {**DEFAULT_PERMISSIONS, **EXTRA_PERMISSIONS, **sent.get("permissions", {})},
            "roles": {
                "type": dto.type,
                "role": dto.role,
                "locationIds": dto.locationIds,
                "restrictSubAccount": False,
            },
            "deleted": False,
            "scopes": sent.get("scopes", []),
            "scopesAssignedToOnly": sent.get("scopesAssignedToOnly", []),
            "totpEnabled": False,
            "dateAdded": now,
            "dateUpdated": now,
        }
        for key in _PASSTHROUGH:
            if key in sent:
                user[key] = sent[key]
        call.store.add(Kind.USER, user["id"], dto.companyId, user)
        # Only a salted hash is kept; the password never appears in any answer or snapshot.
        call.store.set_password_hash(user["id"], hash_password(dto.password))
    return Reply(201, _traced(call, user))


def update_user(call: Call) -> Reply:
    dto = parse(UpdateUser, call.body)
    sent = dto.sent()
    with call.store.transaction():
        user = _user(call)
        if dto.email is not None and dto.email.casefold() != user["email"].casefold():
            raise bad_request("Email cannot be updated", "bare")
        if dto.companyId is not None:
            _check_company(call, dto.companyId)
        roles = user["roles"]
        for key in ("firstName", "lastName"):
            if sent.get(key) is not None:
                user[key] = sent[key]
        user["name"] = f"{user['firstName']} {user['lastName']}"
        if dto.type is not None:
            roles["type"] = dto.type
        if dto.role is not None:
            roles["role"] = dto.role
        if dto.locationIds is not None:
            roles["locationIds"] = dto.locationIds  # replaces the membership, it does not add to it
        _check_locations(call, roles["type"], roles["locationIds"])
        if dto.permissions is not None:
            user["permissions"] = {**user["permissions"], **compact(sent["permissions"])}
        for key in _PASSTHROUGH:
            if key in sent:
                _set_or_clear(user, key, compact(sent[key]))
        for key in _SCOPE_LISTS:
            if key in sent:
                user[key] = sent[key] or []
        user["dateUpdated"] = timestamp()
        call.store.replace(Kind.USER, user["id"], user)
        if dto.password is not None:
            call.store.set_password_hash(user["id"], hash_password(dto.password))
    return Reply(200, _traced(call, user))


def delete_user(call: Call) -> Reply:
    with call.store.transaction():
        user = _user(call)
        # Queued, not done: the user is still listed for a while, and a second DELETE answers the same.
        # Calendars keep the user's id in their team members, as GHL leaves them dangling too.
        call.store.queue_removal(Kind.USER, user["id"])
    # The wording of DeleteUserSuccessfulResponseDto's example in users.json (and of recorded answers).
    message = (
        f"Queued deleting user with e-mail {user['email']} and name {user['name']}. Will take effect in a few minutes."
    )
    return Reply(200, _traced(call, {"succeded": True, "message": message}))


def _set_or_clear(obj: JsonObject, key: str, value: Any) -> None:
    if value is None:
        obj.pop(key, None)
    else:
        obj[key] = value


ROUTES = (
    # Per users.json's security: search takes agency and location tokens, GET /users/?locationId location tokens
    # only (an agency token hears "Token's user type mismatch!").
    Route("GET", "/users/search", search_users, Access.ANY),
    Route("GET", "/users/", users_of_location, locate=from_query("locationId"), agency_refusal=USER_TYPE_MISMATCH),
    Route("POST", "/users/", create_user, Access.AGENCY),
    Route("GET", "/users/{userId}", get_user, Access.AGENCY),
    Route("PUT", "/users/{userId}", update_user, Access.AGENCY),
    Route("DELETE", "/users/{userId}", delete_user, Access.AGENCY),
)
