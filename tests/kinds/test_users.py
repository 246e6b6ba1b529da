"""kinds/users.py: company-level users keyed by email, created through the agency token with a password from the
environment (never in the plan), updated without resetting what ghlops doesn't manage."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ghlops.kinds import USERS
from ghlops.kinds.base import Resolver
from ghlops.kinds.users import User
from ghlops.request import Auth, Ref, Request, SecretInput

JANE = {"email": "Jane@Example.com", "firstName": "Jane", "lastName": "Smith"}


def test_user_emails_are_checked_and_keys_ignore_case() -> None:
    with pytest.raises(ValidationError, match="is not an email address"):
        User.model_validate({"email": "jane", "firstName": "J", "lastName": "S"})
    user = User.model_validate({"email": "Jane@Example.com", "firstName": "J", "lastName": "S"})
    assert USERS.key(user) == "jane@example.com"


def test_a_create_goes_through_the_agency_with_the_password_filled_in_at_apply_time() -> None:
    user = User.model_validate({**JANE, "passwordEnv": "JANE_PASSWORD"})
    create = USERS.create_user_request("co1", user, ["L1", "L2"], Resolver())
    assert create == Request(
        "POST",
        ("/users/",),
        auth=Auth.AGENCY,
        body={
            "companyId": "co1",
            "firstName": "Jane",
            "lastName": "Smith",
            "email": "Jane@Example.com",
            "password": SecretInput("JANE_PASSWORD"),
            "type": "account",
            "role": "user",
            "locationIds": ["L1", "L2"],
        },
        binds=Ref("users", "jane@example.com"),
        id_field=("id",),
    )
    with pytest.raises(NotImplementedError, match="company-wide"):
        USERS.create_request("L1", user, Resolver())


def test_an_update_keeps_permissions_ghlops_does_not_know_and_sends_role_with_type() -> None:
    raw = {"id": "u1", **JANE, "roles": {"type": "account", "role": "user"}, "permissions": {"futureFlag": True}}
    live = USERS.live(raw, Resolver())
    desired = User.model_validate({**JANE, "role": "admin", "permissions": {"contactsEnabled": False}})
    update = USERS.update_request("L1", live, desired, ["role", "permissions"], Resolver())
    assert update.path == ("/users/", "u1") and update.auth is Auth.AGENCY
    assert update.body["permissions"] == {"futureFlag": True, "contactsEnabled": False}
    assert (update.body["role"], update.body["type"]) == ("admin", "account")  # GHL checks the role against the type


def test_adopting_an_existing_user_keeps_its_locations_and_never_sends_a_password() -> None:
    found = USERS.live({"id": "u9", **JANE, "roles": {"locationIds": ["L0", "L1"]}}, Resolver())
    create = USERS.create_user_request("co1", User.model_validate(JANE), ["L1", "L2"], Resolver())
    adopt = USERS.adopt_request(create, found)
    assert adopt.method == "PUT" and adopt.path == ("/users/", "u9")
    assert "password" not in adopt.body and "email" not in adopt.body and "companyId" not in adopt.body
    assert adopt.body["locationIds"] == ["L0", "L1", "L2"]


def test_ghl_answers_are_read_for_what_they_say() -> None:
    assert USERS.already_exists(400, "User with this email already exists")
    assert not USERS.already_exists(422, "User with this email already exists")
    assert USERS.deletion_queued({"message": "Queued deleting user. Will take effect in a few minutes"})
    assert USERS.is_gone({"id": "u1", "deleted": True}) and not USERS.is_gone({"id": "u1"})
