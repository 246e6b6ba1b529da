"""Users: agency-token CRUD, password handling, email rules, location membership, search pagination."""

from __future__ import annotations

import re
from typing import Any

import httpx

from ghlops.sandbox import Sandbox
from ghlops.sandbox.dto.user_catalog import DEFAULT_PERMISSIONS, EXTRA_PERMISSIONS
from ghlops.sandbox.routes.users import password_matches
from tests.sandbox.conftest import COMPANY, FOREIGN_LOC, LOC, OTHER_LOC, NewUser

ID = re.compile(r"^[A-Za-z0-9]{20}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def untraced(body: dict[str, Any]) -> dict[str, Any]:
    """An answer without its per-answer traceId (checked to be a UUID)."""
    assert UUID.match(body["traceId"]), body
    return {k: v for k, v in body.items() if k != "traceId"}


def test_user_create_answers_the_user_without_the_password(sb: Sandbox, agency: httpx.Client) -> None:
    body = {
        "companyId": COMPANY,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "password": "hunter2-hunter2",
        "phone": "+15550100",
        "type": "account",
        "role": "admin",
        "locationIds": [LOC],
        "permissions": {"websitesEnabled": True},
    }
    response = agency.post("/users/", json=body)
    assert response.status_code == 201
    user = untraced(response.json())
    assert ID.match(user["id"])
    assert user["name"] == "Ada Lovelace"
    assert user["roles"] == {"type": "account", "role": "admin", "locationIds": [LOC], "restrictSubAccount": False}
    assert user["deleted"] is False
    assert user["permissions"]["websitesEnabled"] is True
    assert user["permissions"]["campaignsEnabled"] is True  # a PermissionsDto default
    assert "hunter2-hunter2" not in response.text
    assert "password" not in user
    # Stored only as a salted hash.
    stored_hash = sb.store.password_hash(user["id"])
    assert stored_hash is not None and "hunter2" not in stored_hash
    assert password_matches("hunter2-hunter2", stored_hash)
    assert sb.store.users(COMPANY) == [user]
    assert untraced(agency.get(f"/users/{user['id']}").json()) == user


def test_a_user_answers_with_the_keys_real_ghl_adds(agency: httpx.Client, api: httpx.Client, new_user: NewUser) -> None:
    # Recorded GET /users/{id} answers (issue 9): permission keys PermissionsDto lacks, scopes as arrays,
    # totpEnabled, dateAdded/dateUpdated; a traceId on the answer.
    user = untraced(new_user())
    assert user["permissions"] == {**DEFAULT_PERMISSIONS, **EXTRA_PERMISSIONS}
    assert {"opportunitiesBulkActionsEnabled", "certificatesEnabled", "gokollabEnabled"} <= set(EXTRA_PERMISSIONS)
    assert (user["scopes"], user["scopesAssignedToOnly"], user["totpEnabled"]) == ([], [], False)
    assert TIMESTAMP.match(user["dateAdded"]) and user["dateUpdated"] == user["dateAdded"]
    for answer in (
        agency.get(f"/users/{user['id']}"),
        agency.get("/users/search", params={"companyId": COMPANY}),
        api.get("/users/", params={"locationId": LOC}),
    ):
        assert UUID.match(answer.json()["traceId"])


def test_permissions_real_ghl_answers_are_taken_back_on_writes(agency: httpx.Client, new_user: NewUser) -> None:
    # A client that read a user sends its permissions back whole; the off-spec keys must not be refused.
    user = untraced(new_user(permissions={"certificatesEnabled": False}))
    assert user["permissions"]["certificatesEnabled"] is False
    sent_back = {**user["permissions"], "wordpressEnabled": False}
    response = agency.put(f"/users/{user['id']}", json={"permissions": sent_back})
    assert response.status_code == 200, response.text
    assert untraced(response.json())["permissions"] == sent_back
    unknown = agency.put(f"/users/{user['id']}", json={"permissions": {"teleportEnabled": True}})
    assert unknown.status_code == 422
    assert unknown.json()["message"] == ["property permissions.teleportEnabled should not exist"]


def test_scopes_cleared_with_null_come_back_as_an_empty_array(agency: httpx.Client, new_user: NewUser) -> None:
    user = new_user(scopes=["contacts.write"])
    cleared = untraced(agency.put(f"/users/{user['id']}", json={"scopes": None}).json())
    assert cleared["scopes"] == []


def test_user_emails_are_unique_case_insensitively(agency: httpx.Client, new_user: NewUser) -> None:
    new_user(email="Bob@Example.com")
    response = agency.post(
        "/users/",
        json={
            "companyId": COMPANY,
            "firstName": "Bob",
            "lastName": "Two",
            "email": "bob@example.COM",
            "password": "pw",
            "type": "account",
            "role": "user",
            "locationIds": [LOC],
        },
    )
    assert response.status_code == 400
    assert response.json()["message"] == "User with this email already exists"


def test_user_locations_must_belong_to_the_company(agency: httpx.Client) -> None:
    body = {
        "companyId": COMPANY,
        "firstName": "Eve",
        "lastName": "X",
        "email": "eve@example.com",
        "password": "pw",
        "type": "account",
        "role": "user",
    }
    for locations in ([FOREIGN_LOC], ["nowhere"]):
        response = agency.post("/users/", json={**body, "locationIds": locations})
        assert response.status_code == 400
        assert locations[0] in response.json()["message"]


def test_user_create_validates_required_properties_and_enums(agency: httpx.Client) -> None:
    response = agency.post(
        "/users/", json={"companyId": COMPANY, "firstName": "X", "email": "nope", "type": "owner", "role": "user"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == [
        "lastName should not be empty",
        "email must be an email",
        "password should not be empty",
        "type must be one of the following values: agency, account",
        "locationIds should not be empty",
    ]


def test_users_of_another_company_cannot_be_created_or_searched(agency: httpx.Client) -> None:
    searched = agency.get("/users/search", params={"companyId": "another-company"})
    assert searched.status_code == 403
    assert searched.json() == {"statusCode": 403, "message": "The token does not have access to this company."}
    body = {
        "companyId": "another-company",
        "firstName": "Eve",
        "lastName": "X",
        "email": "eve@example.com",
        "password": "pw",
        "type": "account",
        "role": "user",
        "locationIds": [FOREIGN_LOC],
    }
    assert agency.post("/users/", json=body).status_code == 403


def test_user_update_is_partial_and_location_ids_replace_membership(agency: httpx.Client, new_user: NewUser) -> None:
    user = new_user(locationIds=[LOC])
    response = agency.put(f"/users/{user['id']}", json={"lastName": "Smith", "locationIds": [OTHER_LOC]})
    assert response.status_code == 200
    updated = untraced(response.json())
    assert updated["firstName"] == user["firstName"]
    assert updated["name"] == "Jane Smith"
    assert updated["roles"]["locationIds"] == [OTHER_LOC]
    assert updated["email"] == user["email"]
    assert updated["dateAdded"] == user["dateAdded"] <= updated["dateUpdated"]
    assert untraced(agency.get(f"/users/{user['id']}").json()) == updated


def test_a_users_email_cannot_be_changed(agency: httpx.Client, new_user: NewUser) -> None:
    user = new_user()
    same = agency.put(f"/users/{user['id']}", json={"email": user["email"].upper()})
    assert same.status_code == 200
    changed = agency.put(f"/users/{user['id']}", json={"email": "other@example.com"})
    assert changed.status_code == 400
    assert changed.json()["message"] == "Email cannot be updated"


def test_user_delete_is_queued_and_the_user_stays_listed_for_one_more_list(
    sb: Sandbox, agency: httpx.Client, new_user: NewUser
) -> None:
    user = untraced(new_user(firstName="Tom", lastName="Thumb", email="tom@example.com"))
    response = agency.delete(f"/users/{user['id']}")
    # DeleteUserSuccessfulResponseDto's example wording in users.json, which recorded answers repeat.
    assert untraced(response.json()) == {
        "succeded": True,
        "message": "Queued deleting user with e-mail tom@example.com and name Tom Thumb. "
        "Will take effect in a few minutes.",
    }
    # Still there right after the DELETE: a read sees it, and deleting again answers the same, not a 404.
    assert untraced(agency.get(f"/users/{user['id']}").json()) == user
    again = agency.delete(f"/users/{user['id']}")
    assert (again.status_code, untraced(again.json())) == (200, untraced(response.json()))

    def listed() -> list[str]:
        return [u["id"] for u in agency.get("/users/search", params={"companyId": COMPANY}).json()["users"]]

    assert listed() == [user["id"]]  # the lag: one more list answer shows it (Store.removal_lag = 1)
    assert listed() == []
    assert sb.store.users() == []
    assert sb.store.password_hash(user["id"]) is None
    missing = agency.get(f"/users/{user['id']}")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "message": "User not found"}


def test_queued_user_deletion_lag_is_counted_in_list_calls_and_ends_on_a_tick(
    sb: Sandbox, agency: httpx.Client, api: httpx.Client, new_user: NewUser
) -> None:
    sb.store.removal_lag = 3
    kept, gone = new_user(), new_user()
    assert agency.delete(f"/users/{gone['id']}").status_code == 200
    ids = [kept["id"], gone["id"]]
    assert [u["id"] for u in api.get("/users/", params={"locationId": LOC}).json()["users"]] == ids
    search = agency.get("/users/search", params={"companyId": COMPANY}).json()
    assert ([u["id"] for u in search["users"]], search["count"]) == (ids, 2)
    sb.store.tick()
    search = agency.get("/users/search", params={"companyId": COMPANY}).json()
    assert ([u["id"] for u in search["users"]], search["count"]) == ([kept["id"]], 1)
    assert agency.delete(f"/users/{gone['id']}").status_code == 404


def test_with_no_lag_a_user_deletion_takes_effect_at_once(sb: Sandbox, agency: httpx.Client, new_user: NewUser) -> None:
    sb.store.removal_lag = 0
    user = new_user()
    assert agency.delete(f"/users/{user['id']}").status_code == 200
    assert agency.get(f"/users/{user['id']}").status_code == 404


def test_user_search_paginates_in_creation_order_with_a_count(agency: httpx.Client, new_user: NewUser) -> None:
    ids = [new_user()["id"] for _ in range(30)]
    first = agency.get("/users/search", params={"companyId": COMPANY}).json()
    assert [u["id"] for u in first["users"]] == ids[:25]
    assert first["count"] == 30
    rest = agency.get("/users/search", params={"companyId": COMPANY, "skip": "25", "limit": "25"}).json()
    assert [u["id"] for u in rest["users"]] == ids[25:]
    assert len(agency.get("/users/search", params={"companyId": COMPANY, "limit": "7"}).json()["users"]) == 7
    # A page never holds more than the cap (25, users.json's default), whatever limit is asked; count is real.
    capped = agency.get("/users/search", params={"companyId": COMPANY, "limit": "100"}).json()
    assert ([u["id"] for u in capped["users"]], capped["count"]) == (ids[:25], 30)


def test_user_search_filters_by_location_and_text(agency: httpx.Client, new_user: NewUser) -> None:
    downtown = new_user(firstName="Dora", locationIds=[LOC])
    uptown = new_user(firstName="Umberto", locationIds=[OTHER_LOC])
    by_location = agency.get("/users/search", params={"companyId": COMPANY, "locationId": OTHER_LOC}).json()
    assert [u["id"] for u in by_location["users"]] == [uptown["id"]]
    assert by_location["count"] == 1
    by_text = agency.get("/users/search", params={"companyId": COMPANY, "query": "dora"}).json()
    assert [u["id"] for u in by_text["users"]] == [downtown["id"]]
    assert agency.get("/users/search").status_code == 422


def test_users_of_a_location_are_listed(api: httpx.Client, new_user: NewUser) -> None:
    user = new_user(locationIds=[LOC, OTHER_LOC])
    new_user(locationIds=[OTHER_LOC])
    assert untraced(api.get("/users/", params={"locationId": LOC}).json()) == {"users": [untraced(user)]}
    assert api.get("/users/", params={"locationId": FOREIGN_LOC}).status_code == 403


def test_user_scopes_are_read_back_as_the_array_sent(agency: httpx.Client, new_user: NewUser) -> None:
    # UserSchema declares `scopes` as a single string, CreateUserDto takes an array: the array is echoed.
    user = new_user(scopes=["contacts.write", "calendars.readonly"])
    assert user["scopes"] == ["contacts.write", "calendars.readonly"]
    bad = agency.put(f"/users/{user['id']}", json={"scopes": ["contacts.everything"]})
    assert bad.status_code == 422


def test_the_sandbox_answers_an_unknown_scope_with_422_as_ghl_does(agency: httpx.Client) -> None:
    # users.json: CreateUserDto.scopes items are an enum; GHL's validation answers 422 for a name outside it.
    body = {
        "companyId": COMPANY, "firstName": "J", "lastName": "D", "email": "j@example.com", "password": "s3cret-pass",
        "type": "account", "role": "user", "locationIds": [LOC], "scopes": ["contacts.everything"],
    }  # fmt: skip
    answer = agency.post("/users/", json=body)
    assert answer.status_code == 422
    assert "scopes" in answer.text
